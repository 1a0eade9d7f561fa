"""Organizations, the versions of their public details, and their logos.

An approved organization's public details change only through the services: an edit here is
recorded as a version the reviewer approved, with a row in the audit trail.
"""

from __future__ import annotations

from typing import Any

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.db import models
from django.http import HttpResponseRedirect
from django.utils.translation import gettext_lazy as _

from coalition import services
from coalition.admin.filters import PresentCountryFilter, SectorListFilter
from coalition.admin.mixins import ReadOnlyAdminMixin, TranslatedAdmin
from coalition.admin.previews import (
    PREVIEW_STYLE,
    THUMBNAIL_STYLE,
    http_url,
    logo_img,
    logo_renditions,
    same_website,
)
from coalition.endorsements.edits import PROPOSAL_WAITING
from coalition.models import (
    Endorsement,
    Logo,
    Organization,
    OrganizationVersion,
    Sector,
    normalize_website,
)
from coalition.web.languages import LANGUAGE_CODES

VersionState = OrganizationVersion.State


class OrganizationForm(forms.ModelForm):
    """Refuses up front, next to the fields, what ``organization_edit_by_reviewer`` refuses."""

    def clean_website(self) -> str:
        # The row would normalize it on save; one it cannot normalize is a form error, not a 500.
        return normalize_website(self.cleaned_data["website"])

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        organization = self.instance
        if organization.pk is None or "website" not in cleaned:
            return cleaned
        changes_a_version = cleaned["website"] != organization.website or any(
            (cleaned.get(f"statement_{code}") or "").strip()
            != (getattr(organization, f"statement_{code}") or "")
            for code in LANGUAGE_CODES
        )
        if changes_a_version and organization.versions.filter(state=VersionState.PROPOSED).exists():
            raise ValidationError(PROPOSAL_WAITING, params={"name": organization.name})
        return cleaned


@admin.register(Organization)
class OrganizationAdmin(TranslatedAdmin):
    form = OrganizationForm
    # A website typed without a scheme is https, as normalize_website makes it elsewhere.
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
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
    # Logos only come through the pipeline in coalition.images.logos; the domain follows the
    # website.
    readonly_fields = ["domain", "logo_preview", "created_at", "updated_at"]

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        if db_field.name == "sector":
            kwargs["queryset"] = Sector.objects.select_related("parent")
        return super().formfield_for_foreignkey(db_field, request, **kwargs)

    def save_model(self, request, obj, form, change):
        if not change:
            # A new organization has no endorsement, so it is on no wall yet: no public change
            # (nor is a deletion, which its endorsements would refuse, PROTECT).
            super().save_model(request, obj, form, change)
            return
        data = form.cleaned_data
        services.organization_edit_by_reviewer(
            organization=obj,
            by=request.user,
            name=data["name"],
            website=data["website"],
            country=data["country"],
            sector=data["sector"],
            registry_id=data["registry_id"],
            statements={code: data.get(f"statement_{code}") or "" for code in LANGUAGE_CODES},
        )
        obj.refresh_from_db()

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        try:
            return super().changeform_view(request, object_id, form_url, extra_context)
        except services.ApplicationError as exc:
            # The organization proposed changes between the form's check and the save.
            messages.error(request, str(exc))
            return HttpResponseRedirect(request.get_full_path())

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj: Organization) -> str:
        return logo_img(obj.logo, THUMBNAIL_STYLE)

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: Organization) -> str:
        return logo_img(obj.logo, PREVIEW_STYLE) or _("No logo")


@admin.register(OrganizationVersion)
class OrganizationVersionAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
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

    @admin.display(description=_("logo"))
    def logo_thumbnail(self, obj: OrganizationVersion) -> str:
        return logo_img(obj.logo, THUMBNAIL_STYLE)

    @admin.display(description=_("logo"))
    def logo_preview(self, obj: OrganizationVersion) -> str:
        return logo_img(obj.logo, PREVIEW_STYLE) or _("No logo")


@admin.register(Logo)
class LogoAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Logos are made by the pipeline; here they can only be looked at."""

    list_display = ["digest_short", "preview", "width", "height", "created_at"]
    search_fields = ["digest"]
    fields = ["preview", "digest", "width", "height", "png", "webp", "png_2x", "webp_2x"]
    readonly_fields = fields

    @admin.display(description=_("content hash"), ordering="digest")
    def digest_short(self, obj: Logo) -> str:
        return str(obj)

    @admin.display(description=_("preview"))
    def preview(self, obj: Logo) -> str:
        return logo_img(obj, PREVIEW_STYLE)


def version_review_context(endorsement: Endorsement) -> dict[str, Any]:
    """For an endorsement's page: the organization's versions, and the proposal waiting for
    review next to what the wall shows now (decided in the review workspace)."""
    organization = endorsement.organization
    versions = list(
        organization.versions.select_related("logo", "decided_by").order_by("-created_at", "-pk")
    )
    proposed = next((v for v in versions if v.state == VersionState.PROPOSED), None)
    context: dict[str, Any] = {
        "versions": [
            {
                "version": version,
                "website_url": http_url(version.website),
                "logo": logo_img(version.logo, THUMBNAIL_STYLE),
            }
            for version in versions
        ],
        "logo_renditions": logo_renditions(organization.logo),
        "proposed_version": proposed,
    }
    if proposed is None:
        return context
    context.update(
        proposed_website_url=http_url(proposed.website),
        current_logo=logo_img(organization.logo, PREVIEW_STYLE),
        proposed_logo=logo_img(proposed.logo, PREVIEW_STYLE),
        proposed_logo_changed=proposed.logo_id != organization.logo_id,
        proposed_logo_renditions=logo_renditions(proposed.logo),
        proposed_website_changed=not same_website(proposed.website, organization.website),
        proposed_statement_changed=proposed.statement != organization.statement,
    )
    return context
