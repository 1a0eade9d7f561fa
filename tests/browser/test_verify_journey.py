"""From the letter to an ally's proof page, and the verify page's check in the browser (issue 24),
in Chromium, by visible names: the proof page says what the database holds; "Check it in this
browser" verifies the live list, its minisign signature and the whole log with the page's own
script, and turns red when Playwright serves a list or a log altered on the way. Screenshots in
/tmp/h7-*.png."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from django.utils import formats, timezone
from playwright.sync_api import expect

from coalition import services
from coalition.ledger import signing
from coalition.models import Campaign, Endorsement, Sector
from tests.browser import describe, run_axe
from tests.factories import endorsement

Status = Endorsement.Status
SHOTS = Path("/tmp")  # noqa: S108 - where the screenshots are looked at
GREEK = "Ελληνικό Δίκτυο για τα Παιδιά 🌍"


@pytest.fixture
def coalition(reference_data: Campaign) -> dict[str, Endorsement]:
    """Three allies approved through the service (so the log has their entries), one of which
    then left, and one application still pending."""
    campaign = reference_data
    sector = Sector.objects.filter(parent__isnull=False).first() or Sector.objects.first()
    made = {}
    for number, name, country in [
        (1, GREEK, "GR"),
        (2, "Hafenlicht e.V.", "DE"),
        (3, "Porte Ouverte", "FR"),
    ]:
        ally = endorsement(
            number=number, campaign=campaign, sector=sector, name=name, country=country
        )
        if number == 1:
            # Its contact confirmed an address at its website's domain.
            Endorsement.objects.filter(pk=ally.pk).update(
                domain_verified=True, confirmed_at=timezone.now()
            )
        made[name] = services.endorsement_approve(
            endorsement=ally, by=None, acknowledged=True, note="Checked by hand."
        )
    services.endorsement_withdraw(endorsement=made["Porte Ouverte"])
    endorsement(number=4, campaign=campaign, sector=sector, name="Pending Padding Ltd")
    for ally in made.values():
        ally.refresh_from_db()
    return made


def _shoot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"h7-{name}.png"), full_page=True)


def test_a_reader_follows_the_letter_to_a_proof_page_and_verifies_the_list(
    page, site, coalition, axe
):
    greek = coalition[GREEK]
    campaign = greek.campaign
    page.goto(f"{site}/campaigns/{campaign.slug}/letter/")
    _shoot(page, "letter")
    # The letter ends with what makes it checkable.
    expect(page.get_by_role("heading", name="Check this list")).to_be_visible()
    expect(page.locator(".verification")).to_contain_text(signing.key_id())
    expect(page.get_by_text("Pending Padding Ltd")).to_have_count(0)

    page.get_by_role("link", name=GREEK).click()

    expect(page).to_have_url(f"{site}/campaigns/{campaign.slug}/allies/{greek.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text(GREEK)
    facts = page.locator(".ally-proof-facts")
    expect(facts).to_contain_text(greek.organization.website)
    expect(facts).to_contain_text("Greece")
    joined = formats.date_format(timezone.localtime(greek.approved_at), "DATE_FORMAT")
    expect(facts).to_contain_text(joined)
    expect(page.locator("[data-method]")).to_have_attribute("data-method", "email")
    expect(page.get_by_text(greek.contact_email)).to_have_count(0)
    _shoot(page, "proof-page")
    violations = run_axe(page)
    assert violations == [], describe(violations)

    page.get_by_role("link", name="How to check the list and the log").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Check the list of signatories")
    page.get_by_role("button", name="Check it in this browser").click()

    result = page.locator("#verify-result")
    expect(result).to_have_text(
        f"Verified: 2 signatories, log of 4 entries, signed by key {signing.key_id()}.",
        timeout=20_000,
    )
    expect(result).to_have_class(re.compile(r"\bok\b"))
    _shoot(page, "verify-green")
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_a_list_altered_on_the_way_is_shown_red(page, site, coalition):
    campaign = coalition[GREEK].campaign

    def padded(route) -> None:
        response = route.fetch()
        # One byte: the first name's last letter.
        body = response.body().replace(b"Hafenlicht e.V.", b"Hafenlicht e.W.")
        route.fulfill(response=response, body=body)

    page.route("**/signatories.json", padded)
    page.goto(f"{site}/campaigns/{campaign.slug}/verify/")
    page.get_by_role("button", name="Check it in this browser").click()

    result = page.locator("#verify-result")
    expect(result).to_contain_text("Not verified", timeout=20_000)
    expect(result).to_contain_text("The signature does not match the list")
    expect(result).to_have_class(re.compile(r"\bfailed\b"))
    _shoot(page, "verify-red-list")


def test_a_log_entry_removed_on_the_way_is_shown_red(page, site, coalition):
    campaign = coalition[GREEK].campaign

    def trimmed(route) -> None:
        response = route.fetch()
        log = json.loads(response.body())
        del log["entries"][1]
        route.fulfill(response=response, body=json.dumps(log))

    page.route("**/log.json*", trimmed)
    page.goto(f"{site}/campaigns/{campaign.slug}/verify/")
    page.get_by_role("button", name="Check it in this browser").click()

    result = page.locator("#verify-result")
    expect(result).to_contain_text("Not verified", timeout=20_000)
    expect(result).to_contain_text("Log entry 2: an entry is missing, repeated or out of order.")
    _shoot(page, "verify-red-log")


def test_the_wall_links_each_tile_to_its_proof_page(page, site, coalition):
    hafen = coalition["Hafenlicht e.V."]
    page.goto(f"{site}/")
    _shoot(page, "wall")

    # Its name: the visible "How we know", and the ally's name for a screen reader (Chromium puts
    # a space before the visually hidden part).
    page.get_by_role("link", name=re.compile(r"^How we know\s*: Hafenlicht e\.V\.$")).click()

    expect(page).to_have_url(f"{site}/campaigns/{hafen.campaign.slug}/allies/{hafen.public_id}/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Hafenlicht e.V.")
    _shoot(page, "wall-to-proof")
