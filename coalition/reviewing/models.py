"""The reviewers' workspace (``/review/``): the evidence stored for each application, who
is reviewing which application right now, and how each reviewer has set the workspace up."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from coalition.endorsements.models import Endorsement


class EndorsementEvidence(models.Model):
    """What ``coalition.reviewing.evidence`` found about an application, kept so that the queue
    shows the
    flags without computing them again for every row.

    ``flags`` is a list of ``{"code", "level", "ack", "params", "matches"}`` (see
    ``coalition.reviewing.evidence.Flag``): codes and values only, the words are chosen when a page
    shows
    them, in the reader's language. ``inputs`` is what the flags were computed from, so that a
    change of website, name or registry ID can be noticed and the flags computed again.
    """

    endorsement = models.OneToOneField(
        Endorsement,
        verbose_name=_("endorsement"),
        on_delete=models.CASCADE,
        related_name="evidence",
    )
    flags = models.JSONField(_("flags"), default=list, blank=True)
    inputs = models.JSONField(_("computed from"), default=dict, blank=True)
    needs_acknowledgement = models.BooleanField(
        _("needs an acknowledgement"),
        default=False,
        help_text=_("A lookalike or a shared domain or registry ID: approving needs a tick."),
    )
    computed_at = models.DateTimeField(_("computed"))

    class Meta:
        verbose_name = _("evidence")
        verbose_name_plural = _("evidence")

    def __str__(self) -> str:
        return f"evidence for {self.endorsement_id}"


class ReviewClaim(models.Model):
    """A reviewer has opened this application: the others see it, until ``expires_at``.

    One row per application at most. Claims only tell; the decision itself is still locked by
    the services, so that one decision wins whoever holds the claim.
    """

    endorsement = models.OneToOneField(
        Endorsement,
        verbose_name=_("endorsement"),
        on_delete=models.CASCADE,
        related_name="review_claim",
    )
    reviewer = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.CASCADE,
        related_name="+",
    )
    claimed_at = models.DateTimeField(_("claimed"))
    expires_at = models.DateTimeField(_("expires"), db_index=True)
    taken_over_from = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("taken over from"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("review claim")
        verbose_name_plural = _("review claims")

    def __str__(self) -> str:
        return f"{self.endorsement_id} claimed by {self.reviewer_id}"


class ReviewerSettings(models.Model):
    """How one reviewer has set the workspace up, kept on the server so that it follows them
    from one browser to another (``coalition.reviewing.preferences``). A reviewer without a row
    has the defaults."""

    class Shortcuts(models.TextChoices):
        # WCAG 2.2 SC 2.1.4: single-key shortcuts can be turned off, or made to need a modifier
        # (speech input types letters; a screen reader's keys may reach the page).
        SINGLE_KEY = "single", _("Single keys")
        ALT = "alt", _("With the Alt key")
        OFF = "off", _("Off")

    reviewer = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.CASCADE,
        related_name="reviewer_settings",
    )
    shortcuts = models.CharField(
        _("keyboard shortcuts"),
        max_length=10,
        choices=Shortcuts.choices,
        default=Shortcuts.SINGLE_KEY,
    )

    class Meta:
        verbose_name = _("reviewer settings")
        verbose_name_plural = _("reviewer settings")

    def __str__(self) -> str:
        return f"settings of {self.reviewer_id}"
