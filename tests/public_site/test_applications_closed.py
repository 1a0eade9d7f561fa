"""Applying after a campaign's deadline (issue 22): the form's page says applications are closed,
with the date in the campaign's time zone, and shows no form; a form sent anyway is refused with
that page (410 Gone, as for a campaign closed by hand), nothing stored and no mail sent. Whatever
came in before the deadline is still decided by reviewers."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from coalition import services
from coalition.images import logos
from coalition.models import Campaign, Endorsement, Organization, OutboundEmail
from tests.factories import application_form, image_bytes

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

Status = Endorsement.Status
# 23:59 in Brussels on 31 March 2027 (UTC+2).
CLOSES_AT = datetime(2027, 3, 31, 21, 59, tzinfo=UTC)
BEFORE = datetime(2027, 3, 31, 21, 58, tzinfo=UTC)
AFTER = datetime(2027, 3, 31, 22, 0, tzinfo=UTC)


@pytest.fixture
def closing(campaign) -> Campaign:
    campaign.closes_at = CLOSES_AT
    campaign.time_zone = "Europe/Brussels"
    campaign.save()
    return campaign


@pytest.fixture
def application(sector):
    def make(**overrides) -> dict:
        logo = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
        return application_form(sector, logo=logo, **overrides)

    return make


def text_of(response) -> str:
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", response.content.decode()))


def test_before_the_deadline_the_form_is_there(client, closing):
    with time_machine.travel(BEFORE, tick=False):
        response = client.get("/apply/")

    assert response.status_code == 200
    assert 'name="contact_email"' in response.content.decode()


def test_after_the_deadline_the_page_says_closed_with_the_date_and_no_form(client, closing):
    with time_machine.travel(AFTER, tick=False):
        english = client.get("/apply/")
        french = client.get("/fr/apply/")

    assert english.status_code == 200
    assert "Applications are closed" in text_of(english)
    assert "Applications closed on 31 March 2027, 23:59 (Europe/Brussels)." in text_of(english)
    assert "<form" not in english.content.decode().split('<main id="main">')[1]
    assert "Les candidatures ont été closes le 31 mars 2027 à 23:59 (Europe/Brussels)." in (
        text_of(french)
    )


def test_a_form_sent_after_the_deadline_is_refused_and_nothing_is_stored(
    client, closing, application, mailoutbox, django_capture_on_commit_callbacks
):
    with time_machine.travel(BEFORE, tick=False):
        client.get("/apply/")  # the form, opened while it was open
    with (
        time_machine.travel(AFTER, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post("/apply/", application())

    assert response.status_code == 410
    assert "Applications closed on 31 March 2027, 23:59 (Europe/Brussels)." in text_of(response)
    assert not Endorsement.objects.exists()
    assert not Organization.objects.exists()
    assert not OutboundEmail.objects.exists()
    assert mailoutbox == []


def test_a_form_sent_just_before_the_deadline_is_taken(
    client, closing, application, django_capture_on_commit_callbacks
):
    with (
        time_machine.travel(BEFORE, tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        response = client.post("/apply/", application())

    assert response.status_code == 303  # to "check your email"
    assert Endorsement.objects.count() == 1


def test_the_service_refuses_an_application_after_the_deadline_for_every_caller(closing, sector):
    logo = logos.process(
        logos.validate_and_open(
            SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
        )
    )
    with time_machine.travel(AFTER, tick=False), pytest.raises(services.ApplicationError) as error:
        services.endorsement_apply(
            campaign=closing,
            name="Late Trust",
            website="https://late.example.org/",
            country="IE",
            sector=sector,
            logo=logo,
            contact_name="Late Person",
            contact_role="Director",
            contact_email="late@late.example.org",
            preferred_language="en",
            consent_authority=True,
            consent_publish=True,
        )

    assert "Applications closed on 31 March 2027, 23:59 (Europe/Brussels)." in str(error.value)
    assert not Endorsement.objects.exists()


def test_a_campaign_closed_by_hand_keeps_its_page_without_a_date(client, closing, application):
    closing.accepts_applications = False
    closing.save()

    with time_machine.travel(BEFORE, tick=False):
        page = client.get("/apply/")
        refused = client.post("/apply/", application())

    assert page.status_code == 200
    assert "no longer accepts new organizations" in text_of(page)
    assert "Applications close" not in text_of(page)
    assert refused.status_code == 410
    assert not Endorsement.objects.exists()


def test_reviewers_still_decide_what_came_in_before_the_deadline(
    reviewer_client, reviewer, closing, make_endorsement
):
    came_in = make_endorsement(status=Status.PENDING, name="On Time Trust")
    # Closed an hour ago (in real time: the reviewer's session is of now).
    closing.closes_at = timezone.now() - timedelta(hours=1)
    closing.save()

    reviewer_client.get(f"/review/{came_in.public_id}/")
    response = reviewer_client.post(
        f"/review/{came_in.public_id}/approve/",
        {"approve-verified_otherwise": "on", "approve-note": "Signed on time; checked by phone."},
    )

    assert response.status_code == 302
    came_in.refresh_from_db()
    assert came_in.status == Status.APPROVED
    assert came_in.decided_by == reviewer


def test_the_campaign_page_links_to_no_form_once_closed(client, closing):
    with time_machine.travel(AFTER, tick=False):
        body = client.get("/").content.decode()

    assert 'class="button sign-on"' not in body
    assert "Applications closed on" in body


def test_a_contact_still_confirms_an_application_sent_before_the_deadline(
    closing, make_endorsement
):
    came_in = make_endorsement(status=Status.UNCONFIRMED, name="On Time Trust")

    with time_machine.travel(AFTER, tick=False):
        services.endorsement_confirm(endorsement=came_in)

    came_in.refresh_from_db()
    assert came_in.status == Status.PENDING
