"""``/review/import/``: an owner uploads a CSV and logos, reads the report, imports; nobody else
sees the page, and a GET changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import TestCase

from coalition.campaigns.models import CampaignMember, TeamEvent, TeamRole
from coalition.models import AllyImport, Campaign, Endorsement, Organization
from tests.imports.conftest import ally, csv_bytes, logo_png, logos_zip

State = AllyImport.State


@pytest.fixture
def owner(campaign) -> User:
    user = User.objects.create_user("owner", "owner@registry.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def upload(client, campaign, rows, logos=(1, 2)):
    return client.post(
        "/review/import/",
        {
            "campaign": campaign.pk,
            "csv_file": SimpleUploadedFile("allies.csv", csv_bytes(rows), "text/csv"),
            "logos": SimpleUploadedFile(
                "logos.zip", logos_zip({f"logo{n}.png": logo_png(n) for n in logos})
            ),
        },
    )


def test_the_page_is_a_404_for_a_reviewer_who_owns_no_campaign(reviewer_client, campaign):
    assert reviewer_client.get("/review/import/").status_code == 404


def test_the_page_sends_strangers_to_sign_in(client, campaign):
    response = client.get("/review/import/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_campaigns_import_is_a_404_for_an_owner(owner_client, owner, sector):
    other = Campaign.objects.create(slug="other", title="Other", statement="x")
    elsewhere = AllyImport.objects.create(campaign=other, file_name="x.csv")
    assert owner_client.get(f"/review/import/{elsewhere.pk}/").status_code == 404
    assert (
        owner_client.post(f"/review/import/{elsewhere.pk}/", {"action": "import"}).status_code
        == 404
    )


def test_the_campaign_is_chosen_among_the_owned_ones(owner_client, campaign):
    Campaign.objects.create(slug="other", title="Not mine", statement="x")
    response = owner_client.get("/review/import/")
    assert response.status_code == 200
    assert "Keep detection legal" in response.text
    assert "Not mine" not in response.text


def test_an_owner_uploads_reads_the_report_and_imports_the_valid_rows(
    owner_client, owner, campaign, sector, mailoutbox
):
    response = upload(owner_client, campaign, [ally(1), ally(2, contact_email="nobody"), ally(3)])
    ally_import = AllyImport.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/review/import/{ally_import.pk}/"

    page = owner_client.get(response["Location"])
    assert page.status_code == 200
    assert "2 invalid rows" in page.text
    assert "Enter a valid email address." in page.text
    assert "There is no file named logo3.png among the logos." in page.text
    assert "Import the valid rows" in page.text
    # Reading the report twice changes nothing.
    owner_client.get(response["Location"])
    assert Organization.objects.count() == 0

    # "Import" while a row is invalid is refused.
    refused = owner_client.post(response["Location"], {"action": "import"})
    assert refused.status_code == 400
    assert "rows are invalid" in refused.text
    with TestCase.captureOnCommitCallbacks(execute=True):
        started = owner_client.post(response["Location"], {"action": "valid"})
    assert started.status_code == 302
    ally_import.refresh_from_db()
    assert ally_import.state == State.DONE
    assert list(Endorsement.objects.values_list("organization__name", "status")) == [
        ("Imported Org 1", "unconfirmed")
    ]
    assert TeamEvent.objects.filter(action=TeamEvent.Action.IMPORTED, by=owner).exists()
    assert [mail.to for mail in mailoutbox] == [["office@imported1.org"]]
    done = owner_client.get(response["Location"])
    assert "Done: 1 organization imported." in done.text


def test_the_attestation_needs_its_note(owner_client, campaign, sector):
    upload(owner_client, campaign, [ally(1)], logos=(1,))
    ally_import = AllyImport.objects.get()
    response = owner_client.post(
        f"/review/import/{ally_import.pk}/", {"action": "import", "attest": "on"}
    )
    assert response.status_code == 400
    assert "the note is needed" in response.text
    ally_import.refresh_from_db()
    assert ally_import.state == State.REPORTED


def test_an_attested_import_publishes_at_once(owner_client, owner, campaign, sector):
    upload(owner_client, campaign, [ally(1)], logos=(1,))
    ally_import = AllyImport.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner_client.post(
            f"/review/import/{ally_import.pk}/",
            {"action": "import", "attest": "on", "note": "Signed the paper letter in Brussels."},
        )
    endorsement = Endorsement.objects.get()
    assert endorsement.status == Endorsement.Status.APPROVED
    assert endorsement.events.filter(attested=True).count() == 2


def test_a_progress_page_reloads_itself_while_the_worker_imports(
    settings, owner_client, campaign, sector
):
    settings.BACKGROUND_WORK_IMMEDIATE = False
    upload(owner_client, campaign, [ally(1)], logos=(1,))
    ally_import = AllyImport.objects.get()
    owner_client.post(f"/review/import/{ally_import.pk}/", {"action": "import"})
    page = owner_client.get(f"/review/import/{ally_import.pk}/")
    assert '<meta http-equiv="refresh" content="2">' in page.text
    assert "Importing: 0 of 1 rows done." in page.text


def test_a_file_that_is_not_utf8_is_refused_with_a_message(owner_client, campaign):
    response = owner_client.post(
        "/review/import/",
        {
            "campaign": campaign.pk,
            "csv_file": SimpleUploadedFile(
                "allies.csv", "name,website\nZürich,x".encode("latin-1")
            ),
        },
    )
    assert response.status_code == 400
    assert "not UTF-8" in response.text
    assert AllyImport.objects.count() == 0


def test_a_cancelled_import_writes_nothing(owner_client, campaign, sector):
    upload(owner_client, campaign, [ally(1)], logos=(1,))
    ally_import = AllyImport.objects.get()
    response = owner_client.post(f"/review/import/{ally_import.pk}/", {"action": "cancel"})
    assert response.status_code == 302
    ally_import.refresh_from_db()
    assert ally_import.state == State.CANCELLED
    assert Organization.objects.count() == 0


def test_owners_see_the_section_in_the_workspace_and_others_do_not(
    owner_client, reviewer, client, campaign
):
    assert 'href="/review/import/"' in owner_client.get("/review/").text
    client.force_login(reviewer)
    assert 'href="/review/import/"' not in client.get("/review/").text


def test_the_decision_screen_says_where_an_application_was_imported_from_and_the_attestation(
    owner_client, owner, campaign, sector
):
    upload(owner_client, campaign, [ally(1)], logos=(1,))
    ally_import = AllyImport.objects.get()
    with TestCase.captureOnCommitCallbacks(execute=True):
        owner_client.post(
            f"/review/import/{ally_import.pk}/",
            {"action": "import", "attest": "on", "note": "Signed the paper letter in Brussels."},
        )
    endorsement = Endorsement.objects.get()
    page = owner_client.get(f"/review/{endorsement.public_id}/")
    assert page.status_code == 200
    assert "allies.csv · owner" in page.text
    assert page.text.count("attested by an owner") == 2
    assert "Signed the paper letter in Brussels." in page.text
