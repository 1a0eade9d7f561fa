"""Domain proofs and the record of every check, to look at: the worker and the services write
them (``coalition.proofs.services``), nobody edits them here."""

from __future__ import annotations

from django.contrib import admin
from django.utils.html import format_html_join
from django.utils.translation import gettext_lazy as _

from coalition.admin.mixins import ReadOnlyAdminMixin
from coalition.models import DomainCheck, DomainProof
from coalition.proofs import services as proofs


class ProofStateFilter(admin.SimpleListFilter):
    title = _("state")
    parameter_name = "state"

    def lookups(self, request, model_admin):
        return [
            ("holds", _("Holds")),
            ("missing", _("Missing")),
            ("flagged", _("Missing for a week (in the review queue)")),
        ]

    def queryset(self, request, queryset):
        if self.value() == "holds":
            return queryset.filter(missing_since__isnull=True)
        if self.value() == "missing":
            return queryset.filter(missing_since__isnull=False)
        if self.value() == "flagged":
            return queryset.filter(missing_since__isnull=False, flagged_at__isnull=False)
        return queryset


@admin.register(DomainProof)
class DomainProofAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "endorsement",
        "domain",
        "method",
        "first_proven_at",
        "proven_at",
        "missing_since",
        "flagged_at",
    ]
    list_filter = [ProofStateFilter, "method"]
    search_fields = ["domain", "endorsement__organization__name", "endorsement__public_id"]
    list_select_related = ["endorsement__organization", "endorsement__campaign"]
    fields = [
        "endorsement",
        "domain",
        "method",
        "checked",
        "first_proven_at",
        "proven_at",
        "missing_since",
        "flagged_at",
    ]
    readonly_fields = fields


@admin.register(DomainCheck)
class DomainCheckAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = [
        "endorsement",
        "domain",
        "reason",
        "outcome",
        "method",
        "created_at",
        "done_at",
        "attempts",
    ]
    list_filter = ["outcome", "reason", "method"]
    search_fields = ["domain", "endorsement__organization__name", "endorsement__public_id"]
    list_select_related = ["endorsement__organization", "endorsement__campaign"]
    date_hierarchy = "created_at"
    fields = [
        "endorsement",
        "domain",
        "reason",
        "outcome",
        "method",
        "what_was_found",
        "created_at",
        "done_at",
        "attempts",
        "next_attempt_at",
        "last_error",
    ]
    readonly_fields = fields

    @admin.display(description=_("what was found"))
    def what_was_found(self, obj: DomainCheck) -> str:
        return format_html_join(
            "", "<p>{}</p>", ((proofs.describe(finding),) for finding in obj.findings)
        )
