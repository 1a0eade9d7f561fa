"""What several admin pages share: read-only pages, cache-aware saves, per-language fields."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin
from django.utils.translation import get_language_info
from django.utils.translation import gettext_lazy as _
from modeltranslation.admin import TranslationAdmin
from modeltranslation.translator import translator

from coalition.publishing import freshness


class ReadOnlyAdminMixin:
    """Rows only the services (or the pipeline) write: staff may look, nobody adds or edits
    them here. Deleting is refused too, unless ``deletable`` lets those allowed to delete."""

    deletable = False

    # ``obj`` is optional so that the mixin serves inlines (which pass it) and pages alike.
    def has_add_permission(self, request, obj=None) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return self.deletable and super().has_delete_permission(request, obj)


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
    """Rows that every public page may show (sectors, campaigns): a save or a delete here is a
    site-wide public change (``coalition.publishing.freshness``), named in its transaction. An
    admin whose saves go through a service (a campaign's) overrides ``save_model`` and leaves it
    to the service to name what changed."""

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        freshness.public_change(site_wide=True)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        freshness.public_change(site_wide=True)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        freshness.public_change(site_wide=True)
