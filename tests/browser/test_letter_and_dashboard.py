"""The letter to deliver and the campaign owners' dashboard in a real browser: axe-core finds no
violation, at a desktop width and on a phone.

Screenshots go to /tmp/letter-shots/ for a person to look at (``LETTER_SCREENSHOTS=0`` turns
them off).
"""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command

from coalition.models import Campaign, Endorsement, Organization, Sector
from tests.browser import describe, run_axe
from tests.browser.journeys import submit

SHOTS = Path("/tmp/letter-shots")  # noqa: S108 - where the lead looks for them
PASSWORD = "correct horse battery"


@pytest.fixture
def demo(migrated_db) -> Campaign:
    """What ``make run`` shows, with signatories whose names are in other scripts."""
    call_command("seed_demo", "--force", stdout=io.StringIO())
    campaign = Campaign.objects.get(is_default=True)
    sector = Sector.objects.filter(parent__isnull=False).first() or Sector.objects.first()
    for name, country in (
        ("Ελληνική Ένωση Προστασίας του Παιδιού", "GR"),
        ("Фонд защиты детей", "BG"),
        ("جمعية حماية الطفل", "EG"),
    ):
        organization = Organization.objects.create(
            name=name,
            website=f"https://{country.lower()}.example.org",
            country=country,
            sector=sector,
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Endorsement.Status.APPROVED,
            consent_authority=True,
            consent_publish=True,
        )
    return campaign


def _shot(page, name: str) -> None:
    if os.getenv("LETTER_SCREENSHOTS", "1") == "0":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("query", ["", "?logos=1", "?lang=fr&logos=1"])
def test_axe_finds_no_violations_on_the_letter(page, site, demo, axe, query):
    page.goto(f"{site}/campaigns/{demo.slug}/letter/{query}")
    page.wait_for_load_state("load")

    violations = run_axe(page)

    assert violations == [], describe(violations)
    titles = {demo.title_en, demo.title_fr}
    assert page.get_by_role("heading", level=1).inner_text() in titles
    _shot(page, f"letter{query.replace('?', '-').replace('&', '-').replace('=', '')}")


def test_the_letter_fits_a_phone(page, site, demo, axe):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"{site}/campaigns/{demo.slug}/letter/?logos=1")

    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert run_axe(page) == []
    _shot(page, "letter-phone")


@pytest.fixture
def reviewer_user(migrated_db) -> User:
    user = User.objects.create_user(
        "owner", "owner@registry.example", PASSWORD, is_staff=True, first_name="Olu"
    )
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def _sign_in(page, site: str) -> None:
    page.goto(f"{site}/review/dashboard/")
    assert "/admin/login/" in page.url
    page.get_by_label("Username").fill("owner")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))
    assert page.url == f"{site}/review/dashboard/"


@pytest.mark.parametrize("width", [1280, 375])
def test_axe_finds_no_violations_on_the_dashboard(page, site, demo, reviewer_user, axe, width):
    Endorsement.objects.filter(pk__in=Endorsement.objects.values("pk")[:3]).update(
        source={"ref": "partner-newsletter", "utm_medium": "email"}
    )
    page.set_viewport_size({"width": width, "height": 900})
    _sign_in(page, site)

    violations = run_axe(page)

    assert violations == [], describe(violations)
    assert page.get_by_role("heading", name="Where applications come from").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    _shot(page, f"dashboard-{width}")
