"""Reference data staff keep up: campaigns (with their branding), sectors and the reasons for a
rejection."""

from __future__ import annotations

from django import forms
from django.contrib import admin
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from coalition import heroes, logos, services
from coalition.admin.display import PREVIEW_STYLE, logo_img
from coalition.admin.mixins import PublicContentAdmin, TranslatedAdmin
from coalition.models import Campaign, RejectionReason, Sector, normalize_website


class TopLevelSectorFilter(admin.RelatedFieldListFilter):
    def field_choices(self, field, request, model_admin):
        return [(sector.pk, str(sector)) for sector in Sector.objects.filter(parent__isnull=True)]


class CampaignForm(forms.ModelForm):
    """The campaign with its branding: images come only through their pipelines, which check
    and re-encode an upload before anything is stored (``coalition.logos``, ``coalition.heroes``).
    """

    organizer_logo_upload = forms.FileField(
        label=_("New organizer’s logo"),
        required=False,
        help_text=_("PNG, JPEG, WebP or GIF, up to 5 MB; re-encoded like the allies’ logos."),
    )
    organizer_website = forms.URLField(
        label=_("organizer’s website"), max_length=300, required=False, assume_scheme="https"
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
            "is_default",
        ]
        widgets = {"accent_color": forms.TextInput(attrs={"placeholder": "#0b6e4f", "size": 8})}

    def clean_organizer_website(self) -> str:
        website = self.cleaned_data.get("organizer_website") or ""
        return normalize_website(website) if website else ""

    def clean_organizer_logo_upload(self) -> logos.ProcessedLogo | None:
        upload = self.cleaned_data.get("organizer_logo_upload")
        return logos.process(logos.validate_and_open(upload)) if upload else None

    def clean_hero_image_upload(self) -> heroes.ProcessedHero | None:
        upload = self.cleaned_data.get("hero_image_upload")
        return heroes.process(heroes.validate_and_open(upload)) if upload else None


@admin.register(Campaign)
class CampaignAdmin(PublicContentAdmin, TranslatedAdmin):
    form = CampaignForm
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
        (None, {"fields": ["accepts_applications", "is_default", "created_at"]}),
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
