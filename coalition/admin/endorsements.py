"""The list of endorsements and an endorsement's page: what reviewers can look up.

Reviewers (the "Reviewers" group, migration 0002) only have view permissions plus
``coalition.decide_endorsement``. They decide in the review workspace (``/review/``): an
endorsement's page links there, and offers only what the workspace does not, revoking the
private manage links.
"""

from __future__ import annotations

import csv

from django.contrib import admin, messages
from django.contrib.auth import get_permission_codename
from django.core.exceptions import PermissionDenied
from django.db.models import Exists, OuterRef
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
)
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from coalition import services
from coalition.admin.audit import EndorsementEventInline
from coalition.admin.filters import PresentCountryFilter, SectorListFilter
from coalition.admin.organizations import version_review_context
from coalition.admin.previews import PREVIEW_STYLE, THUMBNAIL_STYLE, logo_img
from coalition.models import Endorsement, OrganizationVersion
from coalition.reviewing import evidence
from coalition.web.spreadsheets import defused

Status = Endorsement.Status


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
    actions = ["export_approved_csv"]
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
                    "consent_authority_words",
                    "consent_publish_words",
                    "consent_language",
                    "privacy_notice_version",
                    "updates_opt_in",
                    "updates_opt_in_words",
                    "updates_opt_in_changed_at",
                ]
            },
        ),
        (
            _("Review history"),
            {
                "fields": [
                    "submitted_at",
                    "source_text",
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
    # change permission; reviewers only view). The status moves in the review workspace.
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
        "consent_authority_words",
        "consent_publish_words",
        "consent_language",
        "privacy_notice_version",
        # Changed only by the contact (the form, the manage page, the unsubscribe link).
        "updates_opt_in",
        "updates_opt_in_words",
        "updates_opt_in_changed_at",
        "submitted_at",
        "source_text",
        "confirmed_at",
        "decided_at",
        "decided_by",
        "approved_at",
        "rejection_reason",
    ]

    def get_queryset(self, request):
        proposed_version = OrganizationVersion.objects.filter(
            organization=OuterRef("organization"), state=OrganizationVersion.State.PROPOSED
        ).order_by()
        return (
            super()
            .get_queryset(request)
            .annotate(
                shares_domain=evidence.shares_domain_with_live(),
                has_proposed_changes=Exists(proposed_version),
            )
        )

    @admin.display(description=_("came from"))
    def source_text(self, obj: Endorsement) -> str:
        """The ``ref`` and UTM parameters of the link that brought the applicant."""
        if not obj.source:
            return str(_("a link without ref or UTM parameters (or none)"))
        return ", ".join(f"{key}={value}" for key, value in sorted(obj.source.items()))

    # Applications come in through the public form, and deleting one would lose its history.
    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    # Columns and read-only fields

    @admin.display(description=_("organization"), ordering="organization__name")
    def organization_name(self, obj: Endorsement) -> str:
        return obj.organization.name

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj: Endorsement) -> str:
        return logo_img(obj.organization.logo, THUMBNAIL_STYLE)

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: Endorsement) -> str:
        return logo_img(obj.organization.logo, PREVIEW_STYLE) or _("No logo")

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
        others = evidence.live_on_same_domain(obj)
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

    # The change page: a link to the workspace, where decisions are taken; revoking links

    def has_decide_permission(self, request, obj=None):
        codename = get_permission_codename("decide", self.opts)
        return request.user.has_perm(f"{self.opts.app_label}.{codename}")

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None:
            context.update(version_review_context(obj))
            may_decide = self.has_decide_permission(request, obj)
            context["decide_url"] = (
                reverse("review:decision", args=[obj.public_id]) if may_decide else None
            )
            context["revoke_manage_links_url"] = (
                reverse("admin:coalition_endorsement_revoke_manage_links", args=[obj.pk])
                if may_decide
                else None
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    def get_urls(self):
        revoke = path(
            "<int:pk>/manage-links/revoke/",
            self.admin_site.admin_view(self.revoke_manage_links_view),
            name="coalition_endorsement_revoke_manage_links",
        )
        return [revoke, *super().get_urls()]

    def revoke_manage_links_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        """POST only: every manage link sent to this endorsement's contact stops working."""
        if request.method != "POST":
            return HttpResponseNotAllowed(["POST"])
        endorsement = self.get_object(request, str(pk))
        if endorsement is None:
            raise Http404
        if not (
            self.has_view_or_change_permission(request, endorsement)
            and self.has_decide_permission(request, endorsement)
        ):
            raise PermissionDenied
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
