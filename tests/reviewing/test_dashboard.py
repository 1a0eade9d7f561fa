"""The campaign owners' dashboard (/review/dashboard/), and the ref/UTM capture it reads."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.contrib.auth.models import User
from django.utils import timezone

from coalition.endorsements import sources
from coalition.models import Campaign, Endorsement
from coalition.reviewing import figures
from tests.factories import application_form
from tests.wall_helpers import bulk_allies, sector_tree

Status = Endorsement.Status
DASHBOARD = "/review/dashboard/"


@pytest.fixture
def sectors(db):
    return sector_tree()


def _csv(client, query: str = "") -> list[list[str]]:
    response = client.get(f"{DASHBOARD}?format=csv{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert response["Content-Disposition"].startswith('attachment; filename="dashboard-')
    return list(csv.reader(io.StringIO(response.content.decode())))


def _value(rows: list[list[str]], series: str, label: str, measure: str) -> str:
    matches = [row[3] for row in rows if row[:3] == [series, label, measure]]
    assert len(matches) == 1, (series, label, measure)
    return matches[0]


def _decided(make_endorsement, *, status: str, hours: float, **kwargs) -> Endorsement:
    """An application confirmed a day ago and decided ``hours`` later."""
    endorsement = make_endorsement(status=status, **kwargs)
    confirmed = timezone.now() - timedelta(days=1)
    decided = confirmed + timedelta(hours=hours)
    Endorsement.objects.filter(pk=endorsement.pk).update(
        confirmed_at=confirmed,
        decided_at=decided,
        approved_at=decided if status in (Status.APPROVED, Status.REMOVED) else None,
    )
    return endorsement


# Who gets in -------------------------------------------------------------------------------


def test_a_visitor_is_sent_to_the_admins_sign_in(client, db):
    response = client.get(DASHBOARD)

    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/review/dashboard/"


def test_staff_who_may_not_decide_are_refused(client, db):
    client.force_login(User.objects.create_user("clerk", "c@registry.example", "pw", is_staff=True))

    assert client.get(DASHBOARD).status_code == 403
    assert client.get(f"{DASHBOARD}?format=csv").status_code == 403


def test_reviewers_find_the_dashboard_in_the_workspace(reviewer_client, campaign):
    response = reviewer_client.get("/review/")

    assert response.status_code == 200
    assert b'href="/review/dashboard/"' in response.content
    dashboard_page = reviewer_client.get(DASHBOARD)
    assert dashboard_page.status_code == 200
    assert b'href="/review/dashboard/" aria-current="page"' in dashboard_page.content
    assert (
        "private" in dashboard_page["Cache-Control"]
        or "no-cache" in dashboard_page["Cache-Control"]
    )


# The figures -------------------------------------------------------------------------------


def test_applications_per_week_are_counted_by_outcome(
    reviewer_client, make_endorsement, campaign, sectors
):
    make_endorsement(status=Status.APPROVED, sector=sectors["tech"])
    _decided(make_endorsement, status=Status.REMOVED, hours=2, sector=sectors["tech"])
    make_endorsement(status=Status.REJECTED, sector=sectors["tech"])
    make_endorsement(status=Status.PENDING, sector=sectors["tech"])
    make_endorsement(status=Status.UNCONFIRMED, sector=sectors["tech"])
    make_endorsement(status=Status.WITHDRAWN, sector=sectors["tech"])
    old = make_endorsement(status=Status.REJECTED, sector=sectors["tech"])
    Endorsement.objects.filter(pk=old.pk).update(submitted_at=timezone.now() - timedelta(weeks=3))

    rows = _csv(reviewer_client, "&weeks=4")

    this_week = figures.week_start(timezone.now())
    iso_year, iso_week, _day = this_week.isocalendar()
    label = f"{iso_year}-W{iso_week:02d} ({this_week.isoformat()})"
    series = "Applications per week"
    # A removed ally was approved first: its application's outcome is an approval.
    assert _value(rows, series, label, "Approved") == "2"
    assert _value(rows, series, label, "Rejected") == "1"
    assert _value(rows, series, label, "Waiting for review") == "1"
    assert _value(rows, series, label, "Not confirmed") == "1"
    assert _value(rows, series, label, "Withdrawn before approval") == "1"
    assert len([row for row in rows if row[0] == series]) == 4 * len(figures.OUTCOMES)
    assert sum(int(row[3]) for row in rows if row[0] == series) == 7


def test_the_approval_rate_and_the_decision_times(
    reviewer_client, make_endorsement, campaign, sectors
):
    for hours in (1, 2, 3):
        _decided(make_endorsement, status=Status.APPROVED, hours=hours, sector=sectors["tech"])
    _decided(make_endorsement, status=Status.REJECTED, hours=10, sector=sectors["tech"])
    make_endorsement(status=Status.PENDING, sector=sectors["tech"])

    rows = _csv(reviewer_client)
    page = reviewer_client.get(DASHBOARD).content.decode()

    assert _value(rows, "Approval rate", "", "Approved of decided") == "0.7500"
    timing = "Time from confirmation to decision"
    assert _value(rows, timing, "", "Decided") == "4"
    # Interpolated between the nearest ranks, as PostgreSQL's percentile_cont does.
    assert _value(rows, timing, "", "Median (hours)") == "2.50"
    assert _value(rows, timing, "", "90th percentile (hours)") == "7.90"
    assert "75 %" in page
    assert "2.5 hours" in page
    assert "7.9 hours" in page


def test_applications_waiting_for_review_are_counted_by_their_age(
    reviewer_client, make_endorsement, campaign, sectors
):
    now = timezone.now()
    for age in (timedelta(hours=2), timedelta(days=2), timedelta(days=2), timedelta(days=40)):
        waiting = make_endorsement(status=Status.PENDING, sector=sectors["tech"])
        Endorsement.objects.filter(pk=waiting.pk).update(confirmed_at=now - age)

    rows = _csv(reviewer_client)

    series = "Waiting for review"
    assert _value(rows, series, "Under a day", "Applications") == "1"
    assert _value(rows, series, "1 to 3 days", "Applications") == "2"
    assert _value(rows, series, "1 to 2 weeks", "Applications") == "0"
    assert _value(rows, series, "Over 4 weeks", "Applications") == "1"
    assert float(_value(rows, series, "", "Oldest (hours)")) == pytest.approx(960, abs=0.1)


def test_allies_are_counted_by_country_and_by_sector(
    reviewer_client, make_endorsement, campaign, sectors
):
    bulk_allies(campaign, sectors["hotline"], 3, country="DE")
    bulk_allies(campaign, sectors["tech"], 2, country="FR")
    make_endorsement(status=Status.PENDING, country="IT", sector=sectors["tech"])

    rows = _csv(reviewer_client)

    assert _value(rows, "Allies by country", "Germany (DE)", "Allies") == "3"
    assert _value(rows, "Allies by country", "France (FR)", "Allies") == "2"
    assert not [row for row in rows if row[1] == "Italy (IT)"]
    assert _value(rows, "Allies by sector", "NGO › Hotline", "Allies") == "3"
    assert _value(rows, "Allies by sector", "Technology", "Allies") == "2"


def test_the_charts_are_svg_each_with_its_table(
    reviewer_client, make_endorsement, campaign, sectors
):
    bulk_allies(campaign, sectors["tech"], 4, country="DE")
    make_endorsement(status=Status.PENDING, sector=sectors["tech"])

    page = reviewer_client.get(f"{DASHBOARD}?weeks=26").content.decode()

    charts = [
        ET.fromstring(chunk.split("</svg>")[0] + "</svg>")  # noqa: S314 - our own markup
        for chunk in ["<svg" + part for part in page.split("<svg")[1:]]
    ]
    assert len(charts) == 5  # per week, waiting, countries, sectors, sources
    for chart in charts:
        assert chart.get("role") == "img"
        # Inline in HTML, so without the SVG namespace.
        assert chart.find("title").text
    assert len(charts[0].findall(".//g")) == 26
    assert page.count("<table") == 6
    assert "Germany" in page


def test_numbers_in_charts_are_not_localized(reviewer_client, make_endorsement, campaign, sectors):
    """In French a decimal comma would break every coordinate of the SVG."""
    make_endorsement(status=Status.PENDING, sector=sectors["tech"])
    bulk_allies(campaign, sectors["tech"], 3)

    page = reviewer_client.get(DASHBOARD, headers={"accept-language": "fr"}).content.decode()

    for chunk in page.split("<svg")[1:]:
        ET.fromstring("<svg" + chunk.split("</svg>")[0] + "</svg>")  # noqa: S314
        assert not [value for value in chunk.split('"') if value[:1].isdigit() and "," in value]


@pytest.mark.parametrize(
    ("language", "monday"), [("en", "18 Jan."), ("fr", "18 jan."), ("de", "18. Jan.")]
)
def test_the_weeks_under_the_chart_are_named_with_the_month_in_words(
    client, reviewer, campaign, make_endorsement, language, monday
):
    """ "14/09" reads as a fraction, or as February the 9th to some: the month in words."""
    with time_machine.travel(datetime(2027, 1, 20, 12, tzinfo=dt_timezone.utc), tick=False):
        client.force_login(reviewer)  # a session of that day
        make_endorsement(status=Status.PENDING)
        page = client.get(
            f"{DASHBOARD}?weeks=13", headers={"accept-language": language}
        ).content.decode()

    labels = re.findall(r'<text class="axis"[^>]*text-anchor="middle">([^<]+)</text>', page)
    assert labels[-1] == monday  # the Monday of the week of 20 January 2027
    assert not [label for label in labels if "/" in label]


def test_the_period_and_the_campaign_can_be_chosen(
    reviewer_client, make_endorsement, campaign, sectors
):
    other = Campaign.objects.create(slug="other", title="Other campaign", statement="Other.")
    make_endorsement(status=Status.PENDING, campaign=other, sector=sectors["tech"])
    make_endorsement(status=Status.PENDING, sector=sectors["tech"])

    only_other = _csv(reviewer_client, "&campaign=other")
    everything = _csv(reviewer_client, "&campaign=all&weeks=52")

    assert _value(only_other, "Waiting for review", "Under a day", "Applications") == "1"
    assert _value(everything, "Waiting for review", "Under a day", "Applications") == "2"
    assert len([row for row in everything if row[0] == "Applications per week"]) == 52 * 5


@pytest.mark.parametrize("query", ["?weeks=3", "?weeks=x", "?campaign=nowhere"])
def test_a_bad_choice_is_a_400_with_the_form_errors(reviewer_client, campaign, query):
    response = reviewer_client.get(f"{DASHBOARD}{query}")

    assert response.status_code == 400
    assert b"Select a valid choice" in response.content


@pytest.mark.parametrize("count", [10, 100])
def test_the_dashboard_reads_a_fixed_number_of_queries(
    reviewer_client, campaign, sectors, django_assert_max_num_queries, count
):
    # Every outcome and a few sources, ten times as many in the second run.
    now = timezone.now()
    for index, status in enumerate(
        (Status.APPROVED, Status.REJECTED, Status.PENDING, Status.UNCONFIRMED, Status.WITHDRAWN)
    ):
        made = bulk_allies(campaign, sectors["tech"], count // 5, status=status, prefix=status)
        Endorsement.objects.filter(pk__in=[e.pk for e in made]).update(
            confirmed_at=now - timedelta(days=2),
            decided_at=now - timedelta(days=1)
            if status in (Status.APPROVED, Status.REJECTED)
            else None,
            source={"ref": f"ref-{index}", "utm_medium": "email"},
        )

    with django_assert_max_num_queries(14):
        assert reviewer_client.get(DASHBOARD).status_code == 200
    with django_assert_max_num_queries(14):
        assert reviewer_client.get(f"{DASHBOARD}?format=csv").status_code == 200


# Where applications come from ---------------------------------------------------------------


def _hidden_source(page: str) -> str:
    marker = 'name="source" value="'
    assert marker in page
    return page.split(marker, 1)[1].split('"', 1)[0]


def test_the_ref_and_utm_parameters_of_the_link_are_stored_with_theapplication_form(
    client, campaign, sector, django_capture_on_commit_callbacks
):
    form = client.get(
        "/apply/?ref=partner-newsletter&utm_source=newsletter&utm_medium=email"
        "&utm_campaign=autumn&utm_content=button&utm_term=detection&other=ignored"
    )
    token = _hidden_source(form.content.decode())

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/apply/", application_form(sector, source=token))

    assert response.status_code == 303  # to "check your email"
    endorsement = Endorsement.objects.get()
    assert endorsement.source == {
        "ref": "partner-newsletter",
        "utm_source": "newsletter",
        "utm_medium": "email",
        "utm_campaign": "autumn",
        "utm_content": "button",
        "utm_term": "detection",
    }


def test_a_form_sent_back_with_errors_keeps_its_source(client, campaign, sector):
    token = _hidden_source(client.get("/apply/?ref=partner").content.decode())

    again = client.post("/apply/", application_form(sector, source=token, contact_email="bad"))

    assert again.status_code == 400
    assert sources.unsign(_hidden_source(again.content.decode())) == {"ref": "partner"}


def test_a_link_without_parameters_stores_no_source(client, campaign, sector):
    assert 'name="source"' not in client.get("/apply/").content.decode()

    client.post("/apply/", application_form(sector))

    assert Endorsement.objects.get().source == {}


@pytest.mark.parametrize(
    "page",
    [
        "http://testserver/?utm_source=newsletter&ref=press",
        "http://testserver/embed/keep-detection/?ref=press&theme=dark&utm_source=newsletter",
    ],
)
def test_without_a_script_the_form_reads_the_source_from_the_page_that_linked_to_it(
    client, campaign, sector, page
):
    # The Sign on link of a public page is plain (its bytes are the same for every visitor);
    # the browser names the page, with its address, in Referer.
    form = client.get("/apply/", HTTP_REFERER=page).content.decode()

    assert sources.unsign(_hidden_source(form)) == {"ref": "press", "utm_source": "newsletter"}


def test_the_links_own_parameters_win_over_the_page_that_linked_to_it(client, campaign, sector):
    form = client.get(
        "/apply/?ref=own", HTTP_REFERER="http://testserver/?ref=press&utm_source=newsletter"
    ).content.decode()

    assert sources.unsign(_hidden_source(form)) == {"ref": "own"}


@pytest.mark.parametrize(
    "referer",
    [
        "https://partner.example/?ref=press",
        "http://testserver.evil.example/?ref=press",
        "javascript://testserver/?ref=press",
        "",
    ],
)
def test_another_sites_address_is_no_source(client, campaign, sector, referer):
    form = client.get("/apply/", HTTP_REFERER=referer).content.decode()

    assert 'name="source"' not in form


def test_a_forged_or_oversized_source_is_dropped_never_refused(client, campaign, sector):
    forged = sources.sign({"ref": "x"})[:-3] + "abc"
    response = client.post("/apply/", application_form(sector, source=forged))

    assert response.status_code == 303  # to "check your email"
    assert Endorsement.objects.get().source == {}
    long_value = "a" * 500
    bounded = sources.clean({"ref": f"  {long_value}\x00 ", "utm_source": "\n", "evil": "x"})
    assert bounded == {"ref": "a" * sources.MAX_LENGTH}


def test_the_source_never_reaches_a_public_surface(
    client, make_endorsement, campaign, sector, reviewer
):
    ally = make_endorsement(status=Status.APPROVED, name="Source Trust")
    Endorsement.objects.filter(pk=ally.pk).update(
        source={"ref": "secret-partner-ref", "utm_campaign": "secret-utm-campaign"}
    )

    public = [
        "/",
        "/campaigns/keep-detection/",
        "/campaigns/keep-detection/letter/",
        "/campaigns/keep-detection/wall.svg",
        "/campaigns/keep-detection/feed/",
        "/embed/keep-detection/",
        "/api/v1/allies/",
        f"/api/v1/allies/{ally.public_id}/",
        "/api/v1/allies/?format=csv",
    ]
    for path in public:
        response = client.get(path)
        assert response.status_code == 200, path
        assert b"Source Trust" in response.content or path.endswith(".svg"), path
        assert b"secret-" not in response.content, path


def test_the_applicant_finds_their_source_in_their_data_download(make_endorsement):
    from coalition import services

    endorsement = make_endorsement(status=Status.PENDING)
    endorsement.source = {"ref": "partner"}
    endorsement.save()

    exported = services.endorsement_data_export(endorsement=endorsement)

    assert exported["application"]["source"] == {"ref": "partner"}
    assert json.dumps(exported)


def test_the_dashboard_counts_applications_by_where_they_came_from(
    reviewer_client, make_endorsement, campaign, sectors
):
    for source, status in (
        ({"ref": "partner"}, Status.APPROVED),
        ({"ref": "partner"}, Status.PENDING),
        ({"utm_source": "newsletter", "utm_medium": "email"}, Status.PENDING),
        ({"ref": '=HYPERLINK("http://evil")'}, Status.PENDING),
        ({}, Status.PENDING),
    ):
        made = make_endorsement(status=status, sector=sectors["tech"])
        Endorsement.objects.filter(pk=made.pk).update(source=source)

    rows = _csv(reviewer_client)
    page = reviewer_client.get(DASHBOARD).content.decode()

    where = "Where applications come from"
    assert _value(rows, where, "partner", "Applications") == "2"
    assert _value(rows, where, "partner", "Approved") == "1"
    assert _value(rows, where, "newsletter / email", "Applications") == "1"
    assert _value(rows, where, figures.NO_SOURCE, "Applications") == "1"
    # Opened in a spreadsheet, an applicant's value is text, never a formula.
    assert _value(rows, where, '\'=HYPERLINK("http://evil")', "Applications") == "1"
    assert not [cell for row in rows for cell in row if cell.startswith(("=", "+", "-", "@"))]
    assert "ref=partner" in "".join(row[1] for row in rows if row[0] == "Sources in detail")
    assert "newsletter / email" in page
