"""Campaign teams, their invitations and audit trail, and imports of allies: for superusers to
look up. Teams change only in the workspace (``/review/team/``) or by ``invite_to_campaign``,
through ``coalition.campaigns.invitations``; imports through ``coalition.imports``."""

from __future__ import annotations

from django.contrib import admin

from coalition.admin.mixins import ReadOnlyAdminMixin
from coalition.models import AllyImport, CampaignInvitation, CampaignMember, TeamEvent


@admin.register(CampaignMember)
class CampaignMemberAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["user", "campaign", "role", "created_at"]
    list_filter = ["campaign", "role"]
    search_fields = ["user__username", "user__email", "user__first_name", "user__last_name"]
    list_select_related = ["user", "campaign"]


@admin.register(CampaignInvitation)
class CampaignInvitationAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["email", "campaign", "role", "created_at", "expires_at", "accepted_at"]
    list_filter = ["campaign", "role"]
    search_fields = ["email"]
    list_select_related = ["campaign"]
    # The hash of the link's token is of no use to anyone reading this page.
    exclude = ["token_hash"]


@admin.register(TeamEvent)
class TeamEventAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["at", "campaign", "action", "by", "user", "email", "role"]
    list_filter = ["campaign", "action"]
    search_fields = ["email", "note"]
    list_select_related = ["campaign", "by", "user"]
    date_hierarchy = "at"


@admin.register(AllyImport)
class AllyImportAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "file_name",
        "campaign",
        "state",
        "rows_total",
        "rows_valid",
        "rows_done",
        "created_by",
        "created_at",
    ]
    list_filter = ["campaign", "state"]
    list_select_related = ["campaign", "created_by"]
    # The CSV holds contact data; the report says what each row became.
    exclude = ["csv_text"]
