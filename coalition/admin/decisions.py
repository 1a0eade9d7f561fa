"""Reviewers' decisions on an endorsement page: approve, reject, remove (one at a time or in
bulk), decide on an organization's proposed changes, revoke manage links.

Each decision is a service of ``coalition.services``; nothing here sets ``Endorsement.status``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext_lazy

from coalition import domain_proof, evidence, services
from coalition.models import Endorsement, OrganizationVersion, RejectionReason

Status = Endorsement.Status


class DecisionNoteForm(forms.Form):
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2, "cols": 60}),
        help_text=_("Kept in the audit trail; never shown to the applicant."),
    )


class ReasonChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: RejectionReason) -> str:
        return f"{obj.code} – {Truncator(obj.text).chars(80)}"


class RejectForm(DecisionNoteForm):
    reason = ReasonChoiceField(
        label=_("Reason"),
        queryset=RejectionReason.objects.filter(active=True),
        help_text=_("The applicant is sent the reason's text."),
    )

    field_order = ["reason", "note"]


def needs_the_workspace(endorsement: Endorsement) -> bool:
    """Whether approving ``endorsement`` takes the workspace's ticks: the evidence flags a
    lookalike or a shared domain or registry ID, or no proof holds for its domain. The admin
    asks for no such tick, so those are approved in the workspace only."""
    return evidence.evidence_current(
        endorsement=endorsement
    ).needs_acknowledgement or domain_proof.needs_other_verification(endorsement)


@dataclass(frozen=True)
class Decision:
    name: str
    label: str
    target: str
    form_class: type[DecisionNoteForm]
    done_message: str  # "%(name)s"
    bulk_done_message: str  # "%(count)d", plural-aware
    # Decisions that cannot be taken back lightly ask on a page of their own first, for the
    # change page's button and for the bulk action alike; ``explanation`` says what follows.
    asks_first: bool = False
    explanation: str = ""

    def run(self, *, endorsement: Endorsement, by: Any, data: dict[str, Any]) -> Endorsement:
        if (
            self.name == "approve"
            and endorsement.can_become(Status.APPROVED)
            and needs_the_workspace(endorsement)
        ):
            raise services.EndorsementTransitionError(
                _(
                    "“%(name)s” needs a reviewer to tick what they checked (a lookalike, a "
                    "shared domain or registry ID, or a domain not proven): approve it in the "
                    "review workspace, %(url)s"
                )
                % {
                    "name": endorsement.organization.name,
                    "url": reverse("review:decision", args=[endorsement.public_id]),
                }
            )
        service: Callable[..., Endorsement] = {
            "approve": services.endorsement_approve,
            "reject": services.endorsement_reject,
            "remove": services.endorsement_remove,
        }[self.name]
        return service(endorsement=endorsement, by=by, **data)


DECISIONS: dict[str, Decision] = {
    decision.name: decision
    for decision in [
        Decision(
            "approve",
            _("Approve"),
            Status.APPROVED,
            DecisionNoteForm,
            _("“%(name)s” has been approved."),
            ngettext_lazy(
                "%(count)d endorsement approved.", "%(count)d endorsements approved.", "count"
            ),
        ),
        Decision(
            "reject",
            _("Reject"),
            Status.REJECTED,
            RejectForm,
            _("“%(name)s” has been rejected."),
            ngettext_lazy(
                "%(count)d endorsement rejected.", "%(count)d endorsements rejected.", "count"
            ),
            asks_first=True,
        ),
        Decision(
            "remove",
            _("Remove"),
            Status.REMOVED,
            DecisionNoteForm,
            _("“%(name)s” has been removed from the wall."),
            ngettext_lazy(
                "%(count)d endorsement removed.", "%(count)d endorsements removed.", "count"
            ),
            asks_first=True,
            explanation=_(
                "Removing takes the organization off the wall, the embeds and the API at once, "
                "and its contact is told by email."
            ),
        ),
    ]
}


# Deciding on an organization's proposed changes: the service and the message on success.
VERSION_DECISIONS: dict[str, tuple[Callable[..., OrganizationVersion], str]] = {
    "approve": (
        services.organization_version_approve,
        _("The changes to “%(name)s” have been approved and are now public."),
    ),
    "decline": (
        services.organization_version_decline,
        _("The changes to “%(name)s” have been declined; the approved version stays public."),
    ),
}
# Kept in the admin's history (LogEntry) untranslated, like Django's own change messages.
VERSION_LOG_MESSAGES = {
    "approve": "Approved the organization's proposed changes",
    "decline": "Declined the organization's proposed changes",
}


class DecisionsMixin:
    """The decision buttons, their pages and the bulk actions of ``EndorsementAdmin``."""

    def has_decide_permission(self, request, obj=None):
        codename = get_permission_codename("decide", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def _decision_buttons(self, request, obj: Endorsement | None) -> list[dict[str, Any]]:
        if obj is None or not self.has_decide_permission(request, obj):
            return []
        return [
            {
                "name": decision.name,
                "label": decision.label,
                "url": reverse(f"admin:coalition_endorsement_{decision.name}", args=[obj.pk]),
                # Reject and Remove ask on a page of their own; Approve takes a note here.
                "form": None
                if decision.asks_first
                else decision.form_class(auto_id=f"id_{decision.name}_%s"),
            }
            for decision in DECISIONS.values()
            if obj.can_become(decision.target)
        ]

    def get_urls(self):
        custom = [
            path(
                f"<int:pk>/{name}/",
                self.admin_site.admin_view(self.decision_view),
                {"decision": name},
                name=f"coalition_endorsement_{name}",
            )
            for name in DECISIONS
        ]
        custom += [
            path(
                f"<int:pk>/versions/<int:version_pk>/{name}/",
                self.admin_site.admin_view(self.version_decision_view),
                {"decision": name},
                name=f"coalition_endorsement_version_{name}",
            )
            for name in VERSION_DECISIONS
        ]
        custom.append(
            path(
                "<int:pk>/manage-links/revoke/",
                self.admin_site.admin_view(self.revoke_manage_links_view),
                name="coalition_endorsement_revoke_manage_links",
            )
        )
        return custom + super().get_urls()

    def _endorsement_to_decide(self, request: HttpRequest, pk: int) -> Endorsement:
        endorsement = self.get_object(request, str(pk))
        if endorsement is None:
            raise Http404
        if not (
            self.has_view_or_change_permission(request, endorsement)
            and self.has_decide_permission(request, endorsement)
        ):
            raise PermissionDenied
        return endorsement

    def version_decision_view(
        self, request: HttpRequest, pk: int, version_pk: int, decision: str
    ) -> HttpResponse:
        """POST only: approve or decline the changes an approved organization proposed."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        endorsement = self._endorsement_to_decide(request, pk)
        # Only a version of this endorsement's organization, so that a URL cannot be pointed at
        # another organization's proposal from a page that does not show it.
        version = OrganizationVersion.objects.filter(
            pk=version_pk, organization_id=endorsement.organization_id
        ).first()
        if version is None:
            raise Http404
        service, done_message = VERSION_DECISIONS[decision]
        try:
            service(version=version, by=request.user)
        except services.EndorsementTransitionError as exc:
            messages.error(request, str(exc))
        except ValidationError as exc:
            # A proposal the organization row refuses (e.g. a website it cannot normalize).
            messages.error(request, " ".join(exc.messages))
        else:
            self.log_change(request, endorsement, VERSION_LOG_MESSAGES[decision])
            self.message_user(
                request,
                done_message % {"name": endorsement.organization.name},
                messages.SUCCESS,
            )
        return HttpResponseRedirect(
            reverse("admin:coalition_endorsement_change", args=[endorsement.pk])
        )

    def revoke_manage_links_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST only: every manage link sent to this endorsement's contact stops working."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        endorsement = self._endorsement_to_decide(request, pk)
        services.endorsement_manage_links_revoke(endorsement=endorsement)
        # The service keeps no trace of who revoked; the admin's history does.
        self.log_change(request, endorsement, "Revoked manage links")
        self.message_user(
            request,
            _("The private links sent so far to manage “%(name)s” no longer work.")
            % {"name": endorsement.organization.name},
            messages.SUCCESS,
        )
        return HttpResponseRedirect(
            reverse("admin:coalition_endorsement_change", args=[endorsement.pk])
        )

    def decision_view(self, request: HttpRequest, pk: int, decision: str) -> HttpResponse:
        """GET shows the decision's form; POST decides through the service."""
        if request.method not in ("GET", "POST"):
            return HttpResponse(status=405, headers={"Allow": "GET, POST"})
        step = DECISIONS[decision]
        endorsement = self._endorsement_to_decide(request, pk)
        change_url = reverse("admin:coalition_endorsement_change", args=[endorsement.pk])

        form = step.form_class(request.POST if request.method == "POST" else None)
        if request.method == "POST" and form.is_valid():
            try:
                step.run(endorsement=endorsement, by=request.user, data=form.cleaned_data)
            except services.EndorsementTransitionError as exc:
                messages.error(request, str(exc))
            else:
                self.message_user(
                    request,
                    step.done_message % {"name": endorsement.organization.name},
                    messages.SUCCESS,
                )
            return HttpResponseRedirect(change_url)
        if request.method == "GET" and not endorsement.can_become(step.target):
            messages.error(
                request,
                _("“%(name)s” is %(status)s; “%(decision)s” is not possible.")
                % {
                    "name": endorsement.organization.name,
                    "status": endorsement.get_status_display(),
                    "decision": step.label,
                },
            )
            return HttpResponseRedirect(change_url)

        context = {
            **self.admin_site.each_context(request),
            "title": _("%(decision)s “%(name)s”")
            % {"decision": step.label, "name": endorsement.organization.name},
            "subtitle": None,
            "opts": self.opts,
            "object": endorsement,
            "decision": step,
            "form": form,
            "change_url": change_url,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(request, "admin/coalition/endorsement/decision.html", context)

    # Bulk actions

    def _decide_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Endorsement],
        step: Decision,
        data: dict[str, Any],
    ) -> None:
        done = 0
        for endorsement in queryset.select_related("organization").order_by("pk"):
            try:
                step.run(endorsement=endorsement, by=request.user, data=data)
            except services.EndorsementTransitionError as exc:
                messages.error(request, str(exc))
            else:
                done += 1
        if done:
            self.message_user(request, step.bulk_done_message % {"count": done}, messages.SUCCESS)

    @admin.action(permissions=["decide"], description=_("Approve selected endorsements"))
    def approve_selected(self, request, queryset):
        self._decide_each(request, queryset, DECISIONS["approve"], {"note": ""})

    def _ask_then_decide_each(
        self,
        request: HttpRequest,
        queryset: QuerySet[Endorsement],
        step: Decision,
        *,
        action_name: str,
        title: str,
    ) -> TemplateResponse | None:
        """Ask for the decision's fields first, like Django's delete confirmation; decide on
        each selected endorsement once the confirmation page sends them back valid."""
        form = step.form_class(request.POST if request.POST.get("post") else None)
        if form.is_valid():
            self._decide_each(request, queryset, step, form.cleaned_data)
            return None
        context = {
            **self.admin_site.each_context(request),
            "title": title,
            "subtitle": None,
            "opts": self.opts,
            "queryset": queryset.select_related("organization", "campaign"),
            "decision": step,
            "form": form,
            "action_name": action_name,
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "media": self.media + form.media,
        }
        request.current_app = self.admin_site.name
        return TemplateResponse(
            request, f"admin/coalition/endorsement/{action_name}_confirmation.html", context
        )

    @admin.action(permissions=["decide"], description=_("Remove selected endorsements"))
    def remove_selected(self, request, queryset):
        """Asks for a note first: removing takes allies off the wall and tells each contact."""
        return self._ask_then_decide_each(
            request,
            queryset,
            DECISIONS["remove"],
            action_name="remove_selected",
            title=_("Remove endorsements"),
        )

    @admin.action(permissions=["decide"], description=_("Reject selected endorsements"))
    def reject_selected(self, request, queryset):
        """Asks for a reason and a note first."""
        return self._ask_then_decide_each(
            request,
            queryset,
            DECISIONS["reject"],
            action_name="reject_selected",
            title=_("Reject endorsements"),
        )
