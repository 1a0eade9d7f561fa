from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalition.jobs.models import QueuedJob


class CampaignUpdate(models.Model):
    """One update an owner writes to a campaign's allies: a subject and a plain-text body per
    language (``subject_en``, ``body_fr``… through ``coalition.translation``)."""

    campaign = models.ForeignKey(
        "coalition.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="updates",
    )
    subject = models.CharField(_("subject"), max_length=200)
    body = models.TextField(_("text"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("written by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    # Set once, by the service that queues the deliveries: an update is sent at most once.
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sent by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("update to allies")
        verbose_name_plural = _("updates to allies")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject


class UpdateDelivery(QueuedJob):
    """One update to one ally's contact: the worker's job, and the record that it went. The
    unique pair is what makes an update reach each recipient once, whatever the worker does."""

    update = models.ForeignKey(
        CampaignUpdate,
        verbose_name=_("update"),
        on_delete=models.CASCADE,
        related_name="deliveries",
    )
    # Deleted with the application (retention, "this wasn't us"): mail to a person is theirs.
    endorsement = models.ForeignKey(
        "coalition.Endorsement",
        verbose_name=_("endorsement"),
        on_delete=models.CASCADE,
        related_name="update_deliveries",
    )
    language = models.CharField(_("language"), max_length=8)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)
    # Given up: the contact unsubscribed or left before their turn, or every retry failed.
    skipped_at = models.DateTimeField(_("skipped"), null=True, blank=True)

    class Meta:
        verbose_name = _("update delivery")
        verbose_name_plural = _("update deliveries")
        ordering = ["created_at", "pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["update", "endorsement"], name="one_delivery_per_update_and_recipient"
            )
        ]
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True, skipped_at__isnull=True),
                name="update_delivery_not_done",
            )
        ]

    def __str__(self) -> str:
        return f"{self.update} → {self.endorsement_id}"
