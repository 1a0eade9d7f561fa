"""The audit trail: every transition of an endorsement, written by the services only."""

from __future__ import annotations

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from coalition.admin.mixins import ReadOnlyAdminMixin
from coalition.models import EndorsementEvent


class EndorsementEventInline(ReadOnlyAdminMixin, admin.TabularInline):
    """The audit trail on an endorsement's page; never written through the admin."""

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


@admin.register(EndorsementEvent)
class EndorsementEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """The audit trail as a whole, read-only for everyone."""

    list_display = ["at", "endorsement", "actor", "user", "from_status", "to_status", "reason"]
    list_filter = ["actor", "to_status", "from_status"]
    list_select_related = ["endorsement__organization", "endorsement__campaign", "user", "reason"]
    search_fields = ["endorsement__organization__name", "endorsement__public_id", "note"]
    date_hierarchy = "at"
    fields = ["endorsement", "at", "actor", "user", "from_status", "to_status", "reason", "note"]
    readonly_fields = fields
