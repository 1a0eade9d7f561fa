"""The campaign page in a real browser: accessible (axe-core), usable by keyboard, fitting phones,
and the screenshots in ``docs/`` (``UPDATE_SCREENSHOTS=1`` writes them there; otherwise to
``/tmp/journeys`` with ``JOURNEY_SCREENSHOTS=1``)."""

from __future__ import annotations

import io
import os
from pathlib import Path

import pytest
from django.core.management import call_command

from coalition.models import Campaign
from tests.browser import ROOT, describe, run_axe

DOCS = ROOT / "docs"


@pytest.fixture
def demo(migrated_db, settings) -> Campaign:
    """What ``make run`` shows a new user: the reference data and the demo, branded."""
    call_command("seed_demo", "--force", stdout=io.StringIO())
    return Campaign.objects.get(is_default=True)


def _all_images_loaded(page) -> None:
    # Logos load lazily: scroll through the page so that a full-page screenshot has them all.
    height = page.evaluate("document.body.scrollHeight")
    for y in range(0, height, 600):
        page.evaluate(f"window.scrollTo(0, {y})")
        page.wait_for_timeout(30)
    page.evaluate("window.scrollTo(0, 0)")
    # A function, not an expression: Playwright evaluates an expression again at every poll,
    # which the page's CSP (no 'unsafe-eval') refuses once the first poll has failed.
    page.wait_for_function("() => [...document.images].every(image => image.complete)")


@pytest.mark.parametrize(
    "path",
    ["/", "/fr/", "/de/?country=DE", "/embed/keep-detection-legal/?theme=campaign"],
)
def test_axe_finds_no_violations_on_the_campaign_page(page, site, demo, axe, path):
    page.goto(site + path)
    page.wait_for_load_state("load")

    violations = run_axe(page)

    assert violations == [], describe(violations)


def test_the_campaign_page_takes_its_accent_and_shows_the_map(page, site, demo):
    page.goto(site + "/")

    button = page.get_by_role("link", name="Sign on", exact=True)
    assert button.evaluate("element => getComputedStyle(element).backgroundColor") == (
        "rgb(29, 78, 216)"
    )
    assert page.locator(".map-figure svg a").count() == page.locator(".map-table tbody tr").count()
    # A country on the map leads to the wall filtered to it.
    page.locator('.map-figure svg a[href*="country=DE"]').click()
    page.wait_for_url("**/?country=DE*")
    assert page.locator(".active-filters a").count() == 1


def test_the_keyboard_goes_through_the_table_not_the_map(page, site, demo):
    page.goto(site + "/")
    focusable = page.evaluate(
        "[...document.querySelectorAll('.map-figure a')].filter(a => a.tabIndex >= 0).length"
    )
    table_link = page.locator(".map-table a").first

    table_link.focus()

    assert focusable == 0
    assert table_link.evaluate("element => getComputedStyle(element).outlineStyle") == "solid"


@pytest.mark.parametrize("width", [320, 375])
def test_the_campaign_page_fits_a_phone(page, site, demo, width):
    page.set_viewport_size({"width": width, "height": 800})
    page.goto(site + "/")

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )

    assert overflow <= 0


@pytest.mark.parametrize("width", [1280, 375])
def test_screenshots_of_the_campaign_page(page, site, demo, width):
    page.set_viewport_size({"width": width, "height": 900})
    page.goto(site + "/")
    _all_images_loaded(page)

    if os.getenv("UPDATE_SCREENSHOTS", "") == "1":
        target = DOCS / f"campaign-{width}.png"
    elif os.getenv("JOURNEY_SCREENSHOTS", "") == "1":
        target = Path("/tmp/journeys") / f"campaign-{width}.png"  # noqa: S108
    else:
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000
