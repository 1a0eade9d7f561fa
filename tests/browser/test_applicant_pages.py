"""The sign-on pages and the campaign page as people meet them (issue 21, "Applicants"), in
Chromium, by visible labels: applying once however often the page is reloaded or sent again, the
error summary in view and focused, the first field on the first screen, a way to sign on again,
the count and Sign on above the fold, filters that open at the wall, and screenshots at 1280 and
375 px in /tmp/shots/."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from django.core.management import call_command
from PIL import Image
from playwright.sync_api import expect

from coalition.endorsements import tokens
from coalition.images import heroes
from coalition.models import Campaign, Endorsement, OutboundEmail, Sector
from tests.browser import describe, run_axe
from tests.browser.journeys import Applicant, button, field, fill_application, mails_to, submit
from tests.wall_helpers import bulk_allies, make_logo

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the screenshots are looked at
DESKTOP = {"width": 1280, "height": 800}
PHONE = {"width": 375, "height": 812}
APPLICANT = Applicant(
    name="Enfance Numérique Sûre", website="https://enfance.example.org", email="ines@enfance.org"
)


@pytest.fixture
def demo(migrated_db) -> Campaign:
    """The campaign ``make run`` shows: reference data, demo allies, the demo organizer."""
    call_command("seed_demo", "--force", stdout=io.StringIO())
    return Campaign.objects.get(is_default=True)


def _viewport(page, size: dict[str, int]) -> None:
    page.set_viewport_size(size)


def _in_first_screen(locator, height: int) -> bool:
    box = locator.bounding_box()
    # A fragment scrolls to a fraction of a pixel.
    return box is not None and box["y"] >= -1 and box["y"] + box["height"] <= height


def _shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"))


def _confirmations() -> int:
    return OutboundEmail.objects.filter(template="confirm").count()


def test_reload_and_back_after_applying_make_one_application_and_one_mail(
    page, site, reference_data, mailoutbox, axe
):
    page.goto(f"{site}/apply/")
    fill_application(page, APPLICANT)
    submit(page, button(page, "en", "Send application"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert page.url == f"{site}/apply/sent/"
    expect(page.locator("main")).to_contain_text(APPLICANT.email)

    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert Endorsement.objects.count() == 1
    violations = run_axe(page)
    assert violations == [], describe(violations)

    # Back to the form, and Send again: browsers keep no file, so the person chooses it again.
    page.go_back()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign on")
    fill_application(page, APPLICANT)
    submit(page, button(page, "en", "Send application"))

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert Endorsement.objects.count() == 1
    assert _confirmations() == 1
    assert len(mails_to(APPLICANT.email)) == 1


def test_an_invalid_submit_shows_and_focuses_the_error_summary(page, site, reference_data, axe):
    _viewport(page, DESKTOP)
    page.goto(f"{site}/apply/")
    field(page, "en", "Organization name").fill("Enfance Numérique Sûre")

    with page.expect_navigation():
        button(page, "en", "Send application").click()

    summary = page.get_by_role("alert").filter(has_text="Please correct the following")
    expect(summary).to_be_visible()
    assert page.evaluate("() => document.activeElement.id") == "error-summary"
    assert _in_first_screen(summary, DESKTOP["height"])
    # The checkbox's error sits under its label's text, not beside the box.
    consent = page.locator(".field.checkbox").first
    label = consent.locator("label").bounding_box()
    error = consent.locator(".errors").bounding_box()
    assert abs(error["x"] - label["x"]) <= 1
    assert error["y"] >= label["y"] + label["height"] - 1
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_the_first_field_is_on_the_first_screen_beside_the_campaigns_look(
    page, site, reference_data
):
    reference_data.statement_en = "\n\n".join(["We ask lawmakers to act. " * 12] * 8)
    reference_data.organizer_name_en = "Northlight Alliance"
    reference_data.accent_color = "#1d4ed8"
    reference_data.save()
    _viewport(page, DESKTOP)

    page.goto(f"{site}/apply/")

    assert _in_first_screen(field(page, "en", "Organization name"), DESKTOP["height"])
    expect(page.locator("header")).to_contain_text("Northlight Alliance")
    expect(page.locator("header")).not_to_contain_text("Coalition Registry")
    back = page.get_by_role("link", name=re.compile("Back to"))
    assert _in_first_screen(back, DESKTOP["height"])
    sign_on = button(page, "en", "Send application")
    assert sign_on.evaluate("element => getComputedStyle(element).backgroundColor") == (
        "rgb(29, 78, 216)"
    )
    # The statement is one click away.
    page.get_by_text("The statement you are endorsing").click()
    expect(page.locator("details.campaign-statement blockquote")).to_be_visible()
    back.click()
    assert page.url == f"{site}/"


def test_after_withdrawing_the_manage_page_offers_to_sign_on_again(
    page, site, reference_data, make_ally, axe
):
    ally = make_ally()
    manage = f"{site}/manage/{tokens.manage_token(ally)}/"

    page.goto(manage)
    page.get_by_label("Yes, withdraw our organization from this campaign.").check()
    submit(page, button(page, "en", "Withdraw"))
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your organization has been withdrawn"
    )
    assert Endorsement.objects.get(pk=ally.pk).status == Endorsement.Status.WITHDRAWN

    page.goto(manage)
    again = page.get_by_role("link", name="Sign on again")
    expect(again).to_be_visible()
    violations = run_axe(page)
    assert violations == [], describe(violations)
    again.click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Sign on")


@pytest.fixture
def make_ally(reference_data):
    def make() -> Endorsement:
        sector = Sector.objects.get(slug="child-protection-ngo")
        return bulk_allies(reference_data, sector, 1, prefix="Rowan Helpline")[0]

    return make


def test_the_count_and_sign_on_stay_on_the_first_screen_under_a_hero_image(page, site, demo):
    demo.hero_image = heroes.hero_store(heroes.process(Image.new("RGB", (2400, 1000), "navy")))
    demo.save()
    _viewport(page, DESKTOP)

    page.goto(f"{site}/")

    assert _in_first_screen(page.locator(".hero-image img"), DESKTOP["height"])
    assert _in_first_screen(page.locator(".tally .count"), DESKTOP["height"])
    assert _in_first_screen(page.get_by_role("link", name="Sign on", exact=True), DESKTOP["height"])
    _shoot(page, "campaign-1280-hero")


def test_filtering_on_a_phone_opens_at_the_wall(page, site, demo):
    _viewport(page, PHONE)
    page.goto(f"{site}/")

    filters = page.get_by_role("search", name="Filter the organizations")
    filters.locator("summary", has_text="Country").click()
    filters.get_by_role("checkbox").first.check()
    with page.expect_navigation():
        filters.get_by_role("button", name="Show").click()

    assert page.url.endswith("#wall")
    assert page.evaluate("() => window.scrollY") > 1000
    heading = page.get_by_role("heading", name="Who stands together")
    assert _in_first_screen(heading, PHONE["height"])


def test_each_filters_counts_follow_the_other_filter(page, site, reference_data):
    helpline = Sector.objects.get(slug="child-protection-ngo")
    tech = Sector.objects.exclude(pk=helpline.pk).exclude(parent=helpline).first()
    logo = make_logo()
    bulk_allies(reference_data, helpline, 3, country="DE", logo=logo)
    bulk_allies(reference_data, tech, 2, country="FR", logo=logo)
    page.goto(f"{site}/?country=DE")

    filters = page.get_by_role("search", name="Filter the organizations")
    filters.locator("summary", has_text="Sector").click()
    # Under Germany, every sector offered shows what choosing it shows.
    options = filters.locator("input[name=sector]")
    assert options.count() >= 1
    for index in range(options.count()):
        label = filters.locator(f"label[for='{options.nth(index).get_attribute('id')}']")
        count = int(label.locator(".n").inner_text())
        options.nth(index).check()
        with page.expect_navigation():
            filters.get_by_role("button", name="Show").click()
        assert page.locator(".wall .ally").count() == count, label.inner_text()
        page.goto(f"{site}/?country=DE")
        filters.locator("summary", has_text="Sector").click()


def test_the_builders_theme_choices_keep_each_radio_beside_its_label(page, site, demo):
    _viewport(page, PHONE)
    page.goto(f"{site}/campaigns/{demo.slug}/embed/")

    for name in ("Light", "Dark", "Campaign colours"):
        radio = page.get_by_role("radio", name=name).bounding_box()
        label = page.locator("label", has_text=name).first.bounding_box()
        assert abs((radio["y"] + radio["height"] / 2) - (label["y"] + label["height"] / 2)) < 6
        assert label["height"] < 30, name  # one line


@pytest.mark.parametrize("size", [DESKTOP, PHONE], ids=["1280", "375"])
def test_screenshots_of_the_apply_and_campaign_pages(page, site, demo, size):
    _viewport(page, size)
    width = size["width"]

    page.goto(f"{site}/")
    page.wait_for_load_state("load")
    _shoot(page, f"campaign-{width}")
    page.get_by_role("heading", name="Why they signed").scroll_into_view_if_needed()
    _shoot(page, f"campaign-{width}-statements")

    page.goto(f"{site}/apply/")
    _shoot(page, f"apply-{width}")
    with page.expect_navigation():
        button(page, "en", "Send application").click()
    _shoot(page, f"apply-{width}-errors")
    confirmations = page.get_by_role("group", name="Confirmations")
    confirmations.screenshot(path=str(SHOTS / f"apply-{width}-checkbox-errors.png"))

    page.goto(f"{site}/campaigns/{demo.slug}/embed/")
    looks = page.get_by_role("group", name="How it looks")
    looks.screenshot(path=str(SHOTS / f"builder-{width}-looks.png"))

    page.goto(f"{site}/#wall")
    tile = page.locator(".ally", has=page.locator(".ally-statement")).first
    tile.locator("summary").click()
    tile.scroll_into_view_if_needed()
    _shoot(page, f"campaign-{width}-tile-statement")
