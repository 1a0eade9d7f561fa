"""The record of purges of the HTTP caches in front of the site."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalition.jobs.models import QueuedJob


class CachePurge(QueuedJob):
    """Keys to purge on one HTTP cache in front of the site (a Varnish, see
    ``coalition.publishing.purges``), recorded with the change that makes them stale; the
    record of every purge done."""

    # The cache, as named in HTTP_CACHE_PURGE_URLS.
    target = models.CharField(_("cache"), max_length=500)
    keys = models.JSONField(_("keys"))
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("cache purge")
        verbose_name_plural = _("cache purges")
        ordering = ["created_at"]
        indexes = [
            # What the worker polls every second: the purges not done yet.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(done_at__isnull=True),
                name="purge_pending",
            )
        ]

    def __str__(self) -> str:
        return f"{self.target}: {' '.join(self.keys)}"
