"""Reference data staff keep up: campaigns, sectors and the reasons for a rejection."""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from coalition.admin.mixins import PublicContentAdmin, TranslatedAdmin
from coalition.models import Campaign, RejectionReason, Sector


class TopLevelSectorFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(sector.pk, str(sector)) for sector in Sector.objects.filter(parent__isnull=True)]


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


@admin.register(RejectionReason)
class RejectionReasonAdmin(TranslatedAdmin):
    list_display = ["code", "short_text", "active", "order"]
    list_filter = ["active"]
    search_fields = ["code", "text", "description"]
    fields = ["code", "text", "description", "active", "order"]

    @admin.display(description=_("text shown to the applicant"))
    def short_text(self, obj: RejectionReason) -> str:
        return Truncator(obj.text).chars(80)
