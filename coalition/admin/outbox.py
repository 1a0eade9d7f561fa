"""The outboxes: mail and cache purges waiting to be sent, and the record of those sent."""

from __future__ import annotations

from django.contrib import admin
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from coalition.admin.mixins import ReadOnlyAdminMixin
from coalition.models import CachePurge, OutboundEmail


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


class DoneListFilter(admin.SimpleListFilter):
    title = _("done")
    parameter_name = "done"

    def lookups(self, request, model_admin):
        return [("yes", _("Done")), ("no", _("Not done yet"))]

    def queryset(self, request, queryset):
        if self.value() in ("yes", "no"):
            return queryset.filter(done_at__isnull=self.value() == "no")
        return queryset


@admin.register(CachePurge)
class CachePurgeAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """Purges of the HTTP caches in front of the site, to spot one that keeps failing (a
    Varnish unreachable): ``manage.py worker`` sends and retries them."""

    list_display = ["target", "short_keys", "created_at", "done_at", "attempts", "short_error"]
    list_filter = [DoneListFilter, "target"]
    search_fields = ["target", "last_error"]
    date_hierarchy = "created_at"
    fields = [
        "target",
        "keys",
        "created_at",
        "done_at",
        "claimed_until",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("keys"))
    def short_keys(self, obj: CachePurge) -> str:
        return Truncator(" ".join(obj.keys)).chars(80)

    @admin.display(description=_("last error"))
    def short_error(self, obj: CachePurge) -> str:
        return Truncator(obj.last_error).chars(80)
