from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalition.jobs.models import QueuedJob


class AllyImport(models.Model):
    """One import of allies into a campaign: the file as uploaded, its report row by row, and
    the worker's progress creating the rows (``coalition.imports``)."""

    class State(models.TextChoices):
        REPORTED = "reported", _("Report ready")
        QUEUED = "queued", _("Waiting for the worker")
        RUNNING = "running", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    campaign = models.ForeignKey(
        "coalition.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.CASCADE,
        related_name="imports",
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("imported by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("uploaded"), auto_now_add=True)
    file_name = models.CharField(_("file name"), max_length=255, blank=True)
    # The CSV as text, and the logos' ZIP in storage, until the worker has created every row.
    csv_text = models.TextField(_("CSV"), blank=True)
    logos_archive = models.FileField(
        _("logos (ZIP)"), upload_to="imports/", max_length=200, blank=True
    )
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REPORTED
    )
    # Row by row: line, what will happen (create, skip as a duplicate, invalid) and why.
    report = models.JSONField(_("report"), default=list, blank=True)
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_valid = models.PositiveIntegerField(_("valid rows"), default=0)
    rows_done = models.PositiveIntegerField(_("rows imported"), default=0)
    valid_only = models.BooleanField(_("import the valid rows only"), default=False)
    attested = models.BooleanField(_("attested"), default=False)
    attestation_note = models.TextField(_("attestation"), blank=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)
    error = models.TextField(_("error"), blank=True)

    class Meta:
        verbose_name = _("import of allies")
        verbose_name_plural = _("imports of allies")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name or self.pk} ({self.get_state_display()})"


class AllyImportJob(QueuedJob):
    """The worker's job for one started import (``coalition.imports.tasks``): it creates the
    rows, processes their logos and queues their mail, outside any request."""

    ally_import = models.ForeignKey(
        AllyImport,
        verbose_name=_("import of allies"),
        on_delete=models.CASCADE,
        related_name="jobs",
    )
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("import job")
        verbose_name_plural = _("import jobs")
        indexes = [
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(done_at__isnull=True),
                name="import_job_not_done",
            )
        ]

    def __str__(self) -> str:
        return f"{self.ally_import} ({self.done_at or '…'})"
