"""Importing the allies who already signed, in a real browser (issue 22): an owner uploads a CSV
with a bad row and a duplicate and a ZIP of logos, reads the report, imports the valid rows; the
worker runs; a contact confirms from the mail; a reviewer approves; the ally is on the wall."""

from __future__ import annotations

from pathlib import Path

from django.contrib.auth.models import User
from django.core import mail
from playwright.sync_api import expect

from coalition.campaigns.models import CampaignMember, TeamEvent, TeamRole
from coalition.imports.tasks import QUEUE
from coalition.jobs import tasks
from coalition.jobs.outbox import OUTBOX
from coalition.models import AllyImport, Endorsement, Organization
from tests.browser.journeys import button, field, link, mail_to, submit, t
from tests.imports.conftest import ally, csv_bytes, logo_png, logos_zip

Status = Endorsement.Status
SHOTS = Path("/tmp/shots/import")  # noqa: S108 - where the lead looks for them
PASSWORD = "owner horse battery"


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _sign_in(page, site: str, path: str, username: str, password: str) -> None:
    page.goto(f"{site}{path}")
    assert "/admin/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    submit(page, page.get_by_role("button", name="Log in"))
    assert page.url == f"{site}{path}"


def test_an_owner_imports_allies_a_contact_confirms_and_the_ally_appears(
    browser, site, settings, reference_data, reviewer_user
):
    campaign = reference_data
    # The work waits for the worker, as in production: the test plays the worker below.
    settings.BACKGROUND_WORK_IMMEDIATE = False
    owner = User.objects.create_user("olga", "olga@coalition.example", PASSWORD, is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=owner, role=TeamRole.OWNER)
    rows = [
        ally(
            1,
            name="Harbour Child Aid",
            website="https://harbour-aid.org",
            contact_email="mira@harbour-aid.org",
            contact_name="Mira Lenz",
            language="de",
        ),
        ally(2, name="Broken Row", country="Atlantis", contact_email="not-an-address"),
        ally(3, name="Harbour Child Aid again", website="https://www.harbour-aid.org/"),
    ]

    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _sign_in(page, site, "/review/import/", "olga", PASSWORD)
        expect(page.get_by_role("heading", level=1)).to_have_text("Import allies")
        field(page, "en", "CSV file").set_input_files(
            {"name": "allies.csv", "mimeType": "text/csv", "buffer": csv_bytes(rows)}
        )
        field(page, "en", "Logos (ZIP)").set_input_files(
            {
                "name": "logos.zip",
                "mimeType": "application/zip",
                "buffer": logos_zip({f"logo{n}.png": logo_png(n) for n in (1, 2, 3)}),
            }
        )
        _shot(page, "1-upload")
        submit(page, button(page, "en", "Check the file"))

        # The report: one to create, the bad row with the form's words, the duplicate.
        summary = page.locator(".import-summary")
        expect(summary).to_contain_text("3 rows")
        expect(summary).to_contain_text("1 organization to create")
        expect(summary).to_contain_text("2 invalid rows")
        table = page.get_by_role("table", name="The report, row by row")
        expect(table).to_contain_text("Will be created")
        expect(table).to_contain_text("Enter a valid email address.")
        expect(table).to_contain_text(
            "Select a valid choice. Atlantis is not one of the available choices."
        )
        expect(table).to_contain_text(
            "The same website as line 2: one organization, imported once."
        )
        expect(button(page, "en", "Import")).to_have_count(0)  # not while rows are invalid
        _shot(page, "2-report")
        assert Organization.objects.count() == 0

        submit(page, button(page, "en", "Import the valid rows"))
        expect(page.get_by_role("status").filter(has_text="Importing")).to_contain_text(
            "Importing: 0 of 1 rows done."
        )
        _shot(page, "3-waiting-for-the-worker")
        ally_import = AllyImport.objects.get()
        assert ally_import.state == AllyImport.State.QUEUED
        assert TeamEvent.objects.filter(action=TeamEvent.Action.IMPORTED, by=owner).exists()

        # The worker: the import's job, then the mail it queued.
        assert tasks.run(QUEUE).done == 1
        tasks.run(OUTBOX)
        # The page reloads itself (meta refresh) and shows the outcome.
        expect(page.get_by_role("status")).to_contain_text(
            "Done: 1 organization imported.", timeout=10_000
        )
        _shot(page, "4-done")
        endorsement = Endorsement.objects.get(organization__name="Harbour Child Aid")
        assert endorsement.status == Status.UNCONFIRMED
        assert endorsement.imported_in == ally_import
        assert endorsement.organization.logo is not None
    finally:
        context.close()

    # The contact reads the mail in German and confirms.
    message = mail_to(
        "mira@harbour-aid.org",
        t(
            "de",
            "“%(campaign)s” lists you as a signatory: please confirm",
            campaign=campaign.title_de,
        ),
    )
    assert link(message, "not-us")
    contact = browser.new_context(viewport={"width": 1000, "height": 800})
    contact.set_default_timeout(10_000)
    page = contact.new_page()
    try:
        page.goto(link(message, "confirm"))
        _shot(page, "5-confirm")
        submit(page, button(page, "de", "Confirm my address"))
        expect(page.get_by_role("heading", level=1)).to_have_text(
            t("de", "Thank you, your address is confirmed")
        )
        _shot(page, "6-confirmed")
    finally:
        contact.close()
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING

    # A reviewer approves it in the workspace.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _sign_in(page, site, "/review/", "reviewer", "correct horse battery")
        page.get_by_role("link", name="Harbour Child Aid").click()
        expect(page.locator("h1")).to_contain_text("Harbour Child Aid")
        _shot(page, "7-decision")
        submit(page, page.get_by_role("button", name="Approve"))
        endorsement.refresh_from_db()
        assert endorsement.status == Status.APPROVED

        # The ally is on the wall, for a new visitor.
        visitor = browser.new_context()
        wall = visitor.new_page()
        wall.goto(f"{site}/")
        expect(
            wall.locator(".wall").get_by_role("img", name="Harbour Child Aid", exact=True)
        ).to_be_visible()
        _shot(wall, "8-on-the-wall")
        visitor.close()
    finally:
        context.close()
    assert not Organization.objects.filter(
        name__in=["Broken Row", "Harbour Child Aid again"]
    ).exists()
    assert mail.outbox
