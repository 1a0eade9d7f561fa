"""An owner exports the campaign's allies for Salesforce NPSP from the campaign's editor, in a
real browser and by the labels a person reads: the file downloads, opens in openpyxl with NPSP's
labels and the Greek names intact, and the team's history records who exported."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.contrib.auth.models import User
from openpyxl import load_workbook
from playwright.sync_api import expect

from coalition.models import CampaignMember, Endorsement, Sector, TeamEvent, TeamRole
from tests.browser.journeys import submit
from tests.factories import endorsement

PASSWORD = "correct horse battery"


@pytest.fixture
def owner(reference_data) -> User:
    user = User.objects.create_user(
        "olga", "olga@ngo.example", PASSWORD, is_staff=True, first_name="Olga"
    )
    CampaignMember.objects.create(campaign=reference_data, user=user, role=TeamRole.OWNER)
    return user


def test_an_owner_downloads_the_allies_for_npsp(page, site, reference_data, owner, shot, tmp_path):
    campaign = reference_data
    ally = endorsement(
        number=9001,
        campaign=campaign,
        sector=Sector.objects.order_by("pk").first(),
        status=Endorsement.Status.APPROVED,
        name="Ένωση Γονέων 🛡️",
        country="GR",
    )
    Endorsement.objects.filter(pk=ally.pk).update(
        contact_name="Μαρία Παπαδοπούλου", updates_opt_in=True
    )
    endorsement(
        number=9002,
        campaign=campaign,
        sector=Sector.objects.order_by("pk").first(),
        name="Pending Applicant",
    )

    page.goto(f"{site}/review/campaigns/{campaign.slug}/")
    page.get_by_label("Username").fill("olga")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))
    section = page.get_by_role("region", name="Export allies for your CRM")
    expect(section).to_be_visible()
    section.get_by_label("Column names for").select_option(label="Salesforce NPSP Data Import")
    section.scroll_into_view_if_needed()
    shot(page, "editor")
    with page.expect_download() as download_info:
        section.get_by_role("button", name="Download Excel (XLSX)").click()
    download = download_info.value
    saved = Path(tmp_path) / download.suggested_filename
    download.save_as(saved)

    assert download.suggested_filename.startswith(f"allies-{campaign.slug}-npsp-")
    assert saved.suffix == ".xlsx"
    sheet = load_workbook(saved).active
    rows = [[cell.value for cell in row] for row in sheet.iter_rows()]
    header, *allies = rows
    values = [dict(zip(header, row, strict=True)) for row in allies]
    names = [value["Account1 Name"] for value in values]
    assert "Ένωση Γονέων 🛡️" in names
    assert "Pending Applicant" not in names
    greek = next(value for value in values if value["Account1 Name"] == "Ένωση Γονέων 🛡️")
    assert greek["Contact1 First Name"] == "Μαρία"
    assert greek["Contact1 Last Name"] == "Παπαδοπούλου"
    assert greek["Contact1 Consent Opt-In"] is True
    assert greek["Account1 Country"] == "GR"
    [event] = TeamEvent.objects.filter(action=TeamEvent.Action.EXPORTED)
    assert event.by == owner
    assert event.note.startswith("XLSX, npsp: ")
    # The page is still there, and the history shows the export.
    expect(section).to_be_visible()
    page.goto(f"{site}/review/team/{campaign.slug}/")
    expect(page.get_by_text("Allies exported")).to_be_visible()
    shot(page, "team-history")
