"""The outbox: mail waiting to be sent, and the record of mail sent."""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from coalition.admin.mixins import ReadOnlyAdminMixin
from coalition.models import OutboundEmail


class SentListFilter(admin.SimpleListFilter):
    title = _("sent")
    parameter_name = "sent"

    def lookups(self, request, model_admin):
        return [("yes", _("Sent")), ("no", _("Not sent yet"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(sent_at__isnull=self.value() == "no")
        return queryset


@admin.register(OutboundEmail)
class OutboundEmailAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The outbox, to spot mail that is stuck; ``manage.py worker`` sends and retries it."""

    # Those allowed to may delete a mail that should never go out.
    deletable = True
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

    @admin.display(description=_("last error"))
    def short_error(self, obj: OutboundEmail) -> str:
        return Truncator(obj.last_error).chars(80)
