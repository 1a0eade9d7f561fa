"""The admin's webhook pages: superusers only; an endpoint with its events as boxes and its
secret shown; deliveries with their attempts, and "send again"."""

from __future__ import annotations

import pytest
from django.urls import reverse

from coalition import services
from coalition.models import Endorsement, WebhookDelivery, WebhookEndpoint
from tests.admin_helpers import messages_of

Status = Endorsement.Status


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_a_superuser_adds_an_endpoint_with_its_events_as_boxes(admin_client, campaign):
    page = admin_client.get(reverse("admin:coalition_webhookendpoint_add"))
    assert b'type="checkbox" name="events" value="endorsement.updated"' in page.content

    response = admin_client.post(
        reverse("admin:coalition_webhookendpoint_add"),
        {
            "url": "https://hooks.partner-crm.org/coalition",
            "description": "Partner CRM",
            "events": ["endorsement.approved", "endorsement.confirmed"],
            "campaign": campaign.pk,
            "include_contact": "on",
            "active": "on",
        },
    )

    assert response.status_code == 302
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["endorsement.confirmed", "endorsement.approved"]
    assert endpoint.include_contact
    assert endpoint.campaign == campaign
    assert endpoint.secret.startswith("whsec_")
    change = admin_client.get(reverse("admin:coalition_webhookendpoint_change", args=[endpoint.pk]))
    assert endpoint.secret.encode() in change.content


def test_an_address_deliveries_never_go_to_is_refused_with_a_clear_message(admin_client, settings):
    settings.WEBHOOK_ALLOW_PRIVATE = False
    response = admin_client.post(
        reverse("admin:coalition_webhookendpoint_add"),
        {"url": "https://169.254.169.254/latest/", "events": ["endorsement.approved"]},
    )

    assert response.status_code == 200
    assert "loopback, private or link-local address" in response.content.decode()
    assert not WebhookEndpoint.objects.exists()


def test_rotating_the_secret_gives_a_new_one(admin_client):
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.partner-crm.org/coalition", events=["endorsement.approved"]
    )
    old = endpoint.secret

    response = admin_client.post(
        reverse("admin:coalition_webhookendpoint_changelist"),
        {"action": "rotate_secret", "_selected_action": [endpoint.pk]},
        follow=True,
    )

    endpoint.refresh_from_db()
    assert endpoint.secret != old
    assert endpoint.secret.startswith("whsec_")
    assert any("new signing secret" in message for message in messages_of(response))


def test_a_reviewer_sees_no_webhook_page(client, reviewer):
    client.force_login(reviewer)
    for name in ("webhookendpoint", "webhookdelivery"):
        assert client.get(reverse(f"admin:coalition_{name}_changelist")).status_code == 403
    assert b"webhook" not in client.get(reverse("admin:index")).content.lower()


def test_deliveries_show_their_status_attempts_and_last_code_and_can_be_sent_again(
    admin_client, endpoint, receiver, send_due, make_endorsement
):
    receiver.mode = "503"
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    send_due()
    sent = WebhookDelivery.objects.get()

    listing = admin_client.get(reverse("admin:coalition_webhookdelivery_changelist"))
    row = listing.content.decode()
    assert "endorsement.confirmed" in row
    assert "Retrying" in row
    assert '<td class="field-last_response_code">503</td>' in row

    change_url = reverse("admin:coalition_webhookdelivery_change", args=[sent.pk])
    page = admin_client.get(change_url).content.decode()
    assert "HTTP 503: busy, come back later" in page  # the attempt, inline
    resend_url = reverse("admin:coalition_webhookdelivery_resend", args=[sent.pk])
    assert f'action="{resend_url}"' in page

    assert admin_client.get(resend_url).status_code == 405
    receiver.mode = "ok"
    response = admin_client.post(resend_url, follow=True)
    assert any("sent again" in message for message in messages_of(response))
    send_due()

    sent.refresh_from_db()
    assert sent.delivered_at is not None
    assert list(sent.attempts_made.values_list("response_code", flat=True)) == [503, 204]
    assert len(receiver.verified) == 2
