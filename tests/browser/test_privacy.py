"""The privacy notice as people meet it, in Chromium, by visible labels: from the apply form's
consent boxes and from the footer, in French, with no accessibility violation; a screenshot in
/tmp/shots/."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from coalition.models import Endorsement
from tests.browser import describe, run_axe
from tests.browser.journeys import Applicant, button, fill_application, submit

SHOTS = Path("/tmp/shots")  # noqa: S108 - where the screenshots are looked at
APPLICANT = Applicant(
    name="Enfance Numérique Sûre", website="https://enfance.example.org", email="ines@enfance.org"
)


def test_the_notice_is_beside_the_consent_boxes_and_in_the_footer(
    page, site, reference_data, settings, axe
):
    settings.OPERATOR_NAME = "Coalition Enfance"
    settings.OPERATOR_EMAIL = "vie-privee@enfance.example"
    page.goto(f"{site}/fr/apply/")
    confirmations = page.get_by_role("group", name="Confirmations")
    links = confirmations.get_by_role(
        "link", name="Comment nous traitons vos données : politique de confidentialité"
    )
    expect(links).to_have_count(2)
    SHOTS.mkdir(exist_ok=True)
    confirmations.screenshot(path=str(SHOTS / "apply-consents-fr.png"))
    violations = run_axe(page)
    assert violations == [], describe(violations)

    page.get_by_role("contentinfo").get_by_role("link", name="Politique de confidentialité").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Politique de confidentialité")
    expect(page.get_by_role("heading", name="Ce que nous collectons")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Coalition Enfance")
    page.screenshot(path=str(SHOTS / "privacy-fr.png"), full_page=True)
    violations = run_axe(page)
    assert violations == [], describe(violations)

    page.get_by_role("contentinfo").get_by_role("link", name="Mentions légales").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mentions légales")
    expect(page.get_by_role("link", name="vie-privee@enfance.example")).to_be_visible()


def test_an_application_sent_in_french_keeps_the_french_words(page, site, reference_data):
    page.goto(f"{site}/fr/apply/")
    fill_application(page, APPLICANT, language="fr")
    submit(page, button(page, "fr", "Send application"))

    endorsement = Endorsement.objects.get()
    assert endorsement.consent_language == "fr"
    assert endorsement.consent_authority_words.startswith("J’ai l’autorisation")
