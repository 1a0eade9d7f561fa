"""``/review/dashboard/``: the campaign owners' figures (``coalition.reviewing.figures``) as charts
with
their tables, and every series as CSV (``?format=csv``).

The same access as the rest of the workspace: staff who review every campaign or are on a
campaign's team, signed in through the admin's sign-in. A team member sees, and exports, the
figures of their own campaigns only ("Every campaign" then means all of theirs).
"""

from __future__ import annotations

import csv
from datetime import timedelta
from typing import Any

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.http import urlencode
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from coalition.endorsements import sources
from coalition.models import Campaign
from coalition.reviewing import figures
from coalition.wall import selectors
from coalition.web import spreadsheets
from review.access import base_context, review_scope, reviewer_required

ALL_CAMPAIGNS = "all"


class DashboardForm(forms.Form):
    campaign = forms.ChoiceField(label=_("Campaign"), required=False)
    weeks = forms.TypedChoiceField(
        label=_("Period"),
        coerce=int,
        required=False,
        empty_value=figures.DEFAULT_WEEKS,
    )

    def __init__(self, *args: Any, campaigns: list[Campaign], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].choices = [
            (ALL_CAMPAIGNS, _("Every campaign")),
            *((campaign.slug, campaign.title) for campaign in campaigns),
        ]
        # Made here, in the language of the request.
        self.fields["weeks"].choices = [
            (
                weeks,
                ngettext("The last %(count)d week", "The last %(count)d weeks", weeks)
                % {"count": weeks},
            )
            for weeks in figures.WEEK_CHOICES
        ]


def duration_text(value: timedelta | None) -> str:
    """A duration as a reviewer reads it: minutes, hours or days, one decimal at most."""
    if value is None:
        return "—"
    hours = value.total_seconds() / 3600
    if hours < 1:
        minutes = round(hours * 60)
        if minutes < 1:
            return gettext("less than a minute")
        return ngettext("%(count)s minute", "%(count)s minutes", minutes) % {"count": minutes}
    if hours < 48:
        shown = round(hours, 1)
        return ngettext("%(count)s hour", "%(count)s hours", _plural_count(shown)) % {
            "count": formats.number_format(shown, 1 if shown % 1 else 0)
        }
    days = round(hours / 24, 1)
    return ngettext("%(count)s day", "%(count)s days", _plural_count(days)) % {
        "count": formats.number_format(days, 1 if days % 1 else 0)
    }


def _plural_count(value: float) -> int:
    """The count a plural form is chosen by: 1 only for exactly one."""
    return 1 if value == 1 else max(int(value), 2)


def _hours(value: timedelta | None) -> str:
    return "" if value is None else f"{value.total_seconds() / 3600:.2f}"


def _percent(value: float | None) -> str:
    return "—" if value is None else formats.number_format(round(value * 100), 0) + " %"


def _source_key(row: dict[str, Any]) -> str:
    return " · ".join(f"{key}={row[key]}" for key in sources.KEYS if row[key]) or figures.NO_SOURCE


def csv_rows(data: figures.Dashboard) -> list[list[str]]:
    """Every series of the dashboard, one value a row: series, label, measure, value."""
    outcome_labels = dict(figures.OUTCOMES)
    rows: list[list[Any]] = [
        [gettext("Series"), gettext("Label"), gettext("Measure"), gettext("Value")]
    ]
    weekly = gettext("Applications per week")
    for week in data.weekly:
        label = f"{week['iso']} ({week['monday'].isoformat()})"
        for outcome, _label in figures.OUTCOMES:
            rows.append([weekly, label, outcome_labels[outcome], week["counts"][outcome]])
    rate = "" if data.approval_rate is None else f"{data.approval_rate:.4f}"
    rows.append([gettext("Approval rate"), "", gettext("Approved of decided"), rate])
    timing = gettext("Time from confirmation to decision")
    rows += [
        [timing, "", gettext("Decided"), data.decided],
        [timing, "", gettext("Median (hours)"), _hours(data.median_decision)],
        [timing, "", gettext("90th percentile (hours)"), _hours(data.p90_decision)],
    ]
    waiting = gettext("Waiting for review")
    rows += [
        [waiting, label, gettext("Applications"), count] for label, count in data.pending_buckets
    ]
    rows.append([waiting, "", gettext("Oldest (hours)"), _hours(data.oldest_pending)])
    allies = gettext("Allies")
    rows += [
        [gettext("Allies by country"), f"{name} ({code})", allies, count]
        for code, name, count in data.by_country
    ]
    rows += [[gettext("Allies by sector"), name, allies, count] for name, count in data.by_sector]
    where = gettext("Where applications come from")
    for label, count, approved in data.source_labels:
        rows.append([where, label, gettext("Applications"), count])
        rows.append([where, label, gettext("Approved"), approved])
    detail = gettext("Sources in detail")
    for row in data.source_rows:
        rows.append([detail, _source_key(row), gettext("Applications"), row["applications"]])
        rows.append([detail, _source_key(row), gettext("Approved"), row["approved"]])
    # Labels come from applicants (names, ref and UTM values): never run as formulas.
    return [[spreadsheets.defused(cell) for cell in row] for row in rows]


def _csv_response(data: figures.Dashboard) -> HttpResponse:
    response = HttpResponse(content_type="text/csv; charset=utf-8")
    slug = data.campaign.slug if data.campaign else ALL_CAMPAIGNS
    day = timezone.localdate().isoformat()
    response["Content-Disposition"] = f'attachment; filename="dashboard-{slug}-{day}.csv"'
    csv.writer(response).writerows(csv_rows(data))
    return response


def _rows(pairs: list[tuple[str, int]]) -> list[dict[str, Any]]:
    return [{"label": label, "value": value} for label, value in pairs]


def _context(data: figures.Dashboard) -> dict[str, Any]:
    countries = [(name, count) for _code, name, count in data.by_country]
    source_labels = [(label, count) for label, count, _approved in data.source_labels]
    return {
        "data": data,
        "outcomes": [{"slug": slug, "label": label} for slug, label in figures.OUTCOMES],
        "weekly_chart": figures.weekly_chart(data.weekly),
        "weekly_rows": [
            {"week": week, "cells": [week["counts"][slug] for slug, _label in figures.OUTCOMES]}
            for week in data.weekly
        ],
        "approval_rate": _percent(data.approval_rate),
        "median_decision": duration_text(data.median_decision),
        "p90_decision": duration_text(data.p90_decision),
        "oldest_pending": duration_text(data.oldest_pending),
        "pending_chart": figures.bar_chart(data.pending_buckets),
        "pending_rows": _rows(data.pending_buckets),
        "country_chart": figures.bar_chart(countries),
        "country_rows": _rows(countries),
        "sector_chart": figures.bar_chart(data.by_sector),
        "sector_rows": _rows(data.by_sector),
        "source_chart": figures.bar_chart(source_labels),
        "source_label_rows": [
            {"label": label, "value": count, "approved": approved}
            for label, count, approved in data.source_labels
        ],
        "source_rows": [
            {
                "cells": [row[key] for key in sources.KEYS],
                "applications": row["applications"],
                "approved": row["approved"],
            }
            for row in data.source_rows[: figures.MAX_SOURCE_ROWS]
        ],
        "source_rows_left_out": max(len(data.source_rows) - figures.MAX_SOURCE_ROWS, 0),
        "source_keys": sources.KEYS,
    }


@require_GET
@reviewer_required
def dashboard(request: HttpRequest) -> HttpResponse:
    scope = review_scope(request)
    campaigns = list(selectors.campaign_list() if scope is None else scope)
    form = DashboardForm(request.GET or None, campaigns=campaigns)
    default = next((campaign for campaign in campaigns if campaign.is_default), None)
    if default is None and scope is not None and len(campaigns) == 1:
        default = campaigns[0]
    campaign, weeks, status = default, figures.DEFAULT_WEEKS, 200
    if form.is_bound:
        if form.is_valid():
            slug = form.cleaned_data["campaign"] or (default.slug if default else ALL_CAMPAIGNS)
            campaign = next((c for c in campaigns if c.slug == slug), None)
            weeks = form.cleaned_data["weeks"] or figures.DEFAULT_WEEKS
        else:
            status = 400
    elif default is not None:
        form = DashboardForm(
            initial={"campaign": default.slug, "weeks": figures.DEFAULT_WEEKS},
            campaigns=campaigns,
        )
    data = figures.dashboard(campaign=campaign, weeks=weeks, campaigns=scope)
    if status == 200 and request.GET.get("format") == "csv":
        return _csv_response(data)
    params = {"campaign": campaign.slug if campaign else ALL_CAMPAIGNS, "weeks": weeks}
    context = {
        **base_context(request),
        **_context(data),
        "form": form,
        "csv_url": f"?{urlencode({**params, 'format': 'csv'})}",
    }
    return render(request, "review/dashboard.html", context, status=status)
