"""An embargoed launch in a real browser (issue 22): a visitor finds nothing at the campaign's
address; its owner signs in and previews the page, with the banner naming the moment, and opens
the form through the private link, where a partner applies; the moment comes, the worker
launches, and the visitor's next look shows the campaign, its form public.

Screenshots in ``/tmp/shots/embargo/``."""

from __future__ import annotations

import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone

from coalition.campaigns import dates
from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.models import Campaign, Endorsement
from tests.browser.journeys import Applicant, fill_application, submit

SHOTS = Path("/tmp/shots/embargo")  # noqa: S108 - where the lead looks for them
SLUG = "press-launch"
KEY = "Hs2-private-link-key-for-the-press-launch-1"
PASSWORD = "launch-day-password-7"
# Long enough to see the page before, preview it and apply; the journey then waits it out.
EMBARGO = timedelta(seconds=30)


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def embargoed(reference_data) -> Campaign:
    campaign = Campaign.objects.create(
        slug=SLUG,
        title="Open letter on the chat control vote",
        lead="Organizations across Europe ask for safe, lawful detection.",
        statement="We, the undersigned organizations, stand together on the day of the vote.",
        organizer_name="Launch Coalition",
        time_zone="Europe/Brussels",
        publish_at=(timezone.now() + EMBARGO).replace(microsecond=0),
        preview_key=KEY,
    )
    dates.moments_tell()  # as the worker does on every pass
    return campaign


@pytest.fixture
def owner(embargoed) -> User:
    user = User.objects.create_user("olga", "olga@launch.example", PASSWORD, is_staff=True)
    CampaignMember.objects.create(campaign=embargoed, user=user, role=TeamRole.OWNER)
    return user


def test_a_campaign_is_invisible_until_its_moment_then_public_everywhere(
    browser, site, embargoed, owner
):
    visitor = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()
    team = browser.new_context(viewport={"width": 1200, "height": 900}).new_page()

    # A visitor who heard of it early finds nothing, not even in the list of campaigns.
    answer = visitor.goto(f"{site}/campaigns/{SLUG}/")
    assert answer.status == 404
    assert "Open letter" not in visitor.content()
    shoot(visitor, "1-visitor-before")
    assert visitor.goto(f"{site}/campaigns/{SLUG}/apply/").status == 404
    listed = visitor.goto(f"{site}/api/v1/campaigns/").json()
    assert SLUG not in [item["slug"] for item in listed]

    # Its owner signs in and previews the page as it will be.
    team.goto(f"{site}/review/preview/{SLUG}/")
    assert team.goto(f"{site}/review/preview/{SLUG}/").status == 404  # not signed in yet
    team.goto(f"{site}/admin/login/?next=/review/preview/{SLUG}/")
    team.get_by_label("Username").fill("olga")
    team.get_by_label("Password").fill(PASSWORD)
    submit(team, team.get_by_role("button", name="Log in"))
    banner = team.get_by_role("status").filter(has_text="Preview — not public until")
    assert banner.is_visible()
    assert "(Europe/Brussels)" in banner.inner_text()
    assert team.get_by_role("heading", name="Open letter on the chat control vote").is_visible()
    shoot(team, "2-owner-preview")

    # The preview's Sign on opens the form through the private link; a partner applies there.
    submit(team, team.get_by_role("link", name="Sign on").first)
    assert f"preview={KEY}" in team.url
    assert team.get_by_text("This campaign is not public yet").is_visible()
    fill_application(
        team,
        Applicant(
            name="Early Partner Network",
            website="https://early-partner.example.org",
            email="ada@early-partner.example.org",
        ),
    )
    shoot(team, "3-private-form")
    submit(team, team.get_by_role("button", name="Send"))
    assert team.get_by_role("heading", name="Check your email").is_visible()
    shoot(team, "4-private-form-sent")
    assert Endorsement.objects.filter(
        campaign=embargoed, organization__name="Early Partner Network"
    ).exists()

    # Still nothing for the visitor.
    assert visitor.goto(f"{site}/campaigns/{SLUG}/").status == 404

    # The moment comes; the worker tells the caches.
    time.sleep(max(0.0, (embargoed.publish_at - timezone.now()).total_seconds()) + 0.2)
    assert dates.worker_step() == 1

    answer = visitor.goto(f"{site}/campaigns/{SLUG}/")
    assert answer.status == 200
    assert visitor.get_by_role("heading", name="Open letter on the chat control vote").is_visible()
    assert not visitor.get_by_text("Preview — not public").count()
    shoot(visitor, "5-visitor-after")
    submit(visitor, visitor.get_by_role("link", name="Sign on").first)
    assert "preview=" not in visitor.url
    listed = visitor.goto(f"{site}/api/v1/campaigns/").json()
    assert SLUG in [item["slug"] for item in listed]
    embargoed.refresh_from_db()
    assert embargoed.launched_at is not None
