from __future__ import annotations

import base64
import secrets

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalition.jobs.models import QueuedJob


class WebhookEvent(models.TextChoices):
    CONFIRMED = "endorsement.confirmed", "endorsement.confirmed"
    APPROVED = "endorsement.approved", "endorsement.approved"
    REJECTED = "endorsement.rejected", "endorsement.rejected"
    WITHDRAWN = "endorsement.withdrawn", "endorsement.withdrawn"
    REMOVED = "endorsement.removed", "endorsement.removed"
    UPDATED = "endorsement.updated", "endorsement.updated"
    CAMPAIGN_UPDATED = "campaign.updated", "campaign.updated"


def new_webhook_secret() -> str:
    # Standard Webhooks: "whsec_" and the base64 of 24 to 64 random bytes.
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


class WebhookEndpoint(models.Model):
    """A partner's system that receives signed deliveries of the events it chose."""

    url = models.URLField(_("URL"), max_length=500)
    description = models.CharField(_("description"), max_length=200, blank=True)
    secret = models.CharField(_("signing secret"), max_length=100, default=new_webhook_secret)
    events = models.JSONField(_("events"), default=list)
    # Empty: every campaign.
    campaign = models.ForeignKey(
        "coalition.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="webhook_endpoints",
        help_text=_("Leave empty to receive the events of every campaign."),
    )
    include_contact = models.BooleanField(
        _("include contact data"),
        default=False,
        help_text=_("Adds the contact's name, role, email and language, and the source."),
    )
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["url"]

    def __str__(self) -> str:
        return self.description or self.url


class WebhookDelivery(QueuedJob):
    """One event for one endpoint: the body exactly as signed and sent, retried with backoff for
    24 hours (``coalition.webhooks.delivery``)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint,
        verbose_name=_("endpoint"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # The ``webhook-id``: the same on every attempt, so that a receiver can drop a repeat.
    message_id = models.CharField(_("message ID"), max_length=64, unique=True)
    event = models.CharField(_("event"), max_length=32, choices=WebhookEvent.choices)
    payload = models.TextField(_("body"))
    delivered_at = models.DateTimeField(_("delivered"), null=True, blank=True)
    failed_at = models.DateTimeField(_("given up"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(delivered_at__isnull=True, failed_at__isnull=True),
                name="webhook_delivery_not_done",
            )
        ]

    def __str__(self) -> str:
        return f"{self.event} → {self.endpoint}"


class WebhookAttempt(models.Model):
    """One try at a delivery: when, how long, and what the endpoint answered."""

    delivery = models.ForeignKey(
        WebhookDelivery,
        verbose_name=_("delivery"),
        on_delete=models.CASCADE,
        related_name="attempts_made",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True)
    succeeded = models.BooleanField(_("succeeded"), default=False)
    response_code = models.PositiveSmallIntegerField(_("response code"), null=True, blank=True)
    duration_ms = models.PositiveIntegerField(_("duration (ms)"), default=0)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("webhook attempt")
        verbose_name_plural = _("webhook attempts")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.delivery} @ {self.at:%Y-%m-%d %H:%M:%S}"
