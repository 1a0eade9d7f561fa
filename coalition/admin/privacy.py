"""The privacy notice: superusers write it; each save publishes a new version and the versions
before stay as they were (applications name the one their contact was shown)."""

from __future__ import annotations

from django.conf import settings
from django.contrib import admin

from coalition.admin.mixins import TranslatedAdmin
from coalition.models import PrivacyNotice
from coalition.privacy import selectors
from coalition.privacy.services import privacy_notice_publish


@admin.register(PrivacyNotice)
class PrivacyNoticeAdmin(TranslatedAdmin):
    list_display = ["__str__", "created_at", "created_by"]
    fields = ["text", "created_at", "created_by"]
    readonly_fields = ["created_at", "created_by"]

    # Only superusers: the notice speaks for whoever runs the site.
    def has_module_permission(self, request) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_view_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_add_permission(self, request) -> bool:
        return self.has_module_permission(request)

    def has_change_permission(self, request, obj=None) -> bool:
        return self.has_module_permission(request)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def get_changeform_initial_data(self, request) -> dict[str, str]:
        # A new version starts from the current one's words.
        current = selectors.privacy_notice_current()
        if current is None:
            return {}
        return {
            f"text_{code}": getattr(current, f"text_{code}") or ""
            for code, _name in settings.LANGUAGES
        }

    def save_model(self, request, obj: PrivacyNotice, form, change: bool) -> None:
        # Never an update: editing a version saves the edited words as the next one.
        notice = privacy_notice_publish(
            texts={
                code: form.cleaned_data.get(f"text_{code}") or ""
                for code, _name in settings.LANGUAGES
            },
            user=request.user,
        )
        obj.pk = notice.pk
        obj.version = notice.version
        obj.created_at = notice.created_at
        obj.created_by = notice.created_by
