"""A partner's receiver on loopback gets one delivery per event, each verified with the
``standardwebhooks`` library, sent by the worker after the change committed."""

from __future__ import annotations

import json

from django.db import transaction
from django.urls import reverse

from coalition import services
from coalition.models import Campaign, Endorsement, WebhookDelivery, WebhookEndpoint, WebhookEvent
from tests.webhooks.conftest import ALL_EVENTS

Status = Endorsement.Status


def test_a_receiver_gets_one_verified_delivery_per_event(
    endpoint, receiver, send_due, make_endorsement, campaign, reviewer, superuser, reason
):
    confirmed = make_endorsement(status=Status.UNCONFIRMED, name="Ελληνική Ένωση 🛡️")
    services.endorsement_confirm(endorsement=confirmed)
    services.endorsement_approve(
        endorsement=confirmed, by=reviewer, note="Checked their register", acknowledged=True
    )
    organization = confirmed.organization
    services.organization_edit_by_reviewer(
        organization=organization,
        by=superuser,
        name="Ελληνική Ένωση για το Παιδί",
        website=organization.website,
        country=organization.country,
        sector=organization.sector,
        registry_id=organization.registry_id,
        statements={"en": "We stand with the campaign."},
    )
    services.endorsement_remove(endorsement=confirmed, by=reviewer, note="Asked by phone")
    services.endorsement_reject(
        endorsement=make_endorsement(status=Status.PENDING), by=reviewer, reason=reason
    )
    services.endorsement_withdraw(endorsement=make_endorsement(status=Status.APPROVED))
    campaign.title = "Keep detection legal, now"
    services.campaign_save(campaign=campaign, by=superuser)

    assert receiver.received == []  # recorded only: the worker sends
    tally = send_due()

    assert tally.done == 7
    assert [item.error for item in receiver.received] == [""] * 7
    assert sorted(item.payload["type"] for item in receiver.verified) == sorted(ALL_EVENTS)
    assert len({item.headers["webhook-id"] for item in receiver.received}) == 7
    for item in receiver.received:
        stored = WebhookDelivery.objects.get(message_id=item.headers["webhook-id"])
        assert item.body == stored.payload.encode()  # the body exactly as stored and signed
        assert item.headers["content-type"] == "application/json"
        assert item.headers["user-agent"].startswith("CoalitionRegistry-Webhooks/")
        assert stored.delivered_at is not None
        assert list(stored.attempts_made.values_list("succeeded", "response_code")) == [(True, 204)]
    by_type = {item.payload["type"]: item.payload for item in receiver.verified}
    updated = by_type["endorsement.updated"]["data"]
    assert updated["name"] == "Ελληνική Ένωση για το Παιδί"
    assert updated["statement"] == "We stand with the campaign."
    assert by_type["endorsement.removed"]["data"]["status"] == "removed"
    assert by_type["campaign.updated"]["data"]["title"] == "Keep detection legal, now"
    assert by_type["endorsement.approved"]["timestamp"].endswith("Z")


def test_a_tampered_body_does_not_verify(endpoint, receiver, send_due, make_endorsement):
    # The receiver's check can fail: another secret refuses what the right one accepts.
    right = endpoint.secret
    receiver.secret = "whsec_" + "A" * 43 + "="
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    send_due()
    receiver.secret = right

    assert [item.error for item in receiver.received] == ["No matching signature found"]


def test_an_endpoint_hears_only_its_events_and_its_campaign(
    endpoint, receiver, send_due, make_endorsement, reviewer
):
    endpoint.events = [WebhookEvent.APPROVED]
    endpoint.save()
    # Another campaign's endpoint hears nothing of this one.
    other = WebhookEndpoint.objects.create(
        url=receiver.url + "/other",
        events=[WebhookEvent.APPROVED],
        campaign=Campaign.objects.create(slug="another", title="Another"),
    )
    inactive = WebhookEndpoint.objects.create(
        url=receiver.url + "/off", events=[WebhookEvent.APPROVED], active=False
    )
    pending = make_endorsement(status=Status.UNCONFIRMED)
    services.endorsement_confirm(endorsement=pending)
    services.endorsement_approve(endorsement=pending, by=reviewer, note="ok", acknowledged=True)

    assert list(WebhookDelivery.objects.values_list("endpoint", "event")) == [
        (endpoint.pk, "endorsement.approved")
    ]
    assert not other.deliveries.exists()
    assert not inactive.deliveries.exists()
    send_due()
    assert [item.payload["type"] for item in receiver.verified] == ["endorsement.approved"]


def test_nothing_is_sent_inside_the_request(
    endpoint,
    receiver,
    send_due,
    make_endorsement,
    reviewer_client,
    reason,
    django_capture_on_commit_callbacks,
):
    pending = make_endorsement(status=Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        response = reviewer_client.post(
            reverse("review:reject", args=[pending.public_id]), {"reject-reason": reason.pk}
        )

    pending.refresh_from_db()
    assert response.status_code == 302
    assert pending.status == Status.REJECTED
    # Recorded with the decision, committed, and not sent: neither during the request nor by
    # its commit (the worker's job).
    assert WebhookDelivery.objects.filter(event="endorsement.rejected").count() == 1
    assert receiver.received == []
    send_due()
    assert [item.payload["type"] for item in receiver.verified] == ["endorsement.rejected"]


def test_a_rolled_back_change_records_no_delivery(endpoint, receiver, make_endorsement, reviewer):
    pending = make_endorsement(status=Status.UNCONFIRMED)

    try:
        with transaction.atomic():
            services.endorsement_confirm(endorsement=pending)
            assert WebhookDelivery.objects.count() == 1  # written with the change
            raise RuntimeError("rolled back")
    except RuntimeError:
        pass

    assert WebhookDelivery.objects.count() == 0
    assert receiver.received == []


def test_the_body_is_json_with_type_timestamp_and_data(endpoint, make_endorsement):
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))

    body = json.loads(WebhookDelivery.objects.get().payload)
    assert set(body) == {"type", "timestamp", "data"}
    assert body["type"] == "endorsement.confirmed"
