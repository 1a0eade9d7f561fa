"""The domain: sectors, organizations, their endorsements and the audit trail (campaigns are in
``coalition.campaigns.models``)."""

from __future__ import annotations

import secrets

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxLengthValidator
from django.db import models
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django_countries.fields import CountryField

from coalition.endorsements.websites import (
    email_domain_matches,
    normalize_website,
    registrable_domain,
)

STATEMENT_MAX_LENGTH = 280


def new_public_id() -> str:
    return secrets.token_hex(6)


class Sector(models.Model):
    class TransparencyRegisterCategory(models.TextChoices):
        # Sections of the EU Transparency Register (Annex I of the 2021 interinstitutional
        # agreement), so that reviewers can compare an applicant with its register entry.
        PROFESSIONAL_CONSULTANCIES = "I", _("I – Professional consultancies, law firms")
        IN_HOUSE_AND_TRADE = "II", _("II – In-house lobbyists, trade and business associations")
        NGOS = "III", _("III – Non-governmental organisations")
        THINK_TANKS = "IV", _("IV – Think tanks, research and academic institutions")
        RELIGIOUS = "V", _("V – Organisations representing churches and religious communities")
        PUBLIC_AUTHORITIES = "VI", _("VI – Organisations representing public authorities")

    slug = models.SlugField(_("slug"), max_length=64, unique=True)
    name = models.CharField(_("name"), max_length=100)
    order = models.PositiveSmallIntegerField(_("order"), default=0)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
    )
    transparency_register_category = models.CharField(
        _("EU Transparency Register category"),
        max_length=4,
        choices=TransparencyRegisterCategory.choices,
    )

    class Meta:
        verbose_name = _("sector")
        verbose_name_plural = _("sectors")
        ordering = ["order", "name"]

    def __str__(self) -> str:
        return f"{self.parent} › {self.name}" if self.parent_id else self.name

    def clean(self) -> None:
        # Two levels only: the filters and the facets count a parent together with its children.
        if self.parent_id and self.parent.parent_id:
            raise ValidationError({"parent": _("A sector's parent must be a top-level sector.")})
        if self.parent_id and self.pk and self.parent_id == self.pk:
            raise ValidationError({"parent": _("A sector cannot be its own parent.")})


class Logo(models.Model):
    """A logo after the pipeline in ``coalition.images.logos``: only these re-encoded files are
    served."""

    digest = models.CharField(_("content hash"), max_length=64, unique=True)
    width = models.PositiveSmallIntegerField(_("width (1x)"))
    height = models.PositiveSmallIntegerField(_("height (1x)"))
    png = models.FileField(_("PNG 1x"), max_length=200)
    webp = models.FileField(_("WebP 1x"), max_length=200)
    png_2x = models.FileField(_("PNG 2x"), max_length=200)
    webp_2x = models.FileField(_("WebP 2x"), max_length=200)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("logo")
        verbose_name_plural = _("logos")

    def __str__(self) -> str:
        return self.digest[:12]


class Organization(models.Model):
    name = models.CharField(_("organization name"), max_length=200)
    website = models.URLField(_("website"), max_length=300)
    domain = models.CharField(
        _("registrable domain"), max_length=253, db_index=True, editable=False
    )
    country = CountryField(_("country"))
    sector = models.ForeignKey(Sector, verbose_name=_("sector"), on_delete=models.PROTECT)
    logo = models.ForeignKey(
        Logo, verbose_name=_("logo"), on_delete=models.PROTECT, null=True, blank=True
    )
    registry_id = models.CharField(
        _("registry ID"),
        max_length=64,
        blank=True,
        help_text=_("EU Transparency Register number, or a national charity or company number."),
    )
    statement = models.TextField(
        _("public statement"),
        blank=True,
        validators=[MaxLengthValidator(STATEMENT_MAX_LENGTH)],
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("organization")
        verbose_name_plural = _("organizations")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def save(self, *args, **kwargs) -> None:
        self.website = normalize_website(self.website)
        self.domain = registrable_domain(self.website)
        super().save(*args, **kwargs)


class RejectionReason(models.Model):
    code = models.SlugField(_("code"), max_length=64, unique=True)
    text = models.TextField(_("text shown to the applicant"))
    description = models.TextField(_("internal description"), blank=True)
    active = models.BooleanField(_("active"), default=True)
    order = models.PositiveSmallIntegerField(_("order"), default=0)

    class Meta:
        verbose_name = _("rejection reason")
        verbose_name_plural = _("rejection reasons")
        ordering = ["order", "code"]

    def __str__(self) -> str:
        return self.code


class Endorsement(models.Model):
    class Status(models.TextChoices):
        UNCONFIRMED = "unconfirmed", _("Unconfirmed")
        PENDING = "pending", _("Pending review")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")
        WITHDRAWN = "withdrawn", _("Withdrawn")
        REMOVED = "removed", _("Removed")

    # The only place the workflow is written down: from each status, where it may go.
    TRANSITIONS: dict[str, frozenset[str]] = {
        Status.UNCONFIRMED: frozenset({Status.PENDING, Status.WITHDRAWN}),
        Status.PENDING: frozenset({Status.APPROVED, Status.REJECTED, Status.WITHDRAWN}),
        Status.APPROVED: frozenset({Status.WITHDRAWN, Status.REMOVED}),
        Status.REJECTED: frozenset(),
        Status.WITHDRAWN: frozenset(),
        Status.REMOVED: frozenset(),
    }
    LIVE_STATUSES = (Status.UNCONFIRMED, Status.PENDING, Status.APPROVED)
    ENDED_STATUSES = (Status.REJECTED, Status.WITHDRAWN, Status.REMOVED)

    public_id = models.CharField(
        _("public ID"), max_length=12, unique=True, default=new_public_id, editable=False
    )
    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    campaign = models.ForeignKey(
        "coalition.Campaign",
        verbose_name=_("campaign"),
        on_delete=models.PROTECT,
        related_name="endorsements",
    )
    status = models.CharField(
        _("status"), max_length=12, choices=Status.choices, default=Status.UNCONFIRMED
    )
    contact_name = models.CharField(_("contact name"), max_length=200, blank=True)
    contact_role = models.CharField(_("contact role"), max_length=200, blank=True)
    contact_email = models.EmailField(_("contact email"), max_length=254, blank=True)
    preferred_language = models.CharField(
        _("preferred language"), max_length=8, choices=settings.LANGUAGES, default="en"
    )
    consent_authority = models.BooleanField(
        _("contact may sign on behalf of the organization"), default=False
    )
    consent_publish = models.BooleanField(
        _("consents to name and logo being public"), default=False
    )
    # What the contact agreed to, word for word, as the form showed it (in ``consent_language``),
    # and the privacy notice in force then (0: the built-in text, none yet written; empty: an
    # application made before these were kept, or by staff). Never public.
    consent_authority_words = models.TextField(_("words of the authority consent"), blank=True)
    consent_publish_words = models.TextField(_("words of the publication consent"), blank=True)
    consent_language = models.CharField(_("language of the consents"), max_length=8, blank=True)
    # Updates about the campaign (``coalition.updates``): an optional, unticked box on the form,
    # kept with its words like the consents above, and when it last changed (the form, the
    # manage page, or a one-click unsubscribe). Never public.
    updates_opt_in = models.BooleanField(_("wants updates about the campaign"), default=False)
    updates_opt_in_words = models.TextField(_("words of the updates box"), blank=True)
    updates_opt_in_changed_at = models.DateTimeField(
        _("updates choice changed"), null=True, blank=True
    )
    privacy_notice_version = models.PositiveIntegerField(
        _("privacy notice version"), null=True, blank=True
    )
    domain_verified = models.BooleanField(
        _("domain verified"),
        default=False,
        help_text=_("The contact email's domain is the website's domain or one of its subdomains."),
    )
    rejection_reason = models.ForeignKey(
        RejectionReason,
        verbose_name=_("rejection reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    submitted_at = models.DateTimeField(_("submitted"), auto_now_add=True)
    confirmed_at = models.DateTimeField(_("confirmed"), null=True, blank=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    approved_at = models.DateTimeField(_("approved"), null=True, blank=True, db_index=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Part of every manage link's signature: raising it revokes the links sent so far.
    manage_token_version = models.PositiveIntegerField(_("manage link version"), default=1)
    ended_at = models.DateTimeField(
        _("ended"),
        null=True,
        blank=True,
        help_text=_("When the endorsement was rejected, withdrawn or removed."),
    )
    personal_data_erased_at = models.DateTimeField(_("personal data erased"), null=True, blank=True)
    # Where the application came from: the ``ref`` and UTM parameters of the link that brought
    # the applicant to the form (``coalition.endorsements.sources``). Never public: only the
    # reviewers'
    # dashboard and the applicant's own data download read it.
    source = models.JSONField(
        _("source"),
        default=dict,
        blank=True,
        help_text=_("The ref and UTM parameters of the link that brought the applicant."),
    )
    # The import that created it (``coalition.imports``); empty for the form and the API.
    imported_in = models.ForeignKey(
        "coalition.AllyImport",
        verbose_name=_("imported in"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="endorsements",
    )

    class Meta:
        verbose_name = _("endorsement")
        verbose_name_plural = _("endorsements")
        ordering = ["-submitted_at"]
        permissions = [("decide_endorsement", _("Can approve, reject and remove endorsements"))]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "campaign"],
                condition=Q(status__in=["unconfirmed", "pending", "approved"]),
                name="one_live_endorsement_per_organization_and_campaign",
                violation_error_message=_(
                    "This organization already has an endorsement for this campaign."
                ),
            ),
            models.CheckConstraint(
                condition=Q(
                    status__in=[
                        "unconfirmed",
                        "pending",
                        "approved",
                        "rejected",
                        "withdrawn",
                        "removed",
                    ]
                ),
                name="endorsement_status_is_known",
            ),
        ]
        indexes = [models.Index(fields=["campaign", "status"])]

    def __str__(self) -> str:
        return f"{self.organization} → {self.campaign}"

    def can_become(self, status: str) -> bool:
        return status in self.TRANSITIONS[self.status]

    @property
    def manage_links_revoked(self) -> bool:
        """Whether a reviewer has revoked the manage links sent so far."""
        return self.manage_token_version > 1

    @property
    def contact_domain_matches(self) -> bool:
        return email_domain_matches(self.contact_email, self.organization.domain)

    @property
    def verification(self) -> str | None:
        """How the organization proved its domain ("email", "dns", "well-known"), or None: what
        the verified mark of the wall, the embeds, the images and the API shows."""
        # Imported here: coalition.proofs.models builds on this module.
        from coalition.proofs.models import verification_of

        return verification_of(self)


class OrganizationVersion(models.Model):
    """What an organization shows publicly (website, logo, statement), version by version.

    The organization row holds the current version; a change to an approved entry waits here as
    ``proposed`` until a reviewer accepts it, so the approved version stays public meanwhile.
    """

    class State(models.TextChoices):
        CURRENT = "current", _("Current")
        PROPOSED = "proposed", _("Proposed, waiting for review")
        PREVIOUS = "previous", _("Previous")
        DECLINED = "declined", _("Declined")
        SUPERSEDED = "superseded", _("Replaced by a newer proposal")

    organization = models.ForeignKey(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="versions",
    )
    state = models.CharField(_("state"), max_length=10, choices=State.choices)
    website = models.URLField(_("website"), max_length=300)
    logo = models.ForeignKey(
        Logo, verbose_name=_("logo"), on_delete=models.PROTECT, null=True, blank=True
    )
    statement = models.TextField(
        _("public statement"), blank=True, validators=[MaxLengthValidator(STATEMENT_MAX_LENGTH)]
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("decided by"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )

    class Meta:
        verbose_name = _("organization version")
        verbose_name_plural = _("organization versions")
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization"],
                condition=Q(state="proposed"),
                name="one_proposed_version_per_organization",
            )
        ]

    def __str__(self) -> str:
        return f"{self.organization} ({self.get_state_display()})"


class AppendOnly:
    """An audit trail's row: written once, never changed or deleted (``EndorsementEvent``,
    ``TeamEvent``)."""

    def save(self, *args, **kwargs) -> None:
        if self.pk is not None:
            raise ValidationError(_("Audit events cannot be changed."))
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValidationError(_("Audit events cannot be deleted."))


class EndorsementEvent(AppendOnly, models.Model):
    """One transition of an endorsement. Written once by the services, never changed."""

    class Actor(models.TextChoices):
        REVIEWER = "reviewer", _("Reviewer")
        APPLICANT = "applicant", _("Applicant")
        SYSTEM = "system", _("System")

    endorsement = models.ForeignKey(
        Endorsement,
        verbose_name=_("endorsement"),
        on_delete=models.PROTECT,
        related_name="events",
    )
    at = models.DateTimeField(_("when"), auto_now_add=True, db_index=True)
    actor = models.CharField(_("actor"), max_length=10, choices=Actor.choices)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("reviewer"),
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    from_status = models.CharField(_("from"), max_length=12, choices=Endorsement.Status.choices)
    to_status = models.CharField(_("to"), max_length=12, choices=Endorsement.Status.choices)
    reason = models.ForeignKey(
        RejectionReason,
        verbose_name=_("reason"),
        on_delete=models.PROTECT,
        null=True,
        blank=True,
    )
    note = models.TextField(_("note"), blank=True)
    # What the reviewer ticked before approving an application the evidence flagged (a
    # lookalike, a shared domain or registry ID), kept apart from their own note.
    acknowledgement = models.TextField(_("acknowledgement"), blank=True)
    # The contact said they never applied (the "this wasn't us" link): the workspace's
    # "Reported" tab. A marker of its own, since the note is written in the page's language.
    reported = models.BooleanField(_("reported as not theirs"), default=False)
    # An owner who imported the organization attested, with the note, that it signed by other
    # means (an email, a letter): approved without the contact's confirmation.
    attested = models.BooleanField(_("attested by an owner"), default=False)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["at", "pk"]

    def __str__(self) -> str:
        return f"{self.from_status} → {self.to_status}"


def statement_fields(statement: str, translations: dict[str, str] | None = None) -> dict[str, str]:
    """The per-language statement columns: ``statement`` is in the active language, and
    ``translations`` may add the others (keys are language codes)."""
    codes = [code for code, _name in settings.LANGUAGES]
    texts = dict.fromkeys(codes, "")
    texts.update({code: text for code, text in (translations or {}).items() if code in codes})
    texts[translation.get_language() if translation.get_language() in codes else "en"] = statement
    return {f"statement_{code}": text.strip() for code, text in texts.items()}
