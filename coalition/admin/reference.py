"""Reference data staff keep up: campaigns (with their branding), sectors and the reasons for a
rejection."""

from __future__ import annotations

import zoneinfo

from django import forms
from django.contrib import admin
from django.db import models
from django.utils import timezone
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationTabularInline

from coalition import services
from coalition.admin.mixins import PublicContentAdmin, TranslatedAdmin
from coalition.admin.previews import PREVIEW_STYLE, logo_img
from coalition.images import heroes, logos
from coalition.ledger.services import log_sector_sync
from coalition.models import Campaign, Milestone, RejectionReason, Sector, normalize_website


class TopLevelSectorFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(sector.pk, str(sector)) for sector in Sector.objects.filter(parent__isnull=True)]


class CampaignForm(forms.ModelForm):
    """The campaign with its branding: images come only through their pipelines, which check
    and re-encode an upload before anything is stored (``coalition.images.logos``,
    ``coalition.images.heroes``).
    """

    organizer_logo_upload = forms.FileField(
        label=_("New organizer’s logo"),
        required=False,
        help_text=_("PNG, JPEG, WebP, GIF or SVG, up to 5 MB; re-encoded like the allies’ logos."),
    )
    organizer_website = forms.URLField(
        label=_("Organizer’s website"), max_length=300, required=False, assume_scheme="https"
    )
    remove_organizer_logo = forms.BooleanField(label=_("Remove the logo"), required=False)
    hero_image_upload = forms.FileField(
        label=_("New hero image"),
        required=False,
        help_text=_(
            "An optional banner above the title, decorative (it has no text alternative): "
            "JPEG, PNG or WebP, at least 960 × 300 pixels, up to 10 MB."
        ),
    )
    remove_hero_image = forms.BooleanField(label=_("Remove the hero image"), required=False)
    # Optional here so that a form without it (an older script's POST) keeps the zone as UTC.
    time_zone = forms.ChoiceField(label=_("Time zone"), required=False)

    class Meta:
        model = Campaign
        fields = [
            "title",
            "slug",
            "lead",
            "addressee",
            "statement",
            "organizer_name",
            "organizer_website",
            "accent_color",
            "accepts_applications",
            "goal",
            "publish_at",
            "closes_at",
            "time_zone",
            "is_default",
        ]
        widgets = {"accent_color": forms.TextInput(attrs={"placeholder": "#0b6e4f", "size": 8})}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["time_zone"].choices = [
            (name, name) for name in sorted(zoneinfo.available_timezones())
        ]

    def clean_time_zone(self) -> str:
        return self.cleaned_data.get("time_zone") or "UTC"

    def clean_organizer_website(self) -> str:
        website = self.cleaned_data.get("organizer_website") or ""
        return normalize_website(website) if website else ""

    def clean_organizer_logo_upload(self) -> logos.ProcessedLogo | None:
        upload = self.cleaned_data.get("organizer_logo_upload")
        return logos.process(logos.validate_and_open(upload)) if upload else None

    def clean_hero_image_upload(self) -> heroes.ProcessedHero | None:
        upload = self.cleaned_data.get("hero_image_upload")
        return heroes.process(heroes.validate_and_open(upload)) if upload else None


class MilestoneFormSet(forms.BaseInlineFormSet):
    """A POST without the timeline's management form (a script written before the timeline)
    leaves the timeline as it is rather than failing the whole save."""

    def __init__(self, data=None, *args, **kwargs) -> None:
        prefix = kwargs.get("prefix") or self.get_default_prefix()
        if data is not None and f"{prefix}-TOTAL_FORMS" not in data:
            data = data.copy()
            data.update({f"{prefix}-TOTAL_FORMS": "0", f"{prefix}-INITIAL_FORMS": "0"})
        super().__init__(data, *args, **kwargs)


class MilestoneInline(TranslationTabularInline):
    """The campaign's timeline; saved in the campaign's transaction, whose public change it
    shares."""

    model = Milestone
    formset = MilestoneFormSet
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}
    fields = ["date", "title", "link"]
    extra = 0


@admin.register(Campaign)
class CampaignAdmin(PublicContentAdmin, TranslatedAdmin):
    form = CampaignForm
    inlines = [MilestoneInline]
    list_display = ["title", "slug", "organizer_name", "accepts_applications", "is_default"]
    list_filter = ["accepts_applications"]
    search_fields = ["title", "slug", "organizer_name"]
    prepopulated_fields = {"slug": ["title"]}
    fieldsets = [
        (None, {"fields": ["title", "slug", "lead", "addressee", "statement"]}),
        (
            _("Organizer and look"),
            {
                "fields": [
                    "organizer_name",
                    "organizer_website",
                    "organizer_logo_preview",
                    "organizer_logo_upload",
                    "remove_organizer_logo",
                    "accent_color",
                    "hero_image_preview",
                    "hero_image_upload",
                    "remove_hero_image",
                ]
            },
        ),
        (
            _("Applications and dates"),
            {
                "fields": ["accepts_applications", "goal", "time_zone", "publish_at", "closes_at"],
                "description": _(
                    "Dates here are in UTC. Owners enter them in the campaign’s time zone in the "
                    "workspace."
                ),
            },
        ),
        (None, {"fields": ["is_default", "created_at"]}),
    ]
    readonly_fields = ["organizer_logo_preview", "hero_image_preview", "created_at"]

    def save_model(self, request, obj, form, change):
        # The service saves, stores the images and moves the public version on.
        data = form.cleaned_data
        services.campaign_save(
            campaign=obj,
            organizer_logo=data.get("organizer_logo_upload"),
            remove_organizer_logo=data.get("remove_organizer_logo", False),
            hero_image=data.get("hero_image_upload"),
            remove_hero_image=data.get("remove_hero_image", False),
            by=request.user,
        )

    @admin.display(description=_("organizer’s logo"))
    def organizer_logo_preview(self, obj: Campaign) -> str:
        return logo_img(obj.organizer_logo, PREVIEW_STYLE) or _("No logo")

    @admin.display(description=_("hero image"))
    def hero_image_preview(self, obj: Campaign) -> str:
        hero = obj.hero_image
        if hero is None:
            return _("No hero image")
        return format_html(
            '<img src="{}" alt="" width="{}" height="{}" class="{}">',
            hero.fallback_url,
            hero.width,
            hero.height,
            PREVIEW_STYLE,
        )


@admin.register(Sector)
class SectorAdmin(PublicContentAdmin, TranslatedAdmin):
    list_display = ["name", "parent", "transparency_register_category", "order", "slug"]
    list_filter = ["transparency_register_category", ("parent", TopLevelSectorFilter)]
    list_select_related = ["parent"]
    search_fields = ["name", "slug"]
    ordering = ["order", "name"]
    prepopulated_fields = {"slug": ["name"]}
    fields = ["name", "slug", "parent", "transparency_register_category", "order"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "slug" in form.changed_data:
            # The public logs name an ally's sector by its slug.
            log_sector_sync(sector=obj, at=timezone.now())

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
