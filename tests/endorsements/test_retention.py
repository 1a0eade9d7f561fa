from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
import time_machine
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.utils import timezone

from coalition import services
from coalition.endorsements import tokens
from coalition.images import logos
from coalition.models import (
    CachePurge,
    Endorsement,
    EndorsementEvent,
    Logo,
    Organization,
    OutboundEmail,
)
from tests.conftest import image_bytes

Status = Endorsement.Status


def _with_logo(endorsement: Endorsement, color=(10, 120, 200)) -> Logo:
    logo = logos.logo_from_upload(io.BytesIO(image_bytes(color=color)))
    Organization.objects.filter(pk=endorsement.organization_id).update(logo=logo)
    return logo


def _later(days: int):
    return time_machine.travel(timezone.now() + timedelta(days=days))


def test_unconfirmed_applications_are_deleted_after_30_days(make_endorsement):
    old = make_endorsement(status=Status.UNCONFIRMED)
    logo = _with_logo(old)
    services.endorsement_resend_links(contact_email=old.contact_email)

    with _later(29):
        call_command("apply_retention")
    assert Endorsement.objects.filter(pk=old.pk).exists()

    with _later(31):
        call_command("apply_retention")
    assert not Endorsement.objects.filter(pk=old.pk).exists()
    assert not Organization.objects.filter(pk=old.organization_id).exists()
    assert not Logo.objects.filter(pk=logo.pk).exists()
    assert not OutboundEmail.objects.exists()


@pytest.mark.parametrize("status", [Status.PENDING, Status.APPROVED])
def test_live_applications_are_never_touched(make_endorsement, status):
    live = make_endorsement(status=status)

    with _later(400):
        services.retention_apply()

    live.refresh_from_db()
    assert live.contact_email
    assert live.personal_data_erased_at is None


def test_contact_data_of_ended_applications_is_erased_after_90_days_keeping_the_audit_trail(
    make_endorsement, reviewer, reason, django_capture_on_commit_callbacks
):
    rejected = make_endorsement(status=Status.PENDING)
    logo = _with_logo(rejected)
    names = [logo.png.name, logo.webp_2x.name]
    services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)
    withdrawn = make_endorsement(status=Status.APPROVED)
    kept_logo = _with_logo(withdrawn, color=(200, 20, 20))
    services.endorsement_withdraw(endorsement=withdrawn)

    with _later(89):
        services.retention_apply()
    rejected.refresh_from_db()
    assert rejected.contact_email

    with _later(91), django_capture_on_commit_callbacks(execute=True):
        report = services.retention_apply()

    assert report.personal_data_erased == 2
    for endorsement in (rejected, withdrawn):
        endorsement.refresh_from_db()
        assert (endorsement.contact_name, endorsement.contact_role, endorsement.contact_email) == (
            "",
            "",
            "",
        )
        assert endorsement.personal_data_erased_at is not None
        assert not endorsement.emails.exists()
    assert EndorsementEvent.objects.filter(endorsement=rejected, to_status="rejected").exists()
    assert EndorsementEvent.objects.filter(endorsement=withdrawn, to_status="withdrawn").exists()
    # Rejected logos go, files included; a withdrawn organization keeps its logo.
    assert not Logo.objects.filter(pk=logo.pk).exists()
    assert not any(default_storage.exists(name) for name in names)
    assert Logo.objects.filter(pk=kept_logo.pk).exists()


def test_a_logo_shared_with_another_organization_survives(
    make_endorsement, reviewer, reason, django_capture_on_commit_callbacks
):
    rejected = make_endorsement(status=Status.PENDING)
    other = make_endorsement(status=Status.APPROVED)
    logo = _with_logo(rejected)
    Organization.objects.filter(pk=other.organization_id).update(logo=logo)
    services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)

    with _later(91), django_capture_on_commit_callbacks(execute=True):
        services.retention_apply()

    assert Logo.objects.filter(pk=logo.pk).exists()
    assert default_storage.exists(logo.png.name)


def test_retention_periods_are_configurable(make_endorsement, settings):
    settings.RETENTION_UNCONFIRMED_DAYS = 2
    endorsement = make_endorsement(status=Status.UNCONFIRMED)

    with _later(3):
        services.retention_apply()

    assert not Endorsement.objects.filter(pk=endorsement.pk).exists()


def test_the_contact_can_download_everything_stored_about_the_application(
    client, make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=Status.PENDING)
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, note="internal note", acknowledged=True
        )
    manage = f"/manage/{tokens.manage_token(endorsement)}/"

    assert "data.json" in client.get(manage).content.decode()
    response = client.get(manage + "data.json")

    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment;")
    assert response["Cache-Control"] == "private, no-store"
    data = json.loads(response.content)
    assert data["contact"]["email"] == endorsement.contact_email
    assert data["contact"]["name"] == endorsement.contact_name
    assert data["organization"]["name"] == endorsement.organization.name
    assert data["application"]["status"] == "approved"
    assert [event["to"] for event in data["history"]] == ["approved"]
    assert len(data["emails"]) == 1
    # Reviewers' internal notes are theirs, not part of the applicant's record.
    assert "internal note" not in response.content.decode()


def test_the_data_download_needs_a_valid_link(client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)

    response = client.get(f"/manage/{tokens.confirm_token(endorsement)}/data.json")

    assert response.status_code == 400


def test_the_link_that_brought_an_ended_application_is_forgotten_with_its_contact(
    make_endorsement,
):
    source = {"ref": "jane-doe-newsletter", "utm_source": "mail"}
    ended = make_endorsement(status=Status.APPROVED)
    live = make_endorsement(status=Status.APPROVED)
    Endorsement.objects.filter(pk__in=[ended.pk, live.pk]).update(source=source)
    services.endorsement_withdraw(endorsement=ended)

    with _later(91):
        services.retention_apply()

    ended.refresh_from_db()
    live.refresh_from_db()
    assert (ended.source, live.source) == ({}, source)


def test_done_cache_purges_are_deleted_after_30_days_and_waiting_ones_never(db):
    done = CachePurge.objects.create(
        target="http://127.0.0.1:6081", keys=["campaign-1"], done_at=timezone.now()
    )
    waiting = CachePurge.objects.create(target="http://127.0.0.1:6081", keys=["campaign-1"])

    with _later(29):
        assert services.retention_apply().purges_deleted == 0
    with _later(31):
        out = io.StringIO()
        call_command("apply_retention", stdout=out)

    assert "1 done cache purges deleted" in out.getvalue()
    assert list(CachePurge.objects.values_list("pk", flat=True)) == [waiting.pk]
    assert not CachePurge.objects.filter(pk=done.pk).exists()
