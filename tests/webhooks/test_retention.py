"""A delivery's body may hold contact data: once delivered or given up, it is kept as long as
sent mail is (``RETENTION_UNCONFIRMED_DAYS``), then deleted with its attempts."""

from __future__ import annotations

import io
from datetime import timedelta

from django.core.management import call_command
from django.utils import timezone

from coalition import services
from coalition.models import WebhookAttempt, WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import ALL_EVENTS


def _delivery(endpoint: WebhookEndpoint, number: int, **fields) -> WebhookDelivery:
    delivery = WebhookDelivery.objects.create(
        endpoint=endpoint,
        message_id=f"msg_{number}",
        event="endorsement.confirmed",
        payload='{"data":{"contact":{"email":"eleni@paidi.example.gr"}}}',
        **fields,
    )
    WebhookAttempt.objects.create(delivery=delivery, succeeded=bool(fields.get("delivered_at")))
    return delivery


def test_done_deliveries_are_deleted_with_their_attempts_after_the_retention(db, settings):
    settings.RETENTION_UNCONFIRMED_DAYS = 30
    endpoint = WebhookEndpoint.objects.create(
        url="https://hooks.partner-crm.org/coalition", events=ALL_EVENTS, include_contact=True
    )
    now = timezone.now()
    old = now - timedelta(days=31)
    delivered = _delivery(endpoint, 1, delivered_at=old)
    given_up = _delivery(endpoint, 2, failed_at=old)
    recent = _delivery(endpoint, 3, delivered_at=now - timedelta(days=29))
    waiting = _delivery(endpoint, 4)

    report = services.retention_apply(now=now)

    assert report.webhook_deliveries_deleted == 2
    left = set(WebhookDelivery.objects.values_list("pk", flat=True))
    assert left == {recent.pk, waiting.pk}
    assert not WebhookAttempt.objects.filter(delivery_id__in=[delivered.pk, given_up.pk]).exists()
    out = io.StringIO()
    call_command("apply_retention", stdout=out)
    assert "0 done webhook deliveries deleted" in out.getvalue()
