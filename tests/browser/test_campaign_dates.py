"""A visitor meets a campaign's dates in a real browser (issue 22): the count of allies against
the goal, the deadline and the timeline, in English and in French; then the deadline passes while
they fill in the form, and sending it is refused with the date, nothing stored, no mail; the
campaign's page (stored while it was open) now says closed.

Screenshots in ``/tmp/shots/dates/``."""

from __future__ import annotations

import re
import time
from datetime import date, timedelta
from pathlib import Path

import pytest
from django.core import mail
from django.utils import timezone, translation

from coalition.campaigns import dates
from coalition.campaigns import page as campaign_page
from coalition.models import Campaign, Endorsement, Milestone, Organization, Sector
from tests.browser import describe, run_axe
from tests.browser.journeys import Applicant, fill_application, t
from tests.wall_helpers import bulk_allies

SHOTS = Path("/tmp/shots/dates")  # noqa: S108 - where the lead looks for them
# Long enough to read the page in two languages and open the form; the journey then waits it out.
OPEN_FOR = timedelta(seconds=25)


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def dated(reference_data) -> Campaign:
    campaign = reference_data
    bulk_allies(campaign, Sector.objects.get(slug="child-protection-ngo"), 12, country="BE")
    campaign.goal = 50
    campaign.time_zone = "Europe/Brussels"
    # Its seconds dropped, as the owners' editor enters it: the page shows minutes.
    campaign.closes_at = (timezone.now() + OPEN_FOR).replace(microsecond=0)
    campaign.save()
    Milestone.objects.create(
        campaign=campaign,
        date=date(2027, 4, 12),
        title_en="Letter handed to the LIBE committee",
        title_fr="Lettre remise à la commission LIBE",
        link_en="https://example.org/libe",
        link_fr="https://example.org/fr/libe",
    )
    Milestone.objects.create(
        campaign=campaign,
        date=date(2027, 5, 20),
        title_en="Plenary vote",
        title_fr="Vote en plénière",
    )
    dates.moments_tell()  # as the worker does on every pass
    return campaign


def deadline_text(campaign: Campaign, language: str, message: str) -> str:
    with translation.override(language):
        return t(language, message, when=campaign_page.moment_text(campaign, campaign.closes_at))


def test_a_visitor_sees_the_goal_the_deadline_and_the_timeline_then_the_form_closes(
    page, site, dated
):
    campaign = dated
    page.goto(site + "/")

    bar = page.get_by_role("progressbar", name="12 of 50 organizations")
    assert bar.get_attribute("value") == "12"
    assert bar.get_attribute("max") == "50"
    deadline = deadline_text(campaign, "en", "Applications close on %(when)s.")
    assert "(Europe/Brussels)" in deadline
    assert page.get_by_text(deadline).is_visible()
    timeline = page.get_by_role("region", name="Timeline")
    steps = timeline.get_by_role("listitem").all_inner_texts()
    assert [re.sub(r"\s+", " ", step) for step in steps] == [
        "12 April 2027 Letter handed to the LIBE committee",
        "20 May 2027 Plenary vote",
    ]
    assert timeline.get_by_role("link", name="Letter handed to the LIBE committee").get_attribute(
        "href"
    ) == ("https://example.org/libe")
    shoot(page, "1-campaign-open-en")

    page.goto(site + "/fr/")
    assert page.get_by_role("progressbar", name="12 sur 50 organisations").is_visible()
    french_deadline = deadline_text(campaign, "fr", "Applications close on %(when)s.")
    assert french_deadline.startswith("Les candidatures sont ouvertes jusqu’au ")
    assert page.get_by_text(french_deadline).is_visible()
    calendrier = page.get_by_role("region", name="Calendrier")
    assert calendrier.get_by_role("link", name="Lettre remise à la commission LIBE").is_visible()
    assert "20 mai 2027" in calendrier.inner_text()
    shoot(page, "2-campaign-open-fr")

    # The visitor opens the form while it is open, and fills it in...
    page.goto(site + "/")
    page.get_by_role("link", name="Sign on", exact=True).click()
    page.wait_for_url("**/apply/**")
    applicant = Applicant(
        name="Late Harbour Trust", website="late-harbour.example.org", email="ada@late.example.org"
    )
    fill_application(page, applicant)
    shoot(page, "3-form-filled-before-the-deadline")

    # ...and sends it once the deadline has passed.
    wait = (campaign.closes_at - timezone.now()).total_seconds() + 1
    assert wait > 0, "the journey took longer than the form was open: raise OPEN_FOR"
    time.sleep(wait)
    with page.expect_navigation() as navigation:
        page.get_by_role("button", name=t("en", "Send application")).click()

    assert navigation.value.status == 410
    closed = deadline_text(campaign, "en", "Applications closed on %(when)s.")
    assert page.get_by_role("heading", name="Applications are closed").is_visible()
    assert page.get_by_text(closed).is_visible()
    assert page.locator("main form").count() == 0
    shoot(page, "4-sent-after-the-deadline")
    assert not Organization.objects.filter(name=applicant.name).exists()
    assert not Endorsement.objects.filter(contact_email=applicant.email).exists()
    assert mail.outbox == []

    # The campaign's page, stored while it was open, says closed, with no Sign on link.
    page.goto(site + "/")
    assert page.get_by_text(closed).is_visible()
    assert page.get_by_role("link", name="Sign on", exact=True).count() == 0
    assert page.get_by_role("progressbar", name="12 of 50 organizations").is_visible()
    shoot(page, "5-campaign-closed-en")

    page.goto(site + "/fr/apply/")
    assert page.get_by_role("heading", name="Les candidatures sont closes").is_visible()
    french_closed = deadline_text(campaign, "fr", "Applications closed on %(when)s.")
    assert french_closed.startswith("Les candidatures ont été closes le ")
    assert page.get_by_text(french_closed).is_visible()
    assert page.locator("main form").count() == 0
    shoot(page, "6-apply-closed-fr")


@pytest.mark.parametrize("path", ["/", "/fr/", "/apply/"])
def test_axe_finds_no_violations_with_the_goal_the_deadline_and_the_timeline(
    page, site, dated, axe, path
):
    if path == "/apply/":
        Campaign.objects.filter(pk=dated.pk).update(closes_at=timezone.now() - timedelta(hours=1))
    page.goto(site + path)
    page.wait_for_load_state("load")

    violations = run_axe(page)

    assert violations == [], describe(violations)
