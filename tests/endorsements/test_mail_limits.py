"""Mail to one contact address is bounded whatever asks for it (mail bombing: a victim's address
got 35 mails in a minute from applications and link requests under names of an attacker's
choosing), and every mail keeps one Message-ID on the site's own domain, however often it is
tried."""

from __future__ import annotations

import io

import pytest
from django.core import mail

from coalition import logos, services
from coalition.jobs import outbox
from coalition.models import Endorsement, OutboundEmail
from tests.conftest import image_bytes

VICTIM = "victim@example.org"


def _apply(campaign, sector, name: str) -> Endorsement:
    endorsement, _email = services.endorsement_apply(
        campaign=campaign,
        name=name,
        website=f"https://{name.lower().replace(' ', '-')}.example.net",
        country="DE",
        sector=sector,
        logo=logos.process(logos.validate_and_open(io.BytesIO(image_bytes()))),
        contact_name="Someone",
        contact_role="Director",
        contact_email=VICTIM,
        preferred_language="en",
        consent_authority=True,
        consent_publish=True,
    )
    return endorsement


@pytest.mark.django_db
def test_applications_in_a_victims_name_stop_once_the_address_had_its_hours_mail(
    campaign, sector, settings
):
    settings.MAIL_PER_ADDRESS_PER_HOUR = 3
    for number in range(3):
        _apply(campaign, sector, f"Invented Org {number}")

    with pytest.raises(services.ApplicationError, match="several messages to this address"):
        _apply(campaign, sector, "Invented Org 4")

    assert Endorsement.objects.count() == 3
    assert OutboundEmail.objects.filter(to=[VICTIM]).count() == 3


@pytest.mark.django_db
def test_link_requests_send_nothing_more_once_the_address_had_its_hours_mail(
    make_endorsement, settings
):
    settings.MAIL_PER_ADDRESS_PER_HOUR = 2
    make_endorsement(contact_email=VICTIM)

    sent = [services.endorsement_resend_links(contact_email=VICTIM) for _ in range(4)]

    assert sent == [1, 1, 0, 0]
    assert OutboundEmail.objects.filter(to=[VICTIM]).count() == 2


@pytest.mark.django_db
def test_a_mail_sent_again_after_a_failure_keeps_its_message_id_on_the_sites_domain(
    settings, make_endorsement
):
    settings.SITE_URL = "https://coalition.example.org"
    email = services.mail_queue(
        template="withdrawn", to=[VICTIM], context={"organization": "Example"}
    )
    mail.outbox = []

    outbox.send(email)
    outbox.send(email)  # the worker's retry after a database outage

    first, second = (message.extra_headers["Message-ID"] for message in mail.outbox)
    assert first == second
    assert first.endswith("@coalition.example.org>")
    other = services.mail_queue(
        template="withdrawn", to=[VICTIM], context={"organization": "Example"}
    )
    assert outbox.message_id(other) != first
