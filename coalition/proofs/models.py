"""Proof that an organization controls its domain: its token, the proof each endorsement holds,
and every check made (``coalition.proofs.services`` does the checks).

Three proofs, any one suffices: the confirmed contact address is at the website's registrable
domain ("email", ``Endorsement.domain_verified``), a TXT record holds the organization's token
("dns"), or a file on its website does ("well-known"). ``verification_of`` and
its SQL twins ``verified_condition`` and ``verification_expression`` are the one rule behind the
verified mark.
"""

from __future__ import annotations

import secrets

from django.db import models
from django.db.models import Case, F, Q, Value, When
from django.utils.translation import gettext_lazy as _

from coalition.endorsements.models import Endorsement, Organization
from coalition.jobs.models import QueuedJob


class Method(models.TextChoices):
    """How a domain was proven: the values of the API's ``verification``."""

    EMAIL = "email", _("email address at the domain")
    DNS = "dns", _("DNS record")
    WELL_KNOWN = "well-known", _("file on the website")


# The proofs an organization makes itself, checked again every day.
CHECKED_METHODS = (Method.DNS, Method.WELL_KNOWN)


def new_domain_token() -> str:
    # 128 random bits, in hex: safe in a TXT record, a file and a URL, and easy to read out.
    return secrets.token_hex(16)


class DomainToken(models.Model):
    """The random token an organization publishes to prove its domain, one per organization."""

    organization = models.OneToOneField(
        Organization,
        verbose_name=_("organization"),
        on_delete=models.CASCADE,
        related_name="domain_token",
    )
    token = models.CharField(_("token"), max_length=64, unique=True, default=new_domain_token)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("domain token")
        verbose_name_plural = _("domain tokens")

    def __str__(self) -> str:
        return f"token of {self.organization_id}"


class DomainProof(models.Model):
    """The DNS or web proof of an endorsement's domain: how it was last found, and whether it
    still holds. While it is missing (``missing_since``) the verified mark is hidden; missing
    for a week, the endorsement is flagged for the reviewers (``flagged_at``)."""

    endorsement = models.OneToOneField(
        Endorsement,
        verbose_name=_("endorsement"),
        on_delete=models.CASCADE,
        related_name="domain_proof",
    )
    method = models.CharField(
        _("method"), max_length=12, choices=[(m.value, m.label) for m in CHECKED_METHODS]
    )
    # The registrable domain proven: a change of website makes the proof stop holding.
    domain = models.CharField(_("domain"), max_length=253)
    # What the successful check looked at: the record's name, or the file's URL and address.
    checked = models.JSONField(_("what was checked"), default=dict, blank=True)
    first_proven_at = models.DateTimeField(_("first proven"))
    proven_at = models.DateTimeField(_("last found"))
    missing_since = models.DateTimeField(_("missing since"), null=True, blank=True)
    flagged_at = models.DateTimeField(_("flagged for review"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain proof")
        verbose_name_plural = _("domain proofs")

    def __str__(self) -> str:
        return f"{self.method} proof of {self.domain}"

    def holds_for(self, domain: str) -> bool:
        return (
            self.method in CHECKED_METHODS
            and self.missing_since is None
            and (self.domain == domain)
        )


class DomainCheck(QueuedJob):
    """One check of an endorsement's domain, done by the worker; the record of every check.

    ``findings`` is a list of ``{"method", "code", "params"}``: codes and values only, put into
    words in the reader's language by ``coalition.proofs.services.describe``.
    """

    class Reason(models.TextChoices):
        APPLICANT = "applicant", _("asked for on the manage page")
        RECHECK = "recheck", _("daily re-check")

    class Outcome(models.TextChoices):
        PROVEN = "proven", _("proven")
        FAILED = "failed", _("not proven")

    endorsement = models.ForeignKey(
        Endorsement,
        verbose_name=_("endorsement"),
        on_delete=models.CASCADE,
        related_name="domain_checks",
    )
    domain = models.CharField(_("domain"), max_length=253)
    reason = models.CharField(_("reason"), max_length=12, choices=Reason.choices)
    outcome = models.CharField(_("outcome"), max_length=8, choices=Outcome.choices, blank=True)
    method = models.CharField(
        _("method"),
        max_length=12,
        choices=[(m.value, m.label) for m in CHECKED_METHODS],
        blank=True,
    )
    findings = models.JSONField(_("findings"), default=list, blank=True)
    done_at = models.DateTimeField(_("done"), null=True, blank=True)

    class Meta:
        verbose_name = _("domain check")
        verbose_name_plural = _("domain checks")
        ordering = ["-created_at", "-pk"]
        indexes = [
            # What the worker polls every second: the checks not done yet.
            models.Index(
                fields=["next_attempt_at"],
                condition=Q(done_at__isnull=True),
                name="domain_check_pending",
            ),
            # The history of one endorsement, and the hourly limit.
            models.Index(fields=["endorsement", "created_at"], name="domain_check_history"),
        ]

    def __str__(self) -> str:
        return f"check of {self.domain} ({self.outcome or 'pending'})"


def verification_of(endorsement: Endorsement) -> str | None:
    """How ``endorsement``'s organization proved its domain ("dns", "well-known", "email"), or
    None: the one rule behind the verified mark. A proof the organization made itself and that
    still holds comes first; then the confirmed contact address at the domain (an imported
    ally's only once its contact confirmed it)."""
    # A reverse one-to-one that does not exist raises a subclass of AttributeError.
    proof = getattr(endorsement, "domain_proof", None)
    if proof is not None and proof.holds_for(endorsement.organization.domain):
        return proof.method
    if (
        endorsement.domain_verified
        and endorsement.status != Endorsement.Status.UNCONFIRMED
        and (endorsement.imported_in_id is None or endorsement.confirmed_at is not None)
    ):
        return Method.EMAIL.value
    return None


def _proof_holds() -> Q:
    # DomainProof.holds_for, in SQL.
    return Q(
        domain_proof__method__in=CHECKED_METHODS,
        domain_proof__missing_since__isnull=True,
        domain_proof__domain=F("organization__domain"),
    )


def _email_proves() -> Q:
    # An imported ally's address was given by the campaign's owners: it proves the domain only
    # once its contact confirmed it, not when an owner's attestation approved the ally without.
    return (
        Q(domain_verified=True)
        & ~Q(status=Endorsement.Status.UNCONFIRMED)
        & (Q(imported_in__isnull=True) | Q(confirmed_at__isnull=False))
    )


def verified_condition() -> Q:
    """``verification_of(endorsement) is not None``, as a filter on endorsements."""
    return _proof_holds() | _email_proves()


def verification_expression() -> Case:
    """``verification_of(endorsement)``, as an expression on endorsements: the method of the
    proof that holds, else "email", else NULL."""
    return Case(
        When(_proof_holds(), then=F("domain_proof__method")),
        When(_email_proves(), then=Value(Method.EMAIL.value)),
        default=Value(None),
        output_field=models.CharField(),
    )
