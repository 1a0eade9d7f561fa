"""A reviewer turns the single-key shortcuts off, or makes them need Alt, in a real browser
(WCAG 2.2 SC 2.1.4): the choice is made on the settings page, kept for their account, and
review.js then ignores the bare key."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect

from coalition import services
from coalition.models import (
    Endorsement,
    Organization,
    ReviewerSettings,
    Sector,
    email_domain_matches,
)
from tests.browser import describe, run_axe
from tests.browser.journeys import submit

Status = Endorsement.Status
PASSWORD = "correct horse battery"
# Long enough for a key's handler to have navigated or opened something, had it acted.
SETTLE_MS = 400


def _application(campaign, n: int) -> Endorsement:
    organization = Organization.objects.create(
        name=f"Birch Helpline {n}",
        website=f"https://birch-{n}.org",
        country="DE",
        sector=Sector.objects.get(slug="child-protection-ngo"),
    )
    endorsement = Endorsement.objects.create(
        organization=organization,
        campaign=campaign,
        status=Status.PENDING,
        contact_name=f"Contact {n}",
        contact_email=f"office@birch-{n}.org",
        domain_verified=email_domain_matches(f"office@birch-{n}.org", organization.domain),
        consent_authority=True,
        consent_publish=True,
        confirmed_at=timezone.now() - timedelta(days=3 - n),
    )
    services.evidence_refresh(endorsement=endorsement)
    return endorsement


@pytest.fixture
def queue(reference_data) -> list[Endorsement]:
    User.objects.create_user(
        "ana", "ana@registry.example", PASSWORD, is_staff=True, first_name="Ana"
    ).groups.add(Group.objects.get(name="Reviewers"))
    return [_application(reference_data, n) for n in (1, 2)]


@pytest.fixture
def page(browser, site, queue):
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    page.goto(f"{site}/review/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))
    yield page
    context.close()


def _choose(page, label: str) -> None:
    submit(page, page.get_by_role("link", name="Keyboard shortcuts"))
    violations = run_axe(page)
    assert violations == [], describe(violations)
    page.get_by_label(label).check()
    submit(page, page.get_by_role("button", name="Save"))
    expect(page.locator(".review-messages")).to_contain_text("Your keyboard shortcuts are saved.")


def _focused_row(page) -> str:
    return page.evaluate(
        "document.activeElement.matches('[data-row-link]') ? document.activeElement.textContent"
        " : ''"
    )


def test_with_shortcuts_off_the_single_keys_do_nothing(page, site, queue):
    _choose(page, "Off: keys do only what the browser and your assistive technology make them do.")
    assert ReviewerSettings.objects.get(reviewer__username="ana").shortcuts == "off"

    page.goto(f"{site}/review/")
    expect(page.locator("[data-shortcuts]")).to_have_count(0)
    page.keyboard.press("j")
    page.wait_for_timeout(SETTLE_MS)
    assert _focused_row(page) == ""

    screen = f"{site}/review/{queue[0].public_id}/"
    page.goto(screen)
    for key in ("a", "r", "j", "k"):
        page.keyboard.press(key)
        page.wait_for_timeout(SETTLE_MS)
        assert page.url == screen, key
    expect(page.locator("[data-reject]")).not_to_have_attribute("open", "")
    assert Endorsement.objects.get(pk=queue[0].pk).status == Status.PENDING


def test_with_the_alt_setting_the_keys_need_alt(page, site, queue):
    _choose(page, "With the Alt key: Alt+j, Alt+k, Alt+a and Alt+r (Option on a Mac).")
    assert ReviewerSettings.objects.get(reviewer__username="ana").shortcuts == "alt"

    # The queue: j alone moves nowhere; Alt+j moves to the first row.
    page.goto(f"{site}/review/")
    expect(page.locator("[data-shortcuts]")).to_contain_text("Alt+j next row")
    page.keyboard.press("j")
    page.wait_for_timeout(SETTLE_MS)
    assert _focused_row(page) == ""
    page.keyboard.press("Alt+j")
    expect(page.get_by_role("link", name="Birch Helpline 1")).to_be_focused()

    # The decision screen: r alone opens nothing, Alt+r opens the rejection at its first reason.
    screen = f"{site}/review/{queue[0].public_id}/"
    page.goto(screen)
    page.keyboard.press("r")
    page.wait_for_timeout(SETTLE_MS)
    expect(page.locator("[data-reject]")).not_to_have_attribute("open", "")
    page.keyboard.press("Alt+r")
    expect(page.locator("[data-reject] input[type=radio]").first).to_be_focused()

    # a alone approves nothing; Alt+a approves, and the next application opens.
    page.locator("body").click(position={"x": 5, "y": 5})
    page.keyboard.press("a")
    page.wait_for_timeout(SETTLE_MS)
    assert page.url == screen
    assert Endorsement.objects.get(pk=queue[0].pk).status == Status.PENDING
    with page.expect_navigation():
        page.keyboard.press("Alt+a")
    expect(page.locator("h1")).to_have_text("Birch Helpline 2")
    assert Endorsement.objects.get(pk=queue[0].pk).status == Status.APPROVED
