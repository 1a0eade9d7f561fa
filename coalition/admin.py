"""The admin: where reviewers approve, reject and remove endorsements.

Reviewers (the "Reviewers" group, migration 0002) only have view permissions plus
``coalition.decide_endorsement``. Every decision goes through ``coalition.services``; nothing here
sets ``Endorsement.status``.
"""

from __future__ import annotations

import csv
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django import forms
from django.conf import settings
from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.template.response import TemplateResponse
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.text import Truncator
from django.utils.translation import get_language_info, ngettext_lazy
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.translator import translator

from coalition import services
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Logo,
    Organization,
    OrganizationVersion,
    OutboundEmail,
    RejectionReason,
    Sector,
    normalize_website,
)
from coalition.spreadsheets import defused

Status = Endorsement.Status
VersionState = OrganizationVersion.State

# Classes from static/coalition/admin.css: the Content-Security-Policy allows no inline styles.
THUMBNAIL_STYLE = "logo-thumbnail"
PREVIEW_STYLE = "logo-preview"


def _logo_img(logo: Logo | None, css_class: str) -> str:
    if logo is None or not logo.png:
        return ""
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" class="{}" loading="lazy">',
        logo.png.url,
        logo.width,
        logo.height,
        css_class,
    )


def _http_url(value: str) -> str | None:
    """``value`` if it is a web address that is safe to link to, else None."""
    return value if value.lower().startswith(("https://", "http://")) else None


def _same_website(a: str, b: str) -> bool:
    try:
        return normalize_website(a) == normalize_website(b)
    except (ValidationError, ValueError):  # urlsplit raises ValueError for a bad port
        return a == b


def _logo_renditions(logo: Logo | None) -> list[dict[str, Any]]:
    """The four files the pipeline made, as the change page shows them to reviewers.

    1x files are shown at the size the wall gives them; 2x files at their own pixel size, so that
    a reviewer sees the detail a high-density screen will show.
    """
    if logo is None:
        return []
    renditions = []
    for field, label, one_x in [
        ("png", _("PNG 1x"), True),
        ("webp", _("WebP 1x"), True),
        ("png_2x", _("PNG 2x"), False),
        ("webp_2x", _("WebP 2x"), False),
    ]:
        file = getattr(logo, field)
        if file:
            renditions.append(
                {
                    "label": label,
                    "url": file.url,
                    "width": logo.width if one_x else None,
                    "height": logo.height if one_x else None,
                }
            )
    return renditions


# --- Forms -----------------------------------------------------------------------------------


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


# --- List filters ----------------------------------------------------------------------------


class PresentCountryFilter(admin.ChoicesFieldListFilter):
    """The countries that occur among the rows, not all 250 of them."""

    def __init__(self, field, request, params, model, model_admin, field_path):
        super().__init__(field, request, params, model, model_admin, field_path)
        present = set(
            model._default_manager.order_by().values_list(field_path, flat=True).distinct()
        )
        self.present_choices = sorted(
            ((code, name) for code, name in field.flatchoices if code in present),
            key=lambda choice: str(choice[1]),
        )

    def get_facet_counts(self, pk_attname, filtered_qs):
        return {
            f"{i}__c": models.Count(pk_attname, filter=models.Q((self.lookup_kwarg, code)))
            for i, (code, _name) in enumerate(self.present_choices)
        }

    def choices(self, changelist):
        facet_counts = self.get_facet_queryset(changelist) if changelist.add_facets else None
        yield {
            "selected": self.lookup_val is None,
            "query_string": changelist.get_query_string(remove=[self.lookup_kwarg]),
            "display": _("All"),
        }
        for i, (code, name) in enumerate(self.present_choices):
            yield {
                "selected": self.lookup_val is not None and code in self.lookup_val,
                "query_string": changelist.get_query_string({self.lookup_kwarg: code}),
                "display": f"{name} ({facet_counts[f'{i}__c']})" if facet_counts else name,
            }


class SectorListFilter(admin.RelatedFieldListFilter):
    """Sectors are shown with their parent; fetch the parents in the same query."""

    def field_choices(self, field, request, model_admin):
        return [(sector.pk, str(sector)) for sector in Sector.objects.select_related("parent")]


class TopLevelSectorFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(sector.pk, str(sector)) for sector in Sector.objects.filter(parent__isnull=True)]


class SentListFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("Sent")), ("no", _("Not sent yet"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


class ProposedChangesFilter(admin.SimpleListFilter):
    """Approved organizations whose new website, logo or statement waits for a reviewer."""

    title = _("changes waiting for review")
    parameter_name = "changes_waiting"

    def lookups(self, request, model_admin):
        return [("yes", _("Yes")), ("no", _("No"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(has_proposed_changes=self.value() == "yes")
        return queryset


# --- CSV export ------------------------------------------------------------------------------


# --- Endorsements ----------------------------------------------------------------------------


class EndorsementEventInline(admin.TabularInline):
    """The audit trail: written by the services only, never through the admin."""

    model = EndorsementEvent
    fields = ["at", "actor", "user", "from_status", "to_status", "reason", "note"]
    readonly_fields = fields
    extra = 0
    max_num = 0
    can_delete = False
    ordering = ["at", "pk"]
    verbose_name_plural = _("audit trail")

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("user", "reason")

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Endorsement)
class EndorsementAdmin(admin.ModelAdmin):
    list_display = [
        "organization_name",
        "logo_thumbnail",
        "campaign",
        "status",
        "changes_waiting_marker",
        "country",
        "sector",
        "submitted_at",
        "confirmed_at",
        "email_matches_website",
        "shared_domain_warning",
    ]
    list_filter = [
        "status",
        ProposedChangesFilter,
        "campaign",
        ("organization__country", PresentCountryFilter),
        ("organization__sector", SectorListFilter),
        "domain_verified",
    ]
    list_select_related = [
        "organization",
        "organization__logo",
        "organization__sector",
        "organization__sector__parent",
        "campaign",
    ]
    search_fields = ["organization__name", "organization__domain", "contact_email", "=public_id"]
    search_help_text = _("Organization name, domain, contact email or public ID.")
    date_hierarchy = "submitted_at"
    list_per_page = 50
    actions = ["approve_selected", "reject_selected", "remove_selected", "export_approved_csv"]
    inlines = [EndorsementEventInline]

    fieldsets = [
        (
            None,
            {"fields": ["public_id", "organization", "campaign", "status", "shared_domains"]},
        ),
        (
            _("Organization"),
            {
                "fields": [
                    "logo_preview",
                    "organization_website",
                    "organization_country",
                    "organization_sector",
                    "organization_registry_id",
                    "organization_statement",
                ]
            },
        ),
        (
            _("Contact"),
            {
                "fields": [
                    "contact_name",
                    "contact_role",
                    "contact_email",
                    "preferred_language",
                    "domain_verified",
                    "email_matches_website",
                    "consent_authority",
                    "consent_publish",
                ]
            },
        ),
        (
            _("Review history"),
            {
                "fields": [
                    "submitted_at",
                    "confirmed_at",
                    "decided_at",
                    "decided_by",
                    "approved_at",
                    "rejection_reason",
                ]
            },
        ),
    ]
    # Only typos in the contact's name, role and language may be fixed here (by someone with
    # change permission; reviewers only view). The status moves through the decision buttons.
    readonly_fields = [
        "public_id",
        "organization",
        "campaign",
        "status",
        "shared_domains",
        "logo_preview",
        "organization_website",
        "organization_country",
        "organization_sector",
        "organization_registry_id",
        "organization_statement",
        "contact_email",
        "domain_verified",
        "email_matches_website",
        "consent_authority",
        "consent_publish",
        "submitted_at",
        "confirmed_at",
        "decided_at",
        "decided_by",
        "approved_at",
        "rejection_reason",
    ]

    def get_queryset(self, request):
        other_live_on_same_domain = (
            Endorsement.objects.filter(
                organization__domain=OuterRef("organization__domain"),
                status__in=Endorsement.LIVE_STATUSES,
            )
            .exclude(organization=OuterRef("organization"))
            .order_by()
        )
        proposed_version = OrganizationVersion.objects.filter(
            organization=OuterRef("organization"), state=VersionState.PROPOSED
        ).order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                shares_domain=Exists(other_live_on_same_domain),
                has_proposed_changes=Exists(proposed_version),
            )
        )

    # Applications come in through the public form, and deleting one would lose its history.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def has_decide_permission(self, request, obj=None):
        codename = get_permission_codename("decide", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    # Columns and read-only fields

    @admin.display(description=_("organization"), ordering="organization__name")
    def organization_name(self, obj: Endorsement) -> str:
        return obj.organization.name

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj: Endorsement) -> str:
        return _logo_img(obj.organization.logo, THUMBNAIL_STYLE)

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: Endorsement) -> str:
        return _logo_img(obj.organization.logo, PREVIEW_STYLE) or _("No logo")

    @admin.display(description=_("country"), ordering="organization__country")
    def country(self, obj: Endorsement) -> str:
        return obj.organization.country.name

    @admin.display(description=_("sector"), ordering="organization__sector__name")
    def sector(self, obj: Endorsement) -> str:
        return str(obj.organization.sector)

    @admin.display(description=_("email matches website"), boolean=True)
    def email_matches_website(self, obj: Endorsement) -> bool:
        return obj.contact_domain_matches

    @admin.display(description=_("shared domain"), ordering="shares_domain")
    def shared_domain_warning(self, obj: Endorsement) -> str:
        if not getattr(obj, "shares_domain", False):
            return ""
        return format_html(
            '<span class="shared-domain-warning" title="{}"><img src="{}" alt=""> {}</span>',
            _("Another organization with a live endorsement uses the same domain."),
            static("admin/img/icon-alert.svg"),
            _("Shared domain: %(domain)s") % {"domain": obj.organization.domain},
        )

    @admin.display(description=_("changes"), ordering="has_proposed_changes")
    def changes_waiting_marker(self, obj: Endorsement) -> str:
        if not getattr(obj, "has_proposed_changes", False):
            return ""
        return format_html(
            '<span class="changes-waiting" title="{}">{}</span>',
            _(
                "The organization changed its website, logo or statement; the approved version "
                "stays on the wall until a reviewer approves the changes."
            ),
            _("Changes to review"),
        )

    @admin.display(description=_("organizations on the same domain"))
    def shared_domains(self, obj: Endorsement) -> str:
        others = (
            Endorsement.objects.filter(
                organization__domain=obj.organization.domain,
                status__in=Endorsement.LIVE_STATUSES,
            )
            .exclude(organization=obj.organization_id)
            .select_related("organization", "campaign")
        )
        if not others:
            return _("None")
        items = format_html_join(
            "",
            '<li><a href="{}">{}</a> ({}, {})</li>',
            (
                (
                    reverse("admin:coalition_endorsement_change", args=[other.pk]),
                    other.organization.name,
                    other.campaign,
                    other.get_status_display(),
                )
                for other in others
            ),
        )
        return format_html(
            '<div class="shared-domain-warning"><img src="{}" alt=""> {}</div><ul>{}</ul>',
            static("admin/img/icon-alert.svg"),
            _("These organizations use the same domain, %(domain)s:")
            % {"domain": obj.organization.domain},
            items,
        )

    @admin.display(description=_("website"))
    def organization_website(self, obj: Endorsement) -> str:
        return format_html(
            '<a href="{}" rel="noopener noreferrer" target="_blank">{}</a> ({})',
            obj.organization.website,
            obj.organization.website,
            obj.organization.domain,
        )

    @admin.display(description=_("country"))
    def organization_country(self, obj: Endorsement) -> str:
        return obj.organization.country.name

    @admin.display(description=_("sector"))
    def organization_sector(self, obj: Endorsement) -> str:
        return str(obj.organization.sector)

    @admin.display(description=_("registry ID"))
    def organization_registry_id(self, obj: Endorsement) -> str:
        return obj.organization.registry_id

    @admin.display(description=_("public statement"))
    def organization_statement(self, obj: Endorsement) -> str:
        return obj.organization.statement

    # The change page with its decision buttons

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        context["decisions"] = self._decision_buttons(request, obj)
        if obj is not None:
            context.update(self._versions_context(request, obj))
        return super().render_change_form(request, context, add, change, form_url, obj)

    def _versions_context(self, request, obj: Endorsement) -> dict[str, Any]:
        """The organization's versions, the proposal waiting for review and what to do with it."""
        organization = obj.organization
        versions = list(
            organization.versions.select_related("logo", "decided_by").order_by(
                "-created_at", "-pk"
            )
        )
        proposed = next((v for v in versions if v.state == VersionState.PROPOSED), None)
        may_decide = self.has_decide_permission(request, obj)
        context: dict[str, Any] = {
            "versions": [
                {
                    "version": version,
                    "website_url": _http_url(version.website),
                    "logo": _logo_img(version.logo, THUMBNAIL_STYLE),
                }
                for version in versions
            ],
            "logo_renditions": _logo_renditions(organization.logo),
            "proposed_version": proposed,
            "revoke_manage_links_url": reverse(
                "admin:coalition_endorsement_revoke_manage_links", args=[obj.pk]
            )
            if may_decide
            else None,
        }
        if proposed is not None:
            context.update(
                proposed_website_url=_http_url(proposed.website),
                current_logo=_logo_img(organization.logo, PREVIEW_STYLE),
                proposed_logo=_logo_img(proposed.logo, PREVIEW_STYLE),
                proposed_logo_changed=proposed.logo_id != organization.logo_id,
                proposed_logo_renditions=_logo_renditions(proposed.logo),
                proposed_website_changed=not _same_website(proposed.website, organization.website),
                proposed_statement_changed=proposed.statement != organization.statement,
            )
            if may_decide:
                context["version_decisions"] = [
                    {
                        "name": name,
                        "label": label,
                        "url": reverse(
                            f"admin:coalition_endorsement_version_{name}",
                            args=[obj.pk, proposed.pk],
                        ),
                    }
                    for name, label in [
                        ("approve", _("Approve changes")),
                        ("decline", _("Decline changes")),
                    ]
                ]
        return context

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
        endorsement = self.get_object(request, str(pk))
        if endorsement is None:
            raise Http404
        if not (
            self.has_view_or_change_permission(request, endorsement)
            and self.has_decide_permission(request, endorsement)
        ):
            raise PermissionDenied
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

    @admin.action(permissions=["view"], description=_("Export approved allies as CSV"))
    def export_approved_csv(self, request, queryset):
        """Public data of the approved endorsements among the selection; the rest is skipped."""
        approved = (
            queryset.filter(status=Status.APPROVED)
            .select_related("organization", "organization__sector__parent")
            .order_by("organization__name", "pk")
        )
        if not approved.exists():
            self.message_user(
                request,
                _("None of the selected endorsements is approved; there is nothing to export."),
                messages.WARNING,
            )
            return None
        response = HttpResponse(content_type="text/csv; charset=utf-8")
        response["Content-Disposition"] = 'attachment; filename="approved-allies.csv"'
        writer = csv.writer(response)
        writer.writerow(
            [
                _("public ID"),
                _("organization name"),
                _("website"),
                _("country code"),
                _("country name"),
                _("sector"),
                _("approved at"),
                _("domain verified"),
            ]
        )
        for endorsement in approved:
            organization = endorsement.organization
            row = [
                endorsement.public_id,
                organization.name,
                organization.website,
                organization.country.code,
                organization.country.name,
                organization.sector,
                endorsement.approved_at.isoformat() if endorsement.approved_at else "",
                _("yes") if endorsement.domain_verified else _("no"),
            ]
            writer.writerow([defused(cell) for cell in row])
        return response


@admin.register(EndorsementEvent)
class EndorsementEventAdmin(admin.ModelAdmin):
    """The audit trail as a whole, read-only for everyone."""

    list_display = ["at", "endorsement", "actor", "user", "from_status", "to_status", "reason"]
    list_filter = ["actor", "to_status", "from_status"]
    list_select_related = ["endorsement__organization", "endorsement__campaign", "user", "reason"]
    search_fields = ["endorsement__organization__name", "endorsement__public_id", "note"]
    date_hierarchy = "at"
    fields = ["endorsement", "at", "actor", "user", "from_status", "to_status", "reason", "note"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


# --- Reference data and the rest -------------------------------------------------------------


class TranslatedAdmin(TranslationAdmin):
    """A field per language in the form, and a column saying which translations are missing."""

    def get_list_display(self, request):
        return [*super().get_list_display(request), "missing_translations"]

    @admin.display(description=_("missing translations"))
    def missing_translations(self, obj) -> str:
        options = translator.get_options_for_model(type(obj))
        missing = set()
        for field in options.fields:
            texts = {code: getattr(obj, f"{field}_{code}") for code, _name in settings.LANGUAGES}
            if any(texts.values()):
                missing |= {code for code, text in texts.items() if not text}
        if not missing:
            return "—"
        return ", ".join(
            str(get_language_info(code)["name_translated"])
            for code, _name in settings.LANGUAGES
            if code in missing
        )


class PublicContentAdmin(admin.ModelAdmin):
    """Edits to what the wall and the API show must reach them at once: cached renderings
    are keyed by the public version, so bump it once the change is committed."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        transaction.on_commit(services.public_version_bump)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        transaction.on_commit(services.public_version_bump)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        transaction.on_commit(services.public_version_bump)


@admin.register(Campaign)
class CampaignAdmin(PublicContentAdmin, TranslatedAdmin):
    list_display = ["title", "slug", "accepts_applications", "is_default", "created_at"]
    list_filter = ["accepts_applications"]
    search_fields = ["title", "slug"]
    prepopulated_fields = {"slug": ["title"]}
    fields = ["title", "slug", "statement", "accepts_applications", "is_default", "created_at"]
    readonly_fields = ["created_at"]


@admin.register(Sector)
class SectorAdmin(PublicContentAdmin, TranslatedAdmin):
    list_display = ["name", "parent", "transparency_register_category", "order", "slug"]
    list_filter = ["transparency_register_category", ("parent", TopLevelSectorFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    ordering = ["order", "name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "parent", "transparency_register_category", "order"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "parent":
            # Two levels only (see Sector.clean): a parent is a top-level sector.
            kwargs["queryset"] = Sector.objects.filter(parent__isnull=True)
        return super().formfield_for_foreignkey(db_field, request, **kwargs)


@admin.register(Organization)
class OrganizationAdmin(PublicContentAdmin, TranslatedAdmin):
    list_display = ["name", "logo_thumbnail", "domain", "country", "sector", "updated_at"]
    list_filter = [("sector", SectorListFilter), ("country", PresentCountryFilter)]
    list_select_related = ["logo", "sector", "sector__parent"]
    search_fields = ["name", "domain", "website", "registry_id"]
    fields = [
        "name",
        "website",
        "domain",
        "country",
        "sector",
        "logo_preview",
        "registry_id",
        "statement",
        "created_at",
        "updated_at",
    ]
    # Logos only come through the pipeline in coalition.logos; the domain follows the website.
    readonly_fields = ["domain", "logo_preview", "created_at", "updated_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sector":
            kwargs["queryset"] = Sector.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj: Organization) -> str:
        return _logo_img(obj.logo, THUMBNAIL_STYLE)

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: Organization) -> str:
        return _logo_img(obj.logo, PREVIEW_STYLE) or _("No logo")


@admin.register(OrganizationVersion)
class OrganizationVersionAdmin(admin.ModelAdmin):
    """Every version an organization has shown or proposed; written by the services only.

    Proposals are decided on the endorsement's page, where the reviewer sees the whole entry.
    """

    list_display = [
        "organization",
        "state",
        "logo_thumbnail",
        "website",
        "created_at",
        "decided_at",
        "decided_by",
    ]
    list_filter = ["state"]
    list_select_related = ["organization", "logo", "decided_by"]
    search_fields = ["organization__name", "organization__domain", "website"]
    date_hierarchy = "created_at"
    fields = [
        "organization",
        "state",
        "website",
        "logo_preview",
        "statement",
        "created_at",
        "decided_at",
        "decided_by",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj: OrganizationVersion) -> str:
        return _logo_img(obj.logo, THUMBNAIL_STYLE)

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: OrganizationVersion) -> str:
        return _logo_img(obj.logo, PREVIEW_STYLE) or _("No logo")


@admin.register(RejectionReason)
class RejectionReasonAdmin(TranslatedAdmin):
    list_display = ["code", "short_text", "active", "order"]
    list_filter = ["active"]
    search_fields = ["code", "text", "description"]
    fields = ["code", "text", "description", "active", "order"]

    @admin.display(description=_("text shown to the applicant"))
    def short_text(self, obj: RejectionReason) -> str:
        return Truncator(obj.text).chars(80)


@admin.register(Logo)
class LogoAdmin(admin.ModelAdmin):
    """Logos are made by the pipeline; here they can only be looked at."""

    list_display = ["digest_short", "preview", "width", "height", "created_at"]
    search_fields = ["digest"]
    fields = ["preview", "digest", "width", "height", "png", "webp", "png_2x", "webp_2x"]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    @admin.display(description=_("content hash"), ordering="digest")
    def digest_short(self, obj: Logo) -> str:
        return str(obj)

    @admin.display(description=_("preview"))
    def preview(self, obj: Logo) -> str:
        return _logo_img(obj, PREVIEW_STYLE)


@admin.register(OutboundEmail)
class OutboundEmailAdmin(admin.ModelAdmin):
    """The outbox, to spot mail that is stuck; ``manage.py worker`` sends and retries it."""

    list_display = [
        "subject",
        "template",
        "created_at",
        "sent_at",
        "claimed_until",
        "attempts",
        "next_attempt_at",
        "short_error",
    ]
    list_filter = [SentListFilter, "template"]
    search_fields = ["subject", "template", "last_error"]
    date_hierarchy = "created_at"
    fields = [
        "to",
        "subject",
        "template",
        "created_at",
        "sent_at",
        "claimed_until",
        "attempts",
        "next_attempt_at",
        "last_error",
        "body_text",
    ]
    readonly_fields = fields

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboundEmail) -> str:
        return Truncator(obj.last_error).chars(80)
