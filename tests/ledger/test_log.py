"""The public log: one entry per public event, written by the services, replaying to the list."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from coalition import services
from coalition.endorsements import edits
from coalition.images import logos
from coalition.ledger import chain
from coalition.models import Endorsement, LogEntry, Logo
from tests.factories import image_bytes
from tests.ledger.helpers import approve, current, entries, replayed

Status = Endorsement.Status


def test_an_approval_writes_joined_with_the_public_fields_only(
    campaign, make_endorsement, reviewer
):
    ally = approve(make_endorsement(name="Ένωση Γονέων 🎈", country="GR"), reviewer)

    [entry] = entries(campaign)
    assert entry["seq"] == 1
    assert entry["event"] == "joined"
    assert entry["ally"] == ally.public_id
    assert entry["prev"] == chain.GENESIS
    assert entry["fields"] == {
        "name": "Ένωση Γονέων 🎈",
        "website": ally.organization.website,
        "country": "GR",
        "sector": "child-protection-ngo",
        "logo": None,
    }
    assert entry["hash"] == chain.entry_hash(entry)
    ally.refresh_from_db()
    assert entry["time"] == chain.format_time(ally.approved_at)
    # Nothing of the contact, the note or the review.
    text = str(entry)
    assert ally.contact_email not in text
    assert "Checked by hand" not in text


def test_withdrawal_and_removal_of_an_approved_ally_write_left_without_a_reason(
    campaign, make_endorsement, reviewer
):
    first = approve(make_endorsement(), reviewer)
    second = approve(make_endorsement(), reviewer)

    services.endorsement_withdraw(endorsement=first)
    services.endorsement_remove(endorsement=second, by=reviewer, note="Asked by the board")

    log = entries(campaign)
    assert [(e["seq"], e["event"], e["ally"]) for e in log] == [
        (1, "joined", first.public_id),
        (2, "joined", second.public_id),
        (3, "left", first.public_id),
        (4, "left", second.public_id),
    ]
    assert log[2]["fields"] == log[3]["fields"] == {}
    assert "board" not in str(log)
    assert replayed(campaign) == {}


def test_pending_rejected_and_not_us_applications_never_reach_the_log(
    campaign, make_endorsement, reviewer, reason
):
    pending = make_endorsement(status=Status.UNCONFIRMED)
    services.endorsement_confirm(endorsement=pending)
    rejected = make_endorsement(status=Status.PENDING)
    services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)
    not_us = make_endorsement(status=Status.UNCONFIRMED)
    services.endorsement_withdraw(endorsement=not_us, actor="system", reported=True)
    withdrawn_pending = make_endorsement(status=Status.PENDING)
    services.endorsement_withdraw(endorsement=withdrawn_pending)

    assert not LogEntry.objects.exists()


def test_approve_withdraw_apply_again_and_approve_replays_to_the_second_endorsement(
    campaign, make_endorsement, reviewer
):
    first = approve(make_endorsement(name="Harbour Light"), reviewer)
    services.endorsement_withdraw(endorsement=first)
    again = make_endorsement(name="Harbour Light", status=Status.PENDING)
    again = approve(again, reviewer)

    log = entries(campaign)
    assert [(e["event"], e["ally"]) for e in log] == [
        ("joined", first.public_id),
        ("left", first.public_id),
        ("joined", again.public_id),
    ]
    assert replayed(campaign) == current(campaign)
    assert list(replayed(campaign)) == [again.public_id]


def test_an_approved_edit_of_the_website_and_logo_writes_changed_with_the_new_values(
    campaign, make_endorsement, reviewer
):
    ally = approve(make_endorsement(), reviewer)
    logo = logos.process(logos.validate_and_open(io.BytesIO(image_bytes())))
    proposal = edits.organization_update(
        endorsement=ally,
        website="https://new-home.example.org",
        statement="A new statement",
        logo=logo,
    )
    # Proposed only: the public version is unchanged, so is the log.
    assert LogEntry.objects.count() == 1

    edits.organization_version_approve(version=proposal, by=reviewer)

    log = entries(campaign)
    assert [e["event"] for e in log] == ["joined", "changed"]
    changed = log[1]["fields"]
    assert changed["website"] == "https://new-home.example.org/"
    assert changed["logo"] == Logo.objects.get().digest
    assert set(changed) == {"website", "logo"}
    # The statement is not part of the record; the log still replays to the list.
    assert replayed(campaign) == current(campaign)


def test_a_reviewers_rename_writes_changed_on_every_campaign_the_organization_is_on(
    campaign, make_endorsement, reviewer, superuser
):
    from coalition.models import Campaign

    other = Campaign.objects.create(slug="second", title="Second campaign")
    ally = approve(make_endorsement(), reviewer)
    there = Endorsement.objects.create(
        organization=ally.organization, campaign=other, status=Status.PENDING
    )
    approve(there, superuser)

    edits.organization_edit_by_reviewer(
        organization=ally.organization,
        by=superuser,
        name="Renamed Trust",
        website=ally.organization.website,
        country="FR",
        sector=ally.organization.sector,
        registry_id="12345",
        statements={},
    )

    for each in (campaign, other):
        log = entries(each)
        assert [e["event"] for e in log] == ["joined", "changed"]
        assert log[1]["fields"] == {"name": "Renamed Trust", "country": "FR"}
        assert replayed(each) == current(each)


def test_an_edit_that_changes_nothing_public_writes_nothing(campaign, make_endorsement, reviewer):
    ally = approve(make_endorsement(), reviewer)
    organization = ally.organization

    edits.organization_edit_by_reviewer(
        organization=organization,
        by=reviewer,
        name=organization.name,
        website=organization.website,
        country=organization.country.code,
        sector=organization.sector,
        registry_id="Only the registry number",
        statements={"en": "New words"},
    )

    assert [e["event"] for e in entries(campaign)] == ["joined"]


def test_log_entries_cannot_be_changed_or_deleted(campaign, make_endorsement, reviewer):
    approve(make_endorsement(), reviewer)
    entry = LogEntry.objects.get()

    entry.fields = {"name": "Forged"}
    with pytest.raises(ValidationError):
        entry.save()
    with pytest.raises(ValidationError):
        entry.delete()
    assert LogEntry.objects.get().fields["name"] != "Forged"


def test_erasing_personal_data_leaves_the_log_as_it_was(
    campaign, make_endorsement, reviewer, settings
):
    from datetime import timedelta

    from django.utils import timezone

    from coalition.endorsements.retention import retention_apply

    ally = approve(make_endorsement(), reviewer)
    services.endorsement_withdraw(endorsement=ally)
    before = entries(campaign)

    retention_apply(now=timezone.now() + timedelta(days=settings.RETENTION_PERSONAL_DATA_DAYS + 1))

    ally.refresh_from_db()
    assert ally.contact_email == ""
    assert entries(campaign) == before


def test_the_migration_backfills_joined_for_allies_approved_before_the_log(
    campaign, make_endorsement
):
    import importlib

    from django.apps import apps
    from django.utils import timezone

    migration = importlib.import_module("coalition.migrations.0018_public_log_backfill")
    later = make_endorsement(status=Status.APPROVED)
    earlier = make_endorsement(status=Status.APPROVED)
    Endorsement.objects.filter(pk=earlier.pk).update(
        approved_at=timezone.now() - timezone.timedelta(days=3)
    )
    make_endorsement(status=Status.PENDING)

    migration.backfill(apps, None)
    migration.backfill(apps, None)  # twice: nothing more

    log = entries(campaign)
    assert [(e["event"], e["ally"]) for e in log] == [
        ("joined", earlier.public_id),
        ("joined", later.public_id),
    ]
    assert replayed(campaign) == current(campaign)
