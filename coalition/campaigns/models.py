"""Campaigns: their text, who runs them and how their page looks, and their hero images."""

from __future__ import annotations

import zoneinfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from coalition.endorsements.models import AppendOnly
from coalition.images import colours

LEAD_MAX_LENGTH = 300


class HeroImage(models.Model):
    """A campaign's banner after the pipeline in ``coalition.images.heroes``: only these re-encoded
    files, named after their pixels, are ever served."""

    digest = models.CharField(_("content hash"), max_length=64, unique=True)
    width = models.PositiveSmallIntegerField(_("width"))
    height = models.PositiveSmallIntegerField(_("height"))
    # The widths made, smallest first; each in JPEG and WebP
    # (``HeroImage.file_name``).
    widths = models.JSONField(_("widths"), default=list)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("hero image")
        verbose_name_plural = _("hero images")

    def __str__(self) -> str:
        return self.digest[:12]

    def file_name(self, width: int, extension: str) -> str:
        return f"heroes/{self.digest[:2]}/{self.digest}-{width}w.{extension}"

    def srcset(self, extension: str) -> str:
        return ", ".join(
            f"{default_storage.url(self.file_name(width, extension))} {width}w"
            for width in self.widths
        )

    @property
    def webp_srcset(self) -> str:
        return self.srcset("webp")

    @property
    def jpeg_srcset(self) -> str:
        return self.srcset("jpg")

    @property
    def fallback_url(self) -> str:
        """The JPEG for browsers without ``srcset``: the widest up to 1280 pixels."""
        fitting = [width for width in self.widths if width <= 1280] or self.widths[:1]
        return default_storage.url(self.file_name(fitting[-1], "jpg"))


class Campaign(models.Model):
    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    title = models.CharField(_("title"), max_length=200)
    lead = models.TextField(
        _("lead"),
        blank=True,
        validators=[MaxLengthValidator(LEAD_MAX_LENGTH)],
        help_text=_("One or two sentences under the title: why this matters, in short."),
    )
    addressee = models.CharField(
        _("addressee"),
        max_length=200,
        blank=True,
        help_text=_(
            "Whom the statement is addressed to: “To the Members of the European Parliament”."
        ),
    )
    statement = models.TextField(
        _("statement"), help_text=_("The text organizations endorse when they sign on.")
    )
    organizer_name = models.CharField(
        _("organizer"),
        max_length=200,
        blank=True,
        help_text=_("Who runs the campaign, named at the top of its page."),
    )
    organizer_website = models.URLField(_("organizer’s website"), max_length=300, blank=True)
    organizer_logo = models.ForeignKey(
        "coalition.Logo",
        verbose_name=_("organizer’s logo"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accent_color = models.CharField(
        _("accent colour"),
        max_length=7,
        blank=True,
        validators=[colours.validate_accent],
        help_text=_(
            "Links, buttons, the map and the share card in this colour, such as #0b6e4f. It must "
            "read well on the page (WCAG AA: a contrast of at least 4.5:1). Empty: the site’s."
        ),
    )
    hero_image = models.ForeignKey(
        HeroImage,
        verbose_name=_("hero image"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
    )
    accepts_applications = models.BooleanField(_("accepts applications"), default=True)
    goal = models.PositiveIntegerField(
        _("goal"),
        null=True,
        blank=True,
        help_text=_("How many organizations the campaign hopes to gather. Empty: no goal shown."),
    )
    closes_at = models.DateTimeField(
        _("applications close"),
        null=True,
        blank=True,
        help_text=_("After this moment the form refuses new applications. Empty: never."),
    )
    publish_at = models.DateTimeField(
        _("goes public"),
        null=True,
        blank=True,
        db_index=True,
        help_text=_(
            "Before this moment every public page of the campaign answers “not found”; the team "
            "can still review and preview it. Empty: public now."
        ),
    )
    time_zone = models.CharField(
        _("time zone"),
        max_length=64,
        default="UTC",
        help_text=_(
            "Dates of the campaign are shown and entered in this zone, such as Europe/Brussels."
        ),
    )
    # When the worker told the caches that the campaign went public (``publish_at`` reached):
    # until then every cached "not found" of it is purged at that moment.
    launched_at = models.DateTimeField(_("launched"), null=True, blank=True)
    # A link the owners share before the launch: applying works through it while the campaign
    # is still embargoed (``coalition.campaigns.dates``). Rotated by the owners.
    preview_key = models.CharField(_("private link key"), max_length=43, blank=True)
    is_default = models.BooleanField(
        _("default campaign"),
        default=False,
        help_text=_("Shown at the site's root and used when no campaign is named."),
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")
        ordering = ["-is_default", "title"]
        constraints = [
            models.UniqueConstraint(
                fields=["is_default"], condition=Q(is_default=True), name="one_default_campaign"
            )
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self) -> None:
        if self.time_zone not in zoneinfo.available_timezones():
            raise ValidationError(
                {"time_zone": _("Choose a time zone from the list, such as Europe/Brussels.")}
            )
        # Stored one way (#rrggbb), so that a page and its theme agree. A colour that is not one
        # has its message from the field's validator.
        rgb = colours.parse_hex(self.accent_color or "")
        self.accent_color = colours.to_hex(rgb) if rgb else (self.accent_color or "").strip()

    @property
    def accent_hex(self) -> str:
        """The campaign's own accent without ``#`` (``""`` when it has none): its theme's name."""
        return self.accent_color.lstrip("#").lower() if self.accent_color else ""

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone or "UTC")
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def is_public(self, now=None) -> bool:
        """Whether the public may see the campaign: no embargo, or its moment has come."""
        return self.publish_at is None or self.publish_at <= (now or timezone.now())

    def is_closed(self, now=None) -> bool:
        """Whether its deadline for applications has passed."""
        return self.closes_at is not None and self.closes_at <= (now or timezone.now())


class Milestone(models.Model):
    """A dated step of a campaign (“Letter handed to the LIBE committee”), on its page, in its
    API object and in its feed. Title and link translated (``coalition.translation``)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="milestones"
    )
    date = models.DateField(_("date"))
    title = models.CharField(_("title"), max_length=200)
    link = models.URLField(_("link"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("milestone")
        verbose_name_plural = _("milestones")
        ordering = ["date", "pk"]

    def __str__(self) -> str:
        return f"{self.date}: {self.title}"


class TeamRole(models.TextChoices):
    # A person's role on a team, apart from the audit trail's "Reviewer" (who acted).
    OWNER = "owner", pgettext_lazy("team role", "Owner")
    REVIEWER = "reviewer", pgettext_lazy("team role", "Reviewer")


class CampaignMember(models.Model):
    """Someone on a campaign's team: an owner (edits the campaign, manages the team, reviews)
    or a reviewer (reviews that campaign's applications only)."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="members"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("user"),
        on_delete=models.CASCADE,
        related_name="campaign_memberships",
    )
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices)
    created_at = models.DateTimeField(_("joined"), auto_now_add=True)

    class Meta:
        verbose_name = _("team member")
        verbose_name_plural = _("team members")
        ordering = ["campaign", "role", "pk"]
        constraints = [
            models.UniqueConstraint(fields=["campaign", "user"], name="one_role_per_campaign")
        ]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.campaign})"


class CampaignInvitation(models.Model):
    """An invitation to a campaign's team, by email. Only the hash of its link's token is kept;
    it is used once, within ``expires_at``."""

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="invitations"
    )
    email = models.EmailField(_("email"), max_length=254)
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices)
    language = models.CharField(_("language"), max_length=8)
    token_hash = models.CharField(_("token hash"), max_length=64, unique=True)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("invited by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("sent"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires"))
    accepted_at = models.DateTimeField(_("accepted"), null=True, blank=True)
    accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("accepted by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    revoked_at = models.DateTimeField(_("withdrawn"), null=True, blank=True)

    class Meta:
        verbose_name = _("invitation")
        verbose_name_plural = _("invitations")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.email} ({self.get_role_display()}, {self.campaign})"

    def is_open(self, now=None) -> bool:
        return (
            self.accepted_at is None
            and self.revoked_at is None
            and self.expires_at > (now or timezone.now())
        )


class TeamEvent(AppendOnly, models.Model):
    """One change to a campaign's team, written by the services, never changed: the team's
    audit trail."""

    class Action(models.TextChoices):
        INVITED = "invited", _("Invited")
        INVITATION_WITHDRAWN = "uninvited", _("Invitation withdrawn")
        JOINED = "joined", _("Joined")
        ROLE_CHANGED = "role", _("Role changed")
        REMOVED = "removed", _("Removed")
        CAMPAIGN_CHANGED = "edited", _("Campaign edited")
        IMPORTED = "imported", _("Allies imported")
        # The allies and their contacts exported for a CRM (coalition.endorsements.crm_export).
        EXPORTED = "exported", _("Allies exported")

    campaign = models.ForeignKey(
        Campaign, verbose_name=_("campaign"), on_delete=models.CASCADE, related_name="team_events"
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    action = models.CharField(_("action"), max_length=10, choices=Action.choices)
    by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    email = models.EmailField(_("email"), max_length=254, blank=True)
    role = models.CharField(_("role"), max_length=10, choices=TeamRole.choices, blank=True)
    from_role = models.CharField(
        _("former role"), max_length=10, choices=TeamRole.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("team event")
        verbose_name_plural = _("team events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.email or self.user}"
