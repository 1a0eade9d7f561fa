"""Work for the background worker (``coalition.jobs.tasks``): the outbox (and the base of every
queue's job)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalition.endorsements.models import Endorsement


class QueuedJob(models.Model):
    """The columns of a job for the background worker (see ``coalition.jobs.tasks``).

    A concrete job model adds what the job needs, a "done" timestamp that is null until the
    work succeeded, and a partial index on the rows not done, which is what the worker polls.
    """

    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), null=True, blank=True)
    # A worker's lease on the job: while it is in the future no other worker takes the job; a
    # worker that dies mid-job leaves it to expire, and the job is tried again.
    claimed_until = models.DateTimeField(_("claimed until"), null=True, blank=True)
    last_error = models.TextField(_("last error"), blank=True)

    class Meta:
        abstract = True


class OutboundEmail(QueuedJob):
    """Mail waiting to be sent, and the record of every mail sent. Rows are written in the same
    transaction as the change they announce, so a mail server that is down delays mail but
    never loses it; the worker sends them."""

    to = models.JSONField(_("recipients"))
    # Mail to an applicant belongs to their application: exported with it, deleted with it.
    endorsement = models.ForeignKey(
        Endorsement,
        verbose_name=_("endorsement"),
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        related_name="emails",
    )
    subject = models.CharField(_("subject"), max_length=300)
    body_text = models.TextField(_("text body"))
    body_html = models.TextField(_("HTML body"), blank=True)
    template = models.CharField(_("template"), max_length=64)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True, db_index=True)

    class Meta:
        verbose_name = _("outbound email")
        verbose_name_plural = _("outbound emails")
        ordering = ["created_at"]
        indexes = [
            # What the worker polls every second: only the mail not sent yet, a handful of rows
            # however long the record of sent mail grows.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(sent_at__isnull=True),
                name="outbox_unsent",
            )
        ]

    def __str__(self) -> str:
        return self.subject
