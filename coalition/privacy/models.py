from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class PrivacyNotice(models.Model):
    """One version of the privacy notice. Versions are never changed: each saved edit is a new
    row with the next number, so that an application can name the words its contact was shown
    (``Endorsement.privacy_notice_version``). The highest number is the current notice."""

    version = models.PositiveIntegerField(_("version"), unique=True, editable=False)
    # Translated (coalition.translation): ``text_en``, ``text_fr``, ``text_de``.
    text = models.TextField(
        _("text"),
        help_text=_(
            "Plain text; a blank line starts a new paragraph. Saving makes a new version: the "
            "versions saved before stay as they were."
        ),
    )
    created_at = models.DateTimeField(_("published"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("published by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        ordering = ["-version"]
        verbose_name = _("privacy notice")
        verbose_name_plural = _("privacy notices")

    def __str__(self) -> str:
        return str(_("Privacy notice, version %(version)s") % {"version": self.version})
