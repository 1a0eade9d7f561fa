"""The campaign owners' figures: applications per week by outcome, the approval rate, how long
decisions take, how long the waiting ones have waited, the allies by country and by sector, and
where applications come from (``coalition.endorsements.sources``).

Every figure is an aggregate the database computes, so the number of queries stays the same
whatever the number of applications (``tests/reviewing/test_dashboard.py`` counts them); Python only
fills in empty weeks and lays out the charts. The charts are SVG drawn by templates
(``templates/review/dashboard*.html``) from the numbers and geometry made here.

Not public: for the reviewers' workspace only (``review.dashboard``). The sources in
particular never leave it but as counts.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from django.db.models import (
    Case,
    CharField,
    Count,
    DurationField,
    ExpressionWrapper,
    F,
    Min,
    Q,
    QuerySet,
    Value,
    When,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Coalesce, TruncWeek
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_countries import countries

from coalition.endorsements import sources
from coalition.models import Campaign, Endorsement
from coalition.wall import selectors
from coalition.wall.queries import AllyQuery
from coalition.web import languages

Status = Endorsement.Status
WEEK_CHOICES = (4, 12, 26, 52)
DEFAULT_WEEKS = 12

# What became of an application, in the order the charts stack and the tables list them.
OUTCOMES: tuple[tuple[str, Any], ...] = (
    ("approved", _("Approved")),
    ("rejected", _("Rejected")),
    ("withdrawn", _("Withdrawn before approval")),
    ("pending", _("Waiting for review")),
    ("unconfirmed", _("Not confirmed")),
)
# Approved ones stay approved here when they are later withdrawn or removed: the decision was
# an approval.
_OUTCOME = Case(
    When(approved_at__isnull=False, then=Value("approved")),
    When(status=Status.REJECTED, then=Value("rejected")),
    When(status=Status.WITHDRAWN, then=Value("withdrawn")),
    When(status=Status.PENDING, then=Value("pending")),
    default=Value("unconfirmed"),
    output_field=CharField(),
)
# Removal writes decided_at again: the decision to approve is approved_at.
_DECIDED_AT = Coalesce("approved_at", "decided_at")
_DECIDED = Q(approved_at__isnull=False) | Q(status=Status.REJECTED, decided_at__isnull=False)

# How long the applications now waiting for review have waited: (upper bound, label).
PENDING_BUCKETS: tuple[tuple[timedelta | None, Any], ...] = (
    (timedelta(days=1), _("Under a day")),
    (timedelta(days=3), _("1 to 3 days")),
    (timedelta(days=7), _("3 to 7 days")),
    (timedelta(days=14), _("1 to 2 weeks")),
    (timedelta(days=28), _("2 to 4 weeks")),
    (None, _("Over 4 weeks")),
)
NO_SOURCE = "—"
# A bar chart shows this many bars at most; its table (and the CSV) has every row.
MAX_BARS = 15
# The detailed table of sources lists this many combinations at most; the CSV has them all.
MAX_SOURCE_ROWS = 50


# Chart geometry: numbers for the templates --------------------------------------------------


@dataclass(frozen=True)
class Segment:
    outcome: str
    value: int
    y: float
    height: float


@dataclass(frozen=True)
class Column:
    label: str
    iso: str
    total: int
    x: float
    center: float
    show_label: bool  # with many weeks, every other one (or fewer) is named under the axis
    segments: list[Segment]


@dataclass(frozen=True)
class Tick:
    value: int
    y: float


@dataclass(frozen=True)
class WeeklyChart:
    width: int
    height: int
    plot_top: int
    plot_bottom: int
    plot_left: int
    plot_right: int
    bar_width: float
    columns: list[Column]
    ticks: list[Tick]


@dataclass(frozen=True)
class Bar:
    label: str
    value: int
    y: float
    width: float
    share: float  # of the chart's total, 0-1


@dataclass(frozen=True)
class BarChart:
    width: int
    height: int
    label_width: int
    bar_height: int
    bars: list[Bar]
    rest: int  # bars left out of the chart (they are in its table)


def nice_ceiling(value: int) -> int:
    """The smallest of 1, 2, 5 × 10^n at or above ``value`` (at least 1): a round axis top."""
    if value <= 1:
        return 1
    magnitude = 10 ** math.floor(math.log10(value))
    for step in (1, 2, 5, 10):
        if step * magnitude >= value:
            return step * magnitude
    return 10 * magnitude  # pragma: no cover - the loop always returns


def weekly_chart(weeks: list[dict[str, Any]]) -> WeeklyChart:
    width, height = 720, 260
    left, right, top, bottom = 44, 12, 12, 36
    plot_width, plot_height = width - left - right, height - top - bottom
    top_value = nice_ceiling(max((week["total"] for week in weeks), default=0))
    slot = plot_width / max(len(weeks), 1)
    bar_width = max(slot * 0.7, 2)
    scale = plot_height / top_value
    label_every = math.ceil(len(weeks) / 13) or 1
    columns = []
    for index, week in enumerate(weeks):
        y = top + plot_height
        segments = []
        for outcome, _label in OUTCOMES:
            value = week["counts"][outcome]
            if not value:
                continue
            segment_height = value * scale
            y -= segment_height
            segments.append(Segment(outcome, value, round(y, 2), round(segment_height, 2)))
        x = left + index * slot + (slot - bar_width) / 2
        columns.append(
            Column(
                label=week["label"],
                iso=week["iso"],
                total=week["total"],
                x=round(x, 2),
                center=round(x + bar_width / 2, 2),
                show_label=(len(weeks) - 1 - index) % label_every == 0,
                segments=segments,
            )
        )
    ticks = [
        Tick(value=value, y=round(top + plot_height - value * scale, 2))
        for value in _tick_values(top_value)
    ]
    return WeeklyChart(
        width=width,
        height=height,
        plot_top=top,
        plot_bottom=top + plot_height,
        plot_left=left,
        plot_right=width - right,
        bar_width=round(bar_width, 2),
        columns=columns,
        ticks=ticks,
    )


def _tick_values(top_value: int) -> list[int]:
    step = top_value / 4 if top_value % 4 == 0 and top_value >= 4 else top_value / 2
    if top_value < 2:
        return [0, top_value]
    count = round(top_value / step)
    return [round(step * index) for index in range(count + 1)]


def bar_chart(rows: list[tuple[str, int]]) -> BarChart:
    """Horizontal bars for ``rows`` (label, value), the first ``MAX_BARS`` of them."""
    shown = rows[:MAX_BARS]
    width, label_width, bar_height, gap = 720, 220, 18, 8
    plot_width = width - label_width - 56
    top_value = max((value for _label, value in shown), default=0) or 1
    total = sum(value for _label, value in rows) or 1
    bars = [
        Bar(
            label=label,
            value=value,
            y=index * (bar_height + gap),
            width=round(max(value / top_value * plot_width, 1 if value else 0), 2),
            share=value / total,
        )
        for index, (label, value) in enumerate(shown)
    ]
    return BarChart(
        width=width,
        height=max(len(bars) * (bar_height + gap) - gap, bar_height),
        label_width=label_width,
        bar_height=bar_height,
        bars=bars,
        rest=len(rows) - len(shown),
    )


# The figures --------------------------------------------------------------------------------


@dataclass
class Dashboard:
    campaign: Campaign | None
    weeks: int
    since: date
    now: datetime
    weekly: list[dict[str, Any]]
    totals: dict[str, int]
    approval_rate: float | None
    decided: int
    median_decision: timedelta | None
    p90_decision: timedelta | None
    pending: int
    oldest_pending: timedelta | None
    pending_buckets: list[tuple[str, int]]
    allies_total: int
    by_country: list[tuple[str, str, int]]  # code, name, count
    by_sector: list[tuple[str, int]]
    source_labels: list[tuple[str, int, int]]  # label, applications, approved
    source_rows: list[dict[str, Any]] = field(default_factory=list)


def week_start(moment: datetime) -> date:
    """The Monday of ``moment``'s week, in the site's time zone (what ``TruncWeek`` gives)."""
    day = timezone.localtime(moment).date()
    return day - timedelta(days=day.weekday())


def _within(
    queryset: QuerySet[Endorsement],
    campaign: Campaign | None,
    campaigns: QuerySet[Campaign] | None,
) -> QuerySet[Endorsement]:
    """``campaign``'s applications, else those of ``campaigns`` (``None``: every campaign)."""
    if campaign is not None:
        return queryset.filter(campaign=campaign)
    if campaigns is not None:
        return queryset.filter(campaign__in=campaigns)
    return queryset


def _applications(
    campaign: Campaign | None, campaigns: QuerySet[Campaign] | None, since: datetime
) -> QuerySet[Endorsement]:
    return _within(Endorsement.objects.filter(submitted_at__gte=since), campaign, campaigns)


def _weekly(applications: QuerySet[Endorsement], first: date, count: int) -> list[dict[str, Any]]:
    rows = (
        applications.annotate(week=TruncWeek("submitted_at"), outcome=_OUTCOME)
        .values("week", "outcome")
        .order_by()
        .annotate(n=Count("pk"))
    )
    found: dict[date, dict[str, int]] = {}
    for row in rows:
        week = row["week"]
        day = timezone.localtime(week).date() if isinstance(week, datetime) else week
        found.setdefault(day, {})[row["outcome"]] = row["n"]
    weeks = []
    for index in range(count):
        monday = first + timedelta(weeks=index)
        counts = {outcome: found.get(monday, {}).get(outcome, 0) for outcome, _label in OUTCOMES}
        iso_year, iso_week, _day = monday.isocalendar()
        weeks.append(
            {
                "monday": monday,
                "iso": f"{iso_year}-W{iso_week:02d}",
                "label": monday,
                "counts": counts,
                "total": sum(counts.values()),
            }
        )
    return weeks


def _percentile(ordered: QuerySet, count: int, fraction: float) -> timedelta | None:
    """The ``fraction`` percentile of ``count`` values in ``ordered`` (sorted), interpolated
    between the two nearest ranks, as PostgreSQL's ``percentile_cont`` does: one query, which
    reads two rows."""
    if not count:
        return None
    position = (count - 1) * fraction
    low = math.floor(position)
    values = list(ordered[low : low + 2])
    if len(values) == 1 or position == low:
        return values[0]
    return values[0] + (values[1] - values[0]) * (position - low)


def _decision_times(
    applications: QuerySet[Endorsement],
) -> tuple[int, timedelta | None, timedelta | None]:
    decided = applications.filter(_DECIDED, confirmed_at__isnull=False).annotate(
        took=ExpressionWrapper(_DECIDED_AT - F("confirmed_at"), output_field=DurationField())
    )
    count = decided.aggregate(n=Count("pk"))["n"]
    ordered = decided.order_by("took").values_list("took", flat=True)
    return count, _percentile(ordered, count, 0.5), _percentile(ordered, count, 0.9)


def _pending(
    campaign: Campaign | None, campaigns: QuerySet[Campaign] | None, now: datetime
) -> tuple[int, timedelta | None, list]:
    waiting = _within(Endorsement.objects.filter(status=Status.PENDING), campaign, campaigns)
    waiting = waiting.annotate(waiting_since=Coalesce("confirmed_at", "submitted_at"))
    counts: dict[str, Any] = {}
    lower = None
    for index, (upper, _label) in enumerate(PENDING_BUCKETS):
        condition = Q()
        if upper is not None:
            condition &= Q(waiting_since__gt=now - upper)
        if lower is not None:
            condition &= Q(waiting_since__lte=now - lower)
        counts[f"bucket{index}"] = Count("pk", filter=condition)
        lower = upper
    figures = waiting.aggregate(total=Count("pk"), oldest=Min("waiting_since"), **counts)
    buckets = [
        (str(label), figures[f"bucket{index}"])
        for index, (_upper, label) in enumerate(PENDING_BUCKETS)
    ]
    oldest = now - figures["oldest"] if figures["oldest"] else None
    return figures["total"], oldest, buckets


def _allies(
    campaign: Campaign | None, campaigns: QuerySet[Campaign] | None
) -> tuple[int, list, list]:
    sectors = {sector.pk: sector for sector in selectors.sectors_all()}
    if campaign is None:
        # Every campaign (of ``campaigns``): the same counts, summed over them in the database.
        rows = (
            _within(Endorsement.objects.filter(status=Status.APPROVED), None, campaigns)
            .values("organization__country", "organization__sector_id")
            .order_by()
            .annotate(count=Count("pk"))
            .values_list("organization__country", "organization__sector_id", "count")
        )
        by_country: dict[str, int] = {}
        by_sector_id: dict[int, int] = {}
        for code, sector_id, count in rows:
            by_country[code] = by_country.get(code, 0) + count
            by_sector_id[sector_id] = by_sector_id.get(sector_id, 0) + count
        total = sum(by_country.values())
    else:
        facets = selectors.ally_facets(AllyQuery(campaign=campaign.slug))
        by_country, by_sector_id, total = facets.countries, facets.sectors, facets.total
    countries_rows = sorted(
        ((code, str(countries.name(code)) or code, count) for code, count in by_country.items()),
        key=lambda row: (-row[2], languages.collation_key(row[1])),
    )
    sector_rows = sorted(
        ((_sector_name(sectors, sector_id), count) for sector_id, count in by_sector_id.items()),
        key=lambda row: (-row[1], languages.collation_key(row[0])),
    )
    return total, countries_rows, sector_rows


def _sector_name(sectors: dict[int, Any], sector_id: int) -> str:
    sector = sectors.get(sector_id)
    if sector is None:
        return str(sector_id)
    parent = sectors.get(sector.parent_id) if sector.parent_id else None
    return f"{parent.name} › {sector.name}" if parent else sector.name


def source_label(row: dict[str, Any]) -> str:
    """How the dashboard names where an application came from: its ``ref``, else its
    ``utm_source`` (with its medium), else ``NO_SOURCE``."""
    if row.get("ref"):
        return row["ref"]
    if row.get("utm_source"):
        medium = row.get("utm_medium")
        return f"{row['utm_source']} / {medium}" if medium else row["utm_source"]
    return NO_SOURCE


def _sources(applications: QuerySet[Endorsement]) -> tuple[list, list]:
    keys = {key: KT(f"source__{key}") for key in sources.KEYS}
    rows = (
        applications.annotate(**{f"s_{key}": value for key, value in keys.items()})
        .values(*(f"s_{key}" for key in sources.KEYS))
        .order_by()
        .annotate(n=Count("pk"), approved=Count("pk", filter=Q(approved_at__isnull=False)))
    )
    combinations = []
    by_label: dict[str, list[int]] = {}
    for row in rows:
        values = {key: row[f"s_{key}"] or "" for key in sources.KEYS}
        combinations.append({**values, "applications": row["n"], "approved": row["approved"]})
        tally = by_label.setdefault(source_label(values), [0, 0])
        tally[0] += row["n"]
        tally[1] += row["approved"]
    combinations.sort(key=lambda row: (-row["applications"], *(row[key] for key in sources.KEYS)))
    labels = sorted(
        ((label, n, approved) for label, (n, approved) in by_label.items()),
        key=lambda row: (-row[1], row[0]),
    )
    return labels, combinations


def dashboard(
    *,
    campaign: Campaign | None,
    weeks: int = DEFAULT_WEEKS,
    campaigns: QuerySet[Campaign] | None = None,
) -> Dashboard:
    """The figures of ``campaign`` (``None``: every campaign of ``campaigns``, or every campaign
    at all when that is ``None`` too) over the last ``weeks`` weeks, this one included, in a
    fixed number of queries. A campaign's team passes its campaigns: nothing of the others."""
    now = timezone.now()
    first = week_start(now) - timedelta(weeks=weeks - 1)
    since = timezone.make_aware(datetime.combine(first, datetime.min.time()))
    applications = _applications(campaign, campaigns, since)
    weekly = _weekly(applications, first, weeks)
    totals = {
        outcome: sum(week["counts"][outcome] for week in weekly) for outcome, _label in OUTCOMES
    }
    settled = totals["approved"] + totals["rejected"]
    decided, median, p90 = _decision_times(applications)
    pending, oldest, buckets = _pending(campaign, campaigns, now)
    allies_total, by_country, by_sector = _allies(campaign, campaigns)
    labels, combinations = _sources(applications)
    return Dashboard(
        campaign=campaign,
        weeks=weeks,
        since=first,
        now=now,
        weekly=weekly,
        totals=totals,
        approval_rate=totals["approved"] / settled if settled else None,
        decided=decided,
        median_decision=median,
        p90_decision=p90,
        pending=pending,
        oldest_pending=oldest,
        pending_buckets=buckets,
        allies_total=allies_total,
        by_country=by_country,
        by_sector=by_sector,
        source_labels=labels,
        source_rows=combinations,
    )
