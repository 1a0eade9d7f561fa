"""Deliveries go only where the domain proofs' fetches may go (``coalition.web.outbound``): no
loopback, private or link-local address unless ``WEBHOOK_ALLOW_PRIVATE``; no redirect
followed; a slow or flooding endpoint costs one bounded, recorded attempt."""

from __future__ import annotations

import time

import pytest

from coalition import services
from coalition.admin.webhooks import URL_PROBLEMS, WebhookEndpointForm
from coalition.models import Endorsement, WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.proof_servers import Zone, dns_server
from tests.webhooks.conftest import ALL_EVENTS
from tests.webhooks.receiver import METADATA_URL

Status = Endorsement.Status


def _attempt_for(url: str, make_endorsement, send_due) -> WebhookAttempt:
    WebhookEndpoint.objects.create(url=url, events=ALL_EVENTS)
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    send_due()
    return WebhookAttempt.objects.get()


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("https://127.0.0.1:{port}/hooks", "is refused: private address"),
        ("https://[::ffff:127.0.0.1]:{port}/hooks", "is refused: private address"),
        ("https://169.254.169.254/latest/meta-data/", "is refused: private address"),
        ("https://10.0.0.8/hooks", "is refused: private address"),
        ("https://localhost:{port}/hooks", "is refused: private name"),
        ("https://crm.internal/hooks", "is refused: private name"),
        ("http://hooks.partner-crm.org:{port}/hooks", "is refused: insecure"),
    ],
)
def test_loopback_private_and_plain_http_are_refused_by_default(
    receiver, settings, make_endorsement, send_due, url, why
):
    settings.WEBHOOK_ALLOW_PRIVATE = False

    attempt = _attempt_for(url.format(port=receiver.port), make_endorsement, send_due)

    assert not attempt.succeeded
    assert attempt.response_code is None
    assert why in attempt.error
    assert receiver.received == []


def test_a_public_name_that_resolves_to_loopback_is_refused(
    receiver, settings, make_endorsement, send_due
):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    zone = Zone(a={"hooks.partner-crm.org": ["127.0.0.1"]})
    with dns_server(zone) as server:
        settings.DOMAIN_PROOF_DNS_SERVERS = [server]
        attempt = _attempt_for(
            f"https://hooks.partner-crm.org:{receiver.port}/hooks", make_endorsement, send_due
        )

    assert ("hooks.partner-crm.org", "A") in zone.asked
    assert "resolves to 127.0.0.1, which is not a public address" in attempt.error
    assert receiver.received == []
    assert WebhookDelivery.objects.get().delivered_at is None


def test_a_redirect_to_the_metadata_address_is_not_followed(
    endpoint, receiver, make_endorsement, send_due
):
    receiver.mode = "redirect"
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    send_due()

    attempt = WebhookAttempt.objects.get()
    assert attempt.response_code == 302
    assert not attempt.succeeded
    assert f"a redirect to {METADATA_URL}, not followed" in attempt.error
    assert len(receiver.received) == 1  # nothing after the redirect
    assert WebhookDelivery.objects.get().delivered_at is None


def test_an_endpoint_trickling_its_answer_is_cut_off_at_the_timeout(
    endpoint, receiver, make_endorsement, send_due, settings
):
    settings.WEBHOOK_TIMEOUT = 1.5
    receiver.mode = "slow"  # the status line a byte every half second
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))

    started = time.monotonic()
    send_due()
    took = time.monotonic() - started

    attempt = WebhookAttempt.objects.get()
    assert attempt.error == "No answer within 1.5 s."
    # Unbounded, the status line alone would take 8.5 s; the margin is a loaded machine's.
    assert 1400 <= attempt.duration_ms < 4000
    assert took < 5


def test_a_huge_answer_is_read_no_further_than_4_kb(endpoint, receiver, make_endorsement, send_due):
    receiver.mode = "huge"  # a 500 with 50 MB of body
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))

    started = time.monotonic()
    send_due()

    attempt = WebhookAttempt.objects.get()
    assert attempt.response_code == 500
    assert attempt.error.startswith("HTTP 500: xxx")
    assert len(attempt.error) < 400
    assert time.monotonic() - started < 3


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://hooks.partner-crm.org/coalition", "insecure"),
        ("ftp://hooks.partner-crm.org/coalition", "insecure"),
        ("https://127.0.0.1/coalition", "private address"),
        ("https://[fe80::1]/coalition", "private address"),
        ("https://localhost/coalition", "private name"),
        ("https://user:secret@hooks.partner-crm.org/coalition", "credentials"),
    ],
)
def test_the_admin_form_refuses_an_address_deliveries_never_go_to(settings, db, url, problem):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    form = WebhookEndpointForm(data={"url": url, "events": ["endorsement.approved"]})

    assert not form.is_valid()
    assert form.errors["url"] == [str(URL_PROBLEMS[problem])]


def test_the_admin_form_takes_a_public_https_address_and_loopback_only_when_allowed(settings, db):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    data = {"events": ["endorsement.approved", "campaign.updated"], "active": "on"}
    public = WebhookEndpointForm(data={**data, "url": "https://hooks.partner-crm.org/x?a=1"})
    local = WebhookEndpointForm(data={**data, "url": "http://127.0.0.1:8000/hooks"})
    assert public.is_valid(), public.errors
    assert not local.is_valid()

    settings.WEBHOOK_ALLOW_PRIVATE = True
    local = WebhookEndpointForm(data={**data, "url": "http://127.0.0.1:8000/hooks"})
    assert local.is_valid(), local.errors
