"""The queue's tabs: which applications each lists, in which order, and what comes next.

Every tab is one query (``select_related`` for the row's organization, logo, sector, campaign,
evidence and claim), whatever the number of rows; the counts of all the tabs are one more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce
from django.http import QueryDict
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from coalition.models import Campaign, Endorsement, EndorsementEvent, OrganizationVersion
from coalition.proofs.services import FLAGGED
from review.forms import QueueFilterForm

Status = Endorsement.Status
DEFAULT_TAB = "pending"


@dataclass(frozen=True)
class Tab:
    slug: str
    label: Promise
    # The sort key (an annotation below) and whether the newest come first.
    key: str
    newest_first: bool
    empty: Promise

    def url(self) -> str:
        return reverse("review:queue" if self.slug == DEFAULT_TAB else f"review:{self.slug}")

    def order(self) -> list[Any]:
        if self.newest_first:
            return [F(self.key).desc(nulls_last=True), "-pk"]
        return [F(self.key).asc(nulls_last=True), "pk"]


TABS: dict[str, Tab] = {
    tab.slug: tab
    for tab in (
        Tab(
            "pending",
            _("Needs a decision"),
            "waiting_since",
            False,
            _("Nothing is waiting for a decision."),
        ),
        Tab(
            "changes",
            _("Proposed changes"),
            "proposed_at",
            False,
            _("No approved organization has proposed changes."),
        ),
        Tab("reported", _("Reported"), "reported_at", True, _("Nobody has reported anything.")),
        # Approved allies whose DNS or web proof has been gone a week (manage.py recheck_domains).
        Tab(
            "proof",
            _("Proof missing"),
            "proof_missing_since",
            False,
            _("Every domain proof still holds."),
        ),
        Tab("decided", _("Decided"), "decided_at", True, _("Nothing has been decided yet.")),
    )
}


def _proposed() -> QuerySet[OrganizationVersion]:
    return OrganizationVersion.objects.filter(
        organization=OuterRef("organization"), state=OrganizationVersion.State.PROPOSED
    ).order_by()


def _reports() -> QuerySet[EndorsementEvent]:
    return EndorsementEvent.objects.filter(endorsement=OuterRef("pk"), reported=True).order_by(
        "-at"
    )


def annotated() -> QuerySet[Endorsement]:
    """Endorsements with what the tabs sort and select by."""
    return Endorsement.objects.annotate(
        waiting_since=Coalesce("confirmed_at", "submitted_at"),
        proposed_at=Subquery(_proposed().values("created_at")[:1]),
        reported_at=Subquery(_reports().values("at")[:1]),
        proof_missing_since=F("domain_proof__missing_since"),
    )


def in_tab(queryset: QuerySet[Endorsement], tab: Tab) -> QuerySet[Endorsement]:
    if tab.slug == "pending":
        return queryset.filter(status=Status.PENDING)
    if tab.slug == "changes":
        return queryset.filter(status=Status.APPROVED, proposed_at__isnull=False)
    if tab.slug == "reported":
        return queryset.filter(reported_at__isnull=False)
    if tab.slug == "proof":
        return queryset.filter(FLAGGED)
    return queryset.filter(decided_at__isnull=False)


@dataclass
class QueueState:
    """A tab with its filters, read from a request's GET (or a form's hidden fields), within
    the campaigns the reviewer reviews (``scope``; ``None``: every campaign)."""

    tab: Tab
    form: QueueFilterForm
    scope: QuerySet[Campaign] | None

    @classmethod
    def from_data(
        cls, data: QueryDict, *, scope: QuerySet[Campaign] | None, tab: str | None = None
    ) -> QueueState:
        chosen = TABS.get(tab or data.get("tab", ""), TABS[DEFAULT_TAB])
        filters = {name: data.get(name, "") for name in ("campaign", "country", "sector", "q")}
        form = QueueFilterForm({k: v for k, v in filters.items() if v})
        if scope is not None:
            # Another team's campaign is no choice: not listed, and refused if typed in the URL.
            form.fields["campaign"].queryset = scope
            # Nor are the countries only other campaigns' applicants come from.
            present = set(
                Endorsement.objects.filter(campaign__in=scope)
                .order_by()
                .values_list("organization__country", flat=True)
                .distinct()
            )
            form.fields["country"].choices = [
                choice for choice in form.fields["country"].choices if choice[0] in {"", *present}
            ]
        return cls(tab=chosen, form=form, scope=scope)

    @property
    def valid(self) -> bool:
        return self.form.is_valid()

    def params(self, *, with_tab: bool = True) -> list[tuple[str, str]]:
        """The state as GET parameters, defaults left out (what links and forms carry)."""
        pairs = [("tab", self.tab.slug)] if with_tab and self.tab.slug != DEFAULT_TAB else []
        if self.form.is_bound:
            for name in ("campaign", "country", "sector", "q"):
                value = self.form.data.get(name, "")
                if value:
                    pairs.append((name, value))
        return pairs

    def query(self, *, with_tab: bool = True) -> str:
        pairs = self.params(with_tab=with_tab)
        return f"?{urlencode(pairs)}" if pairs else ""

    def filter(self, queryset: QuerySet[Endorsement]) -> QuerySet[Endorsement]:
        """``queryset`` narrowed to the reviewer's campaigns, and by the filters (by none while
        they are not valid)."""
        if self.scope is not None:
            queryset = queryset.filter(campaign__in=self.scope)
        if not self.valid:
            return queryset
        data = self.form.cleaned_data
        if data["campaign"] is not None:
            queryset = queryset.filter(campaign=data["campaign"])
        if data["country"]:
            queryset = queryset.filter(organization__country=data["country"])
        if data["sector"] is not None:
            sector = data["sector"]
            queryset = queryset.filter(
                Q(organization__sector=sector) | Q(organization__sector__parent=sector)
            )
        search = data["q"].strip()
        if search:
            queryset = queryset.filter(
                Q(organization__name__icontains=search)
                | Q(organization__domain__icontains=search)
                | Q(organization__website__icontains=search)
                | Q(contact_email__icontains=search)
                | Q(public_id__iexact=search)
            )
        return queryset

    def rows(self) -> QuerySet[Endorsement]:
        """This tab's applications, in its order, with everything a row shows."""
        return (
            self.filter(in_tab(annotated(), self.tab))
            .select_related(
                "organization__logo",
                "organization__sector__parent",
                "campaign",
                "evidence",
                "review_claim__reviewer",
                "decided_by",
                "domain_proof",
            )
            .order_by(*self.tab.order())
        )

    def counts(self) -> dict[str, int]:
        """How many applications each tab lists with these filters, in one query."""
        queryset = self.filter(
            Endorsement.objects.annotate(
                has_proposal=Exists(_proposed()),
                was_reported=Exists(_reports()),
            )
        )
        return queryset.aggregate(
            pending=Count("pk", filter=Q(status=Status.PENDING)),
            changes=Count("pk", filter=Q(status=Status.APPROVED, has_proposal=True)),
            reported=Count("pk", filter=Q(was_reported=True)),
            proof=Count("pk", filter=FLAGGED),
            decided=Count("pk", filter=Q(decided_at__isnull=False)),
        )

    def neighbour(
        self,
        endorsement: Endorsement,
        *,
        forward: bool = True,
        free_for: AbstractBaseUser | None = None,
        now: datetime | None = None,
    ) -> Endorsement | None:
        """The application after (or before) ``endorsement`` in this tab's order, whether or not
        ``endorsement`` itself is still in the tab. ``free_for``: skip those another reviewer
        holds a claim on."""
        position = annotated().filter(pk=endorsement.pk).values(self.tab.key).first()
        if position is None:
            return None
        queryset = self.filter(in_tab(annotated(), self.tab)).exclude(pk=endorsement.pk)
        if free_for is not None:
            now = now or timezone.now()
            queryset = queryset.filter(
                Q(review_claim__isnull=True)
                | Q(review_claim__expires_at__lte=now)
                | Q(review_claim__reviewer=free_for)
            )
        key = self.tab.key
        value = position[key]
        later = forward != self.tab.newest_first  # further along the ascending key
        if value is None:
            # Only "decided" and "reported" keys are ever null, and then the row is not in the
            # tab: start from its end.
            after = queryset if forward else queryset.none()
        elif later:
            after = queryset.filter(
                Q(**{f"{key}__gt": value}) | Q(**{key: value, "pk__gt": endorsement.pk})
            )
        else:
            after = queryset.filter(
                Q(**{f"{key}__lt": value}) | Q(**{key: value, "pk__lt": endorsement.pk})
            )
        order = self.tab.order() if forward else _reversed(self.tab)
        return after.select_related("organization").order_by(*order).first()

    def head(
        self, *, free_for: AbstractBaseUser | None = None, now: datetime | None = None
    ) -> Endorsement | None:
        """The first application of the tab (another reviewer's claims skipped)."""
        queryset = self.filter(in_tab(annotated(), self.tab))
        if free_for is not None:
            now = now or timezone.now()
            queryset = queryset.filter(
                Q(review_claim__isnull=True)
                | Q(review_claim__expires_at__lte=now)
                | Q(review_claim__reviewer=free_for)
            )
        return queryset.select_related("organization").order_by(*self.tab.order()).first()


def _reversed(tab: Tab) -> list[Any]:
    if tab.newest_first:
        return [F(tab.key).asc(nulls_first=True), "pk"]
    return [F(tab.key).desc(nulls_first=True), "-pk"]
