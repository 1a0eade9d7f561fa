"""Importing allies through the services: what is written, when, and what the contacts receive."""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import TestCase

from coalition.campaigns.models import TeamEvent
from coalition.endorsements import tokens
from coalition.imports import parsing, services
from coalition.imports.services import ImportRefused
from coalition.models import AllyImport, Endorsement, EndorsementEvent, Organization, OutboundEmail
from tests.imports.conftest import ally, csv_bytes

State = AllyImport.State


def report(campaign, owner, rows, archive: bytes | None, **kwargs) -> AllyImport:
    return services.ally_import_report(
        campaign=campaign,
        by=owner,
        file_name="allies.csv",
        data=csv_bytes(rows),
        archive=io.BytesIO(archive) if archive is not None else None,
        **kwargs,
    )


def start(ally_import: AllyImport, owner, **options) -> AllyImport:
    """Start it, and let the work recorded run as it would once the transaction commits."""
    with TestCase.captureOnCommitCallbacks(execute=True):
        services.ally_import_start(ally_import=ally_import, by=owner, **options)
    ally_import.refresh_from_db()
    return ally_import


def imported(campaign, owner, rows, archive, **options) -> AllyImport:
    return start(report(campaign, owner, rows, archive), owner, **options)


def test_the_report_writes_nothing_but_the_import(campaign, sector, owner, logos_for, mailoutbox):
    ally_import = report(campaign, owner, [ally(1), ally(2)], logos_for(1, 2))
    assert ally_import.state == State.REPORTED
    assert (ally_import.rows_total, ally_import.rows_valid) == (2, 2)
    assert Organization.objects.count() == 0
    assert OutboundEmail.objects.count() == 0
    assert mailoutbox == []


def test_a_dry_run_writes_nothing_at_all(campaign, sector, owner, logos_for):
    ally_import = report(campaign, owner, [ally(1)], logos_for(1), save=False)
    assert ally_import.pk is None
    assert AllyImport.objects.count() == 0
    assert Organization.objects.count() == 0


def test_an_import_creates_unconfirmed_applications_and_mails_each_contact(
    campaign, sector, owner, logos_for, mailoutbox
):
    ally_import = imported(campaign, owner, [ally(1), ally(2)], logos_for(1, 2))
    assert ally_import.state == State.DONE
    assert ally_import.rows_done == 2
    endorsements = Endorsement.objects.filter(imported_in=ally_import).order_by("pk")
    assert [e.status for e in endorsements] == ["unconfirmed", "unconfirmed"]
    assert endorsements[0].organization.logo is not None
    assert endorsements[0].domain_verified  # office@imported1.org for imported1.org
    subjects = sorted(mail.subject for mail in mailoutbox)
    assert subjects == [
        "“Keep detection legal” lists you as a signatory: please confirm",
        "“Keep detection legal” lists you as a signatory: please confirm",
    ]
    body = mailoutbox[0].body
    assert "/confirm/" in body
    assert "/not-us/" in body
    event = TeamEvent.objects.get(action=TeamEvent.Action.IMPORTED)
    assert event.by == owner
    assert "2 of 2 rows" in event.note
    assert not ally_import.logos_archive  # the logos are stored; the archive is gone


def test_the_mail_is_in_the_contacts_language(campaign, sector, owner, logos_for, mailoutbox):
    imported(campaign, owner, [ally(1, language="de"), ally(2, language="French")], logos_for(1, 2))
    by_address = {mail.to[0]: mail for mail in mailoutbox}
    assert "Unterzeichner" in by_address["office@imported1.org"].subject
    assert "signataire" in by_address["office@imported2.org"].subject
    assert Endorsement.objects.get(contact_email="office@imported2.org").preferred_language == "fr"


def test_importing_the_same_file_twice_creates_nothing_new(
    campaign, sector, owner, logos_for, mailoutbox
):
    imported(campaign, owner, [ally(1), ally(2)], logos_for(1, 2))
    mailoutbox.clear()
    again = report(campaign, owner, [ally(1), ally(2)], logos_for(1, 2))
    assert [row["action"] for row in again.report] == ["skip", "skip"]
    assert again.report[0]["matches"] == ["Already imported: Imported Org 1 (Unconfirmed)."]
    start(again, owner)
    assert Endorsement.objects.count() == 2
    assert mailoutbox == []


def test_an_invalid_row_blocks_the_import(campaign, sector, owner, logos_for):
    ally_import = report(
        campaign, owner, [ally(1), ally(2, contact_email="nobody")], logos_for(1, 2)
    )
    with pytest.raises(ImportRefused, match="1 row is invalid"):
        services.ally_import_start(ally_import=ally_import, by=owner)
    ally_import.refresh_from_db()
    assert ally_import.state == State.REPORTED
    assert Organization.objects.count() == 0
    assert not TeamEvent.objects.filter(action=TeamEvent.Action.IMPORTED).exists()


def test_the_valid_rows_only_when_the_owner_chooses_so(campaign, sector, owner, logos_for):
    ally_import = imported(
        campaign,
        owner,
        [ally(1), ally(2, contact_email="nobody")],
        logos_for(1, 2),
        valid_only=True,
    )
    assert ally_import.valid_only
    assert list(Organization.objects.values_list("name", flat=True)) == ["Imported Org 1"]


def test_an_import_starts_once(campaign, sector, owner, logos_for):
    ally_import = imported(campaign, owner, [ally(1)], logos_for(1))
    with pytest.raises(ImportRefused, match="already been started"):
        services.ally_import_start(ally_import=ally_import, by=owner)


def test_an_attested_import_is_approved_at_once_with_the_attestation_in_the_audit_trail(
    campaign, sector, owner, logos_for, mailoutbox
):
    note = "Signed our open letter by email on 3 March; the mails are in the shared inbox."
    ally_import = imported(
        campaign,
        owner,
        [ally(1, contact_email="someone@gmail.com")],
        logos_for(1),
        attestation=note,
    )
    assert ally_import.attested
    assert ally_import.attestation_note == note
    endorsement = Endorsement.objects.get(imported_in=ally_import)
    assert endorsement.status == Endorsement.Status.APPROVED
    assert endorsement.decided_by == owner
    # Its contact confirmed nothing: the record says so.
    assert endorsement.confirmed_at is None
    events = list(EndorsementEvent.objects.filter(endorsement=endorsement))
    assert [(e.from_status, e.to_status) for e in events] == [
        ("unconfirmed", "pending"),
        ("pending", "approved"),
    ]
    assert all(e.attested and e.note == note and e.user == owner for e in events)
    assert "domain" in events[1].acknowledgement.lower() or events[1].acknowledgement
    [mail] = mailoutbox
    assert mail.subject == "“Keep detection legal” lists you as a signatory"
    assert "/not-us/" in mail.body
    assert "/confirm/" not in mail.body


def test_a_row_whose_logo_fails_in_the_worker_is_reported_and_the_others_imported(
    campaign, sector, owner, logos_for
):
    ally_import = report(campaign, owner, [ally(1), ally(2)], logos_for(1, 2))
    # The archive changed between the report and the run: logo2 is no longer there.
    ally_import.logos_archive.delete(save=False)
    buffer = io.BytesIO(logos_for(1))
    ally_import.logos_archive.save("logos.zip", buffer)
    ally_import = start(ally_import, owner)
    assert ally_import.state == State.DONE
    assert [row["outcome"] for row in ally_import.report] == [
        "created",
        "There is no file named logo2.png among the logos.",
    ]


def test_a_hostile_zip_is_refused_and_nothing_is_stored(campaign, sector, owner):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("../../logo1.png", b"x")
    with pytest.raises(parsing.ImportFileError, match="unsafe name"):
        report(campaign, owner, [ally(1)], buffer.getvalue())
    bomb = io.BytesIO()
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("logo1.png", b"\0" * (50 * 1024 * 1024))
    with pytest.raises(parsing.ImportFileError, match="inflate"):
        report(campaign, owner, [ally(1)], bomb.getvalue())
    assert AllyImport.objects.count() == 0


def test_the_import_runs_in_the_worker_not_in_the_request(
    settings, campaign, sector, owner, logos_for
):
    from coalition.imports.tasks import QUEUE
    from coalition.jobs import tasks

    settings.BACKGROUND_WORK_IMMEDIATE = False
    ally_import = imported(campaign, owner, [ally(1)], logos_for(1))
    assert ally_import.state == State.QUEUED
    assert Organization.objects.count() == 0
    tasks.run(QUEUE)
    ally_import.refresh_from_db()
    assert ally_import.state == State.DONE
    assert Organization.objects.count() == 1


def test_once_done_the_import_keeps_no_contact_data(campaign, sector, owner, logos_for):
    ally_import = imported(campaign, owner, [ally(1)], logos_for(1))
    assert ally_import.csv_text == ""
    assert all("data" not in row for row in ally_import.report)
    assert "office@imported1.org" not in str(ally_import.report)
    assert ally_import.report[0]["outcome"] == "created"


def test_the_worker_imports_in_batches_and_the_mail_takes_its_turn_between_them(
    settings, monkeypatch, campaign, sector, owner, logos_for
):
    from coalition.imports import tasks as import_tasks
    from coalition.jobs import tasks

    monkeypatch.setattr(import_tasks, "ROWS_PER_JOB", 2)
    settings.BACKGROUND_WORK_IMMEDIATE = False
    ally_import = start(
        report(campaign, owner, [ally(1), ally(2), ally(3)], logos_for(1, 2, 3)), owner
    )
    assert tasks.run(import_tasks.QUEUE).done == 1
    ally_import.refresh_from_db()
    assert (ally_import.state, ally_import.rows_done) == (State.RUNNING, 2)
    assert OutboundEmail.objects.filter(sent_at__isnull=True).count() == 2  # the worker's next turn
    assert tasks.run(import_tasks.QUEUE).done == 1
    ally_import.refresh_from_db()
    assert (ally_import.state, ally_import.rows_done) == (State.DONE, 3)
    assert Endorsement.objects.filter(imported_in=ally_import).count() == 3
    assert tasks.run(import_tasks.QUEUE).done == 0


def test_an_imported_contact_is_asked_to_confirm_a_signature_not_an_application(
    client, campaign, sector, owner, logos_for
):
    ally_import = imported(campaign, owner, [ally(1)], logos_for(1))
    endorsement = Endorsement.objects.get(imported_in=ally_import)

    page = client.get(f"/confirm/{tokens.confirm_token(endorsement)}/").content.decode()

    assert (
        "The organizers of “Keep detection legal” list Imported Org 1 as a signatory. "
        "Confirm that it signed, and its signature goes to our reviewers."
    ) in page
    assert "Confirm that you applied" not in page
    endorsement.refresh_from_db()
    assert endorsement.status == Endorsement.Status.UNCONFIRMED  # a GET only asks
