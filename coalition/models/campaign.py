"""Campaigns: their text, who runs them and how their page looks, and their hero images."""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from coalition import colours

LEAD_MAX_LENGTH = 300


class HeroImage(models.Model):
    """A campaign's banner after the pipeline in ``coalition.heroes``: only these re-encoded
    files, named after their pixels, are ever served."""

    digest = models.CharField(_("content hash"), max_length=64, unique=True)
    width = models.PositiveSmallIntegerField(_("width"))
    height = models.PositiveSmallIntegerField(_("height"))
    # The widths made, smallest first; each in JPEG and WebP (``coalition.heroes.storage_name``).
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
        # Stored one way (#rrggbb), so that a page and its theme agree. A colour that is not one
        # has its message from the field's validator.
        rgb = colours.parse_hex(self.accent_color or "")
        self.accent_color = colours.to_hex(rgb) if rgb else (self.accent_color or "").strip()

    @property
    def accent_hex(self) -> str:
        """The campaign's own accent without ``#`` (``""`` when it has none): its theme's name."""
        return self.accent_color.lstrip("#").lower() if self.accent_color else ""
