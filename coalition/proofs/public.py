"""What an ally's public proof page shows (``/campaigns/<slug>/allies/<public_id>/``): how its
participation in a campaign was established, and when that was last checked.

Public facts only, read for one ally of one public campaign: its public fields, the day it
joined (and, for one that left, the day it left: the public log keeps both for ever), and which
of the proofs hold, each with its dates: the contact's confirmed address at the website's domain
(``Endorsement.domain_verified``), a DNS TXT record or a file on the website holding the
organization's token (``DomainProof``, found again by the daily checks), or an owner's
attestation of an imported ally (``EndorsementEvent.attested``). Never the contact, the notes,
the reasons, nor anything of an application that was never approved: those are not found at all,
the same as an id that names nothing.

A fixed number of queries, whatever the ally's history: one for the ally and what its page
shows with it, one for its attestation, one for its successful checks.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Max
from django.urls import reverse

from coalition.endorsements.models import Endorsement, EndorsementEvent, Logo
from coalition.proofs import checks
from coalition.proofs.models import CHECKED_METHODS, DomainCheck, Method

Status = Endorsement.Status
# An ally that left after it was approved: its page says so. Rejected, pending, unconfirmed (and
# "this wasn't us", which withdraws an unconfirmed one) were never public.
LEFT = (Status.WITHDRAWN, Status.REMOVED)


# A public id is 12 hex digits (``new_public_id``): this one stands for any in a reversed path.
_ANY_ID = "000000000000"


def proof_paths(slug: str) -> Callable[[str], str]:
    """The path of the proof page of each ally of the campaign ``slug`` (in the active
    language), from its public id: the URL is reversed once for a list of many allies."""
    path = reverse("campaign-ally-proof", kwargs={"slug": slug, "public_id": _ANY_ID})
    head, tail = path.rsplit(_ANY_ID, 1)
    return lambda public_id: f"{head}{public_id}{tail}"


@dataclass(frozen=True)
class DomainEvidence:
    """A DNS record or a file on the website holding the organization's token: where anyone can
    look for it, and when our checks first and last found it (and since when it is missing)."""

    method: str  # "dns" or "well-known"
    domain: str
    where: str  # the TXT record's name, or the file's URL
    expected: str  # what the record or the file holds
    first_found: datetime
    last_found: datetime
    missing_since: datetime | None

    @property
    def holds(self) -> bool:
        return self.missing_since is None


@dataclass(frozen=True)
class AllyProof:
    """Everything the proof page says about one ally."""

    endorsement: Endorsement
    joined: datetime
    left: datetime | None
    # The contact's address is at the website's registrable domain (the "email" proof of the
    # verified mark and of the signed list), and the day they confirmed it: None for an attested
    # import, whose address an owner gave and nobody confirmed.
    email_at_domain: bool
    email_confirmed: datetime | None
    domain: DomainEvidence | None
    # An owner of the campaign attested that the organization signed by other means.
    attested: datetime | None
    # When each checked method last succeeded, from the record of every check.
    last_checks: dict[str, datetime]

    @property
    def name(self) -> str:
        return self.endorsement.organization.name

    @property
    def logo(self) -> Logo | None:
        # A logo is shown while the ally is on the wall; retention may delete it later.
        return None if self.left else self.endorsement.organization.logo

    @property
    def has_proof(self) -> bool:
        return bool(self.email_at_domain or self.domain or self.attested)


def ally_proof(*, campaign_id: int, public_id: str) -> AllyProof | None:
    """The proof page of the ally ``public_id`` of the campaign ``campaign_id`` (already read
    through ``selectors.campaign_get``, so public), or None when there is no such ally, or its
    application was never approved."""
    if not public_id or len(public_id) > 12 or "\x00" in public_id:
        return None
    endorsement = (
        Endorsement.objects.filter(
            campaign_id=campaign_id,
            public_id=public_id,
            status__in=(Status.APPROVED, *LEFT),
            approved_at__isnull=False,
        )
        .select_related(
            "organization",
            "organization__sector",
            "organization__logo",
            "organization__domain_token",
            "domain_proof",
        )
        .only(
            "public_id",
            "status",
            "campaign_id",
            "approved_at",
            "ended_at",
            "confirmed_at",
            "domain_verified",
            "imported_in_id",
            "organization__name",
            "organization__website",
            "organization__domain",
            "organization__country",
            # Every language's column, so that none is read lazily (modeltranslation).
            "organization__sector__name",
            *(f"organization__sector__name_{code}" for code, _name in settings.LANGUAGES),
            "organization__logo__width",
            "organization__logo__height",
            "organization__logo__png",
            "organization__logo__png_2x",
            "organization__logo__webp",
            "organization__logo__webp_2x",
            "organization__domain_token__token",
            "domain_proof__method",
            "domain_proof__domain",
            "domain_proof__checked",
            "domain_proof__first_proven_at",
            "domain_proof__proven_at",
            "domain_proof__missing_since",
        )
        .first()
    )
    if endorsement is None:
        return None
    attested = (
        EndorsementEvent.objects.filter(
            endorsement=endorsement, to_status=Status.APPROVED, attested=True
        )
        .values_list("at", flat=True)
        .first()
    )
    domain = endorsement.organization.domain
    last_checks = {
        row["method"]: row["last"]
        for row in DomainCheck.objects.filter(
            endorsement=endorsement,
            outcome=DomainCheck.Outcome.PROVEN,
            domain=domain,
            method__in=CHECKED_METHODS,
        )
        .values("method")
        .annotate(last=Max("done_at"))
        .order_by()
    }
    return AllyProof(
        endorsement=endorsement,
        joined=endorsement.approved_at,
        left=(endorsement.ended_at or endorsement.approved_at)
        if endorsement.status in LEFT
        else None,
        email_at_domain=endorsement.domain_verified,
        email_confirmed=endorsement.confirmed_at if endorsement.domain_verified else None,
        domain=_domain_evidence(endorsement),
        attested=attested,
        last_checks=last_checks,
    )


def _domain_evidence(endorsement: Endorsement) -> DomainEvidence | None:
    proof = getattr(endorsement, "domain_proof", None)
    # A proof of another domain (the website changed since) says nothing of this one.
    if proof is None or proof.domain != endorsement.organization.domain:
        return None
    if proof.method not in CHECKED_METHODS:
        return None
    token_row = getattr(endorsement.organization, "domain_token", None)
    token = token_row.token if token_row is not None else ""
    if proof.method == Method.DNS:
        where = str(proof.checked.get("name") or f"{checks.DNS_LABEL}.{proof.domain}")
        expected = f"{checks.TXT_PREFIX}{token}" if token else ""
    else:
        url = str(proof.checked.get("url") or "")
        where = url if url.startswith(("https://", "http://")) else ""
        where = where or f"https://{proof.domain}{checks.WELL_KNOWN_PATH}"
        expected = token
    return DomainEvidence(
        method=proof.method,
        domain=proof.domain,
        where=where,
        expected=expected,
        first_found=proof.first_proven_at,
        last_found=proof.proven_at,
        missing_since=proof.missing_since,
    )
