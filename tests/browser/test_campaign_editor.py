"""An owner edits their campaign in the workspace, in a real browser and by the labels a person
reads: the French title and a new milestone, saved, with the success message; a mistake brings
the error summary, focused, and keeps what was typed."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from playwright.sync_api import expect

from coalition.models import CampaignMember, TeamEvent, TeamRole
from tests.browser import axe_missing, describe, run_axe
from tests.browser.journeys import submit

PASSWORD = "correct horse battery"
SHOTS = Path("/tmp/shots/editor")  # noqa: S108 - where the screenshots are looked at


@pytest.fixture
def owner(reference_data) -> User:
    user = User.objects.create_user(
        "olga", "olga@ngo.example", PASSWORD, is_staff=True, first_name="Olga"
    )
    CampaignMember.objects.create(campaign=reference_data, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture
def page(browser, site, owner):
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{site}/review/campaigns/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))
    yield page
    context.close()


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _check_accessibility(page) -> None:
    if axe_missing():
        return
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_an_owner_changes_the_french_title_and_adds_a_milestone(page, reference_data, owner):
    campaign = reference_data
    expect(page.get_by_role("heading", name="Your campaigns")).to_be_visible()
    _shot(page, "1-list")
    submit(page, page.get_by_role("link", name=campaign.title_en, exact=True))
    expect(page.get_by_role("heading", level=1)).to_contain_text(campaign.title_en)
    _check_accessibility(page)
    _shot(page, "2-editor")

    page.get_by_role("group", name="French", exact=True).get_by_label("Title (French)").fill(
        "Un nouveau titre"
    )
    new = page.get_by_role("group", name="New milestone")
    new.get_by_label("Date").fill("2027-04-15")
    new.get_by_label("Title (English)").fill("Plenary vote")
    new.get_by_label("Title (French)").fill("Vote en plénière")
    new.get_by_label("Link (English)").fill("https://www.europarl.europa.eu/plenary")
    submit(page, page.get_by_role("button", name="Save the campaign"))

    expect(page.get_by_role("status")).to_contain_text("The campaign is saved.")
    expect(page.get_by_role("group", name="New milestone")).to_be_visible()
    expect(page.get_by_label("Title (French)").first).to_have_value("Un nouveau titre")
    _shot(page, "3-saved")
    # On a phone: one column, nothing scrolls sideways.
    page.set_viewport_size({"width": 375, "height": 800})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    _shot(page, "5-phone")
    campaign.refresh_from_db()
    assert campaign.title_fr == "Un nouveau titre"
    milestone = campaign.milestones.get()
    assert (str(milestone.date), milestone.title_en, milestone.title_fr) == (
        "2027-04-15",
        "Plenary vote",
        "Vote en plénière",
    )
    event = TeamEvent.objects.get(campaign=campaign)
    assert event.by == owner
    assert event.note == "Changed: title (fr), timeline"


def test_a_mistake_brings_the_summary_into_focus_and_keeps_the_input(page, reference_data):
    german_title = reference_data.title_de
    submit(page, page.get_by_role("link", name=reference_data.title_en, exact=True))
    german = page.get_by_role("group", name="German", exact=True)
    german.get_by_label("Title (German)").fill("Ein deutscher Titel")
    page.get_by_label("Accent colour").fill("#ffff00")
    page.get_by_label("Time zone").select_option("Europe/Brussels")
    page.get_by_label("Goes public").fill("2027-03-28T02:30")

    with page.expect_navigation():
        page.get_by_role("button", name="Save the campaign").click()

    summary = page.get_by_role("alert")
    expect(summary).to_be_focused()
    expect(summary).to_contain_text("too light to read on the page")
    expect(summary).to_contain_text("does not exist in Europe/Brussels")
    expect(
        page.get_by_role("group", name="German", exact=True).get_by_label("Title (German)")
    ).to_have_value("Ein deutscher Titel")
    expect(page.get_by_label("Goes public")).to_have_value("2027-03-28T02:30")
    expect(page.get_by_text("Europe/Brussels time").first).to_be_visible()
    _check_accessibility(page)
    _shot(page, "4-errors")
    summary.get_by_role("link", name="Accent colour").click()
    expect(page.get_by_label("Accent colour")).to_be_focused()
    reference_data.refresh_from_db()
    assert reference_data.title_de == german_title
    assert reference_data.publish_at is None
