from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from coalition.endorsements.models import AppendOnly


class LogEntry(AppendOnly, models.Model):
    """One public event of a campaign's log (``/campaigns/<slug>/log.json``): written once, in
    the transaction of the decision, never changed or deleted, retention included. It holds
    public facts only: the ally's public id and the public fields concerned."""

    class Event(models.TextChoices):
        JOINED = "joined", _("joined")
        LEFT = "left", _("left")
        CHANGED = "changed", _("changed")

    campaign = models.ForeignKey(
        "coalition.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="log_entries",
    )
    seq = models.PositiveIntegerField(_("sequence number"))
    time = models.DateTimeField(_("time"))
    event = models.CharField(_("event"), max_length=8, choices=Event.choices)
    ally = models.CharField(_("ally (public ID)"), max_length=12, db_index=True)
    fields = models.JSONField(_("public fields"), default=dict)
    prev = models.CharField(_("previous entry's hash"), max_length=64)
    hash = models.CharField(_("hash"), max_length=64)

    class Meta:
        verbose_name = _("public log entry")
        verbose_name_plural = _("public log entries")
        ordering = ["campaign", "seq"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "seq"], name="one_log_entry_per_seq")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} #{self.seq} {self.event} {self.ally}"


class SignedList(models.Model):
    """When each state of a campaign's signed list of signatories was first made: its
    ``generated_at``. The list is rebuilt from the database on each request and its Ed25519
    signature is deterministic, so with this one time every process, at any moment, makes the
    same bytes and the same signature for the same state; the list and its ``.minisig``, fetched
    apart, always match. ``digest`` is the SHA-256 of the list without ``generated_at``."""

    campaign = models.ForeignKey(
        "coalition.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    digest = models.CharField(_("content hash"), max_length=64)
    generated_at = models.DateTimeField(_("generated"))

    class Meta:
        verbose_name = _("signed list of signatories")
        verbose_name_plural = _("signed lists of signatories")
        constraints = [
            models.UniqueConstraint(fields=["campaign", "digest"], name="one_signed_list_per_state")
        ]

    def __str__(self) -> str:
        return f"{self.campaign_id} {self.digest[:12]}"
