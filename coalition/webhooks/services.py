"""Writes for webhooks: recording an event's deliveries in the transaction of the change,
sending one again, and a new signing secret.

A change records one ``WebhookDelivery`` per active endpoint that wants its event (and its
campaign), with the body built now and stored as it will be signed; the worker sends them once
the change commits (``coalition.webhooks.delivery``), never the request. A change rolled back
records nothing.

An endpoint that does not include contact data is a public surface: it hears nothing of a
campaign that is not public yet (an embargo, ``Campaign.publish_at``), and of an application
never approved only its id, campaign and status (``coalition.webhooks.payloads``).
"""

from __future__ import annotations

import json
import secrets
from datetime import timezone as dt_timezone
from typing import Any

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coalition.models import (
    Campaign,
    Endorsement,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_webhook_secret,
)
from coalition.webhooks import delivery as sending
from coalition.webhooks import payloads

Status = Endorsement.Status

# The event of each move of ``Endorsement.TRANSITIONS`` that has one.
_TRANSITION_EVENTS = {
    (Status.UNCONFIRMED, Status.PENDING): WebhookEvent.CONFIRMED,
    (Status.PENDING, Status.APPROVED): WebhookEvent.APPROVED,
    (Status.PENDING, Status.REJECTED): WebhookEvent.REJECTED,
    (Status.UNCONFIRMED, Status.WITHDRAWN): WebhookEvent.WITHDRAWN,
    (Status.PENDING, Status.WITHDRAWN): WebhookEvent.WITHDRAWN,
    (Status.APPROVED, Status.WITHDRAWN): WebhookEvent.WITHDRAWN,
    (Status.APPROVED, Status.REMOVED): WebhookEvent.REMOVED,
}


def new_message_id() -> str:
    """A ``webhook-id``: unique, and the same on every attempt of one delivery."""
    return "msg_" + secrets.token_urlsafe(18)


def _body(event: str, data: dict[str, Any], at: str) -> str:
    # Compact and in UTF-8 (a Greek name stays Greek); stored as sent, so as signed.
    return json.dumps(
        {"type": event, "timestamp": at, "data": data}, ensure_ascii=False, separators=(",", ":")
    )


def _subscribed(event: str, campaign: Campaign) -> list[WebhookEndpoint]:
    # A handful of endpoints: filtered here, since SQLite cannot look inside a JSON list.
    endpoints = WebhookEndpoint.objects.filter(
        Q(campaign__isnull=True) | Q(campaign=campaign), active=True
    ).order_by("pk")
    return [endpoint for endpoint in endpoints if event in endpoint.events]


def webhook_event_record(
    *,
    event: str,
    endorsement: Endorsement | None = None,
    campaign: Campaign | None = None,
) -> list[WebhookDelivery]:
    """Record ``event`` (about ``endorsement``, or ``campaign`` for ``campaign.updated``) for
    every endpoint that wants it; call inside the transaction of the change."""
    event = WebhookEvent(event).value
    if endorsement is not None:
        campaign = endorsement.campaign
    if campaign is None:
        raise ValueError("An event is about an endorsement or a campaign.")
    endpoints = _subscribed(event, campaign)
    if not endpoints:
        return []
    public = campaign.is_public()
    if endorsement is not None:
        data = payloads.endorsement_data(endorsement)
        contact = payloads.contact_data(endorsement)
    else:
        data = payloads.campaign_data(campaign)
        contact = {}
    # When it happened, to the millisecond (the body's; each attempt has its own header).
    at = timezone.now().astimezone(dt_timezone.utc).isoformat(timespec="milliseconds")
    at = at.replace("+00:00", "Z")
    deliveries = []
    for endpoint in endpoints:
        if not (public or endpoint.include_contact):
            continue  # embargoed: not public yet, so not for a public surface
        body = {**data, **contact} if endpoint.include_contact else data
        delivery = WebhookDelivery.objects.create(
            endpoint=endpoint,
            message_id=new_message_id(),
            event=event,
            payload=_body(event, body, at),
        )
        sending.delivery_record(delivery)
        deliveries.append(delivery)
    return deliveries


def webhook_transition_record(
    *, endorsement: Endorsement, from_status: str, attested: bool = False
) -> None:
    """The event of ``endorsement``'s move from ``from_status`` to its status, if any; an
    owner's attestation moves an import to pending without anyone confirming: no
    ``endorsement.confirmed`` then."""
    event = _TRANSITION_EVENTS.get((from_status, endorsement.status))
    if event is None or (event == WebhookEvent.CONFIRMED and attested):
        return
    webhook_event_record(event=event, endorsement=endorsement)


def webhook_ally_update_record(*, endorsements: list[Endorsement]) -> None:
    """``endorsement.updated`` for each approved ally whose public details just changed."""
    for endorsement in endorsements:
        webhook_event_record(event=WebhookEvent.UPDATED, endorsement=endorsement)


def webhook_delivery_resend(*, delivery: WebhookDelivery) -> WebhookDelivery:
    """Send ``delivery`` again now, with the same ``webhook-id`` and body (a fresh timestamp and
    signature), whether it was delivered or given up; retried as usual while its 24 hours last,
    tried once after them."""
    with transaction.atomic():
        WebhookDelivery.objects.filter(pk=delivery.pk).update(
            delivered_at=None, failed_at=None, next_attempt_at=None
        )
        sending.delivery_record(delivery)
    delivery.refresh_from_db()
    return delivery


def webhook_endpoint_secret_rotate(*, endpoint: WebhookEndpoint) -> str:
    """Give ``endpoint`` a new signing secret; the old one stops signing at once (deliveries
    not sent yet are signed with the new one when they are). Returns the new secret."""
    secret = new_webhook_secret()
    WebhookEndpoint.objects.filter(pk=endpoint.pk).update(secret=secret)
    endpoint.secret = secret
    return secret
