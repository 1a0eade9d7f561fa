"""Proving an organization's domain: the checks as background work, what they record, and what
the pages show of it.

An organization proves it controls its website's registrable domain with any one of three
proofs (``coalition.proofs.models``): its contact's confirmed address at the domain, a TXT record
holding its token, or a file on its website holding it (``coalition.proofs.checks`` looks).

- **Check now** (the manage page) calls ``domain_check_request``: a ``DomainCheck`` row, in the
  request's transaction, done by the worker (queue ``domain-checks``) right after; the page
  shows the result once it is there. At most ``DOMAIN_PROOF_CHECKS_PER_HOUR`` (10) an hour per
  organization, and one waiting at a time per endorsement.
- ``manage.py recheck_domains`` (daily) queues a check of every approved ally proven by DNS or
  by the file. A proof not found any more stops holding at once (the verified mark leaves the
  wall until it is back); missing for ``FLAG_AFTER`` (7 days), the endorsement is flagged for
  the reviewers (``flagged``).
- Each check records how it succeeded or why not (``findings``, put into words by
  ``describe``); the endorsement's ``DomainProof`` keeps the method, when and what was checked.
  When the mark changes, or a check finds the proof (again), the public version moves, so
  every cached wall shows the mark and the ally's proof page the date it was last found.
- ``needs_other_verification``: approving an organization without a proof needs the reviewer's
  tick ("I verified this organization another way") and a note.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from coalition import services
from coalition.jobs import tasks
from coalition.models import (
    DomainCheck,
    DomainProof,
    DomainToken,
    Endorsement,
    Organization,
    verification_of,
)
from coalition.proofs import checks
from coalition.proofs.checks import DNS_LABEL, TXT_PREFIX, WEB, CheckResult
from coalition.proofs.models import CHECKED_METHODS, Method
from coalition.publishing import freshness

logger = logging.getLogger(__name__)

Status = Endorsement.Status
Reason = DomainCheck.Reason
Outcome = DomainCheck.Outcome

FLAG_AFTER = timedelta(days=7)
LIMIT_WINDOW = timedelta(hours=1)
# A daily re-check that only met silence (timeouts, unreachable) is tried this many times, a
# few minutes apart, before the proof counts as missing: one bad minute is not a lost proof.
RECHECK_ATTEMPTS = 3
HISTORY_LENGTH = 10
# What the reviewer ticks when approving an organization without a proof (the workspace's form).
OTHER_VERIFICATION_LABEL = _("I verified this organization another way")


class DomainCheckRefused(Exception):
    """A check that cannot be queued now; its message is meant for people."""


class CheckUnanswered(Exception):
    """A re-check met only silence: the worker tries again later."""


# The token and the instructions ------------------------------------------------------------


def token_for(organization: Organization) -> str:
    """The organization's token, made on first use."""
    return DomainToken.objects.get_or_create(organization=organization)[0].token


@dataclass(frozen=True)
class Instructions:
    """What an organization publishes to prove its domain, ready to copy."""

    domain: str
    token: str

    @property
    def txt_value(self) -> str:
        return f"{TXT_PREFIX}{self.token}"

    @property
    def txt_name(self) -> str:
        return f"{DNS_LABEL}.{self.domain}"

    @property
    def url(self) -> str:
        return f"https://{self.domain}{checks.WELL_KNOWN_PATH}"


def instructions(organization: Organization) -> Instructions:
    return Instructions(domain=organization.domain, token=token_for(organization))


# Asking for checks -------------------------------------------------------------------------


def _recent_requests(organization: Organization, now: datetime) -> int:
    return DomainCheck.objects.filter(
        endorsement__organization=organization,
        reason=Reason.APPLICANT,
        created_at__gte=now - LIMIT_WINDOW,
    ).count()


def checks_left(organization: Organization, *, now: datetime | None = None) -> int:
    """How many more checks the organization may ask for in this hour."""
    used = _recent_requests(organization, now or timezone.now())
    return max(settings.DOMAIN_PROOF_CHECKS_PER_HOUR - used, 0)


def _pending(endorsement: Endorsement) -> QuerySet[DomainCheck]:
    return endorsement.domain_checks.filter(outcome="", done_at__isnull=True)


def domain_check_request(
    *, endorsement: Endorsement, reason: str = Reason.APPLICANT
) -> DomainCheck:
    """Queue a check of ``endorsement``'s domain (the worker does it after commit), or return
    the one already waiting. Raises ``DomainCheckRefused`` past the hourly limit (which the
    daily re-check does not count against)."""
    now = timezone.now()
    with transaction.atomic():
        # One request at a time per organization, so two at once cannot both pass the limit.
        organization = Organization.objects.select_for_update().get(pk=endorsement.organization_id)
        waiting = _pending(endorsement).first()
        if waiting is not None:
            return waiting
        if reason == Reason.APPLICANT:
            limit = settings.DOMAIN_PROOF_CHECKS_PER_HOUR
            if _recent_requests(organization, now) >= limit:
                raise DomainCheckRefused(
                    ngettext(
                        "Your organization has asked for %(count)d check in the last hour, "
                        "the most allowed. Please try again later.",
                        "Your organization has asked for %(count)d checks in the last hour, "
                        "the most allowed. Please try again later.",
                        limit,
                    )
                    % {"count": limit}
                )
        token_for(organization)
        job = DomainCheck.objects.create(
            endorsement=endorsement, domain=organization.domain, reason=reason
        )
        tasks.recorded(QUEUE, job)
    return job


def domain_recheck_all() -> int:
    """Queue a check of every approved ally proven by DNS or by the file (``recheck_domains``),
    and flag those missing for a week; returns how many checks were queued."""
    waiting = DomainCheck.objects.filter(
        endorsement=OuterRef("pk"), outcome="", done_at__isnull=True
    )
    allies = Endorsement.objects.filter(
        ~Exists(waiting), status=Status.APPROVED, domain_proof__method__in=CHECKED_METHODS
    ).order_by("pk")
    queued = 0
    for endorsement in allies.iterator():
        domain_check_request(endorsement=endorsement, reason=Reason.RECHECK)
        queued += 1
    domain_proof_flag_missing()
    return queued


def domain_proof_flag_missing(*, now: datetime | None = None) -> int:
    """Flag the approved allies whose proof has been missing for ``FLAG_AFTER``."""
    now = now or timezone.now()
    return DomainProof.objects.filter(
        endorsement__status=Status.APPROVED,
        missing_since__lte=now - FLAG_AFTER,
        flagged_at__isnull=True,
    ).update(flagged_at=now)


# Doing a check (the worker) ----------------------------------------------------------------


def _perform(job: DomainCheck) -> None:
    endorsement = Endorsement.objects.select_related("organization").get(pk=job.endorsement_id)
    organization = endorsement.organization
    # The domain of now: the website may have changed since the check was asked for.
    domain = organization.domain
    result = checks.check_domain(domain, token_for(organization))
    if result.transient and job.reason == Reason.RECHECK and job.attempts < RECHECK_ATTEMPTS:
        raise CheckUnanswered(", ".join(describe(f.as_json()) for f in result.findings))
    domain_check_record(job=job, endorsement=endorsement, domain=domain, result=result)


def domain_check_record(
    *, job: DomainCheck, endorsement: Endorsement, domain: str, result: CheckResult
) -> DomainProof | None:
    """Write what a check found: on the check, and on the endorsement's proof; move the public
    version when the verified mark of an approved ally changed."""
    now = timezone.now()
    with transaction.atomic():
        locked = (
            Endorsement.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=endorsement.pk)
        )
        before = verification_of(locked)
        proof: DomainProof | None = getattr(locked, "domain_proof", None)
        if result.method is not None:
            found = next(finding for finding in result.findings if finding.ok)
            if proof is None or proof.domain != domain or proof.missing_since is not None:
                first = now
            else:
                first = proof.first_proven_at
            proof = proof or DomainProof(endorsement=locked)
            proof.method = result.method
            proof.domain = domain
            proof.checked = found.params
            proof.first_proven_at = first
            proof.proven_at = now
            proof.missing_since = None
            proof.flagged_at = None
            proof.save()
            locked.domain_proof = proof
        elif proof is not None:
            if proof.missing_since is None and locked.status == Status.APPROVED:
                # Told once, when it goes: the contact can put it back before anyone else
                # has to look (a week later the reviewers are).
                services.queue_applicant_mail(
                    template="proof-missing",
                    endorsement=locked,
                    extra={"proof": proof, "method": Method(proof.method).label},
                )
            proof.missing_since = proof.missing_since or now
            if now - proof.missing_since >= FLAG_AFTER and proof.flagged_at is None:
                proof.flagged_at = now
            proof.save(update_fields=["missing_since", "flagged_at"])
        DomainCheck.objects.filter(pk=job.pk).update(
            domain=domain,
            outcome=Outcome.PROVEN if result.method else Outcome.FAILED,
            method=result.method or "",
            findings=[finding.as_json() for finding in result.findings],
        )
        if locked.status == Status.APPROVED and (
            verification_of(locked) != before or result.method is not None
        ):
            # The wall, the embeds, the images and the API show the mark: refresh them. A proof
            # found again changes no mark, but the ally's proof page shows when it was last
            # found (public_site.views.proof).
            freshness.public_change(allies=[locked])
    return proof


QUEUE = tasks.register(
    tasks.Queue(
        name="domain-checks",
        model=DomainCheck,
        perform=_perform,
        done_field="done_at",
        first_backoff=timedelta(minutes=5),
        max_backoff=timedelta(hours=1),
        # A check takes DOMAIN_PROOF_TIMEOUT × 3 (15 s) at most: far under the lease.
        lease=timedelta(minutes=2),
        # A website may be slow or hostile: its checks run beside mail, never before it, and
        # one a pass, so that a worker asked to stop finishes at most one.
        own_thread=True,
        batch=1,
    )
)


# What the pages show -----------------------------------------------------------------------


def needs_other_verification(endorsement: Endorsement) -> bool:
    """Whether approving ``endorsement`` needs the reviewer's tick ("I verified this
    organization another way") and a note: its domain is proven by none of the three proofs."""
    return endorsement.verification is None


def flagged() -> QuerySet[Endorsement]:
    """Approved allies whose DNS or web proof has been missing for a week, for the review queue
    (the proof coming back clears the flag)."""
    return Endorsement.objects.filter(FLAGGED)


FLAGGED = Q(
    status=Status.APPROVED,
    domain_proof__flagged_at__isnull=False,
    domain_proof__missing_since__isnull=False,
)

_DNS_WORDS = {
    "found": _("the TXT record at %(name)s holds the token"),
    "no_record": _("no TXT record found at %(name)s"),
    "other_token": _("the TXT record at %(name)s holds another token"),
    "timeout": _("the DNS servers did not answer in time for %(name)s"),
    "dns_error": _("the DNS lookup of %(name)s failed"),
    "private_name": _("%(domain)s is not a public domain name, so it cannot be checked"),
}
_WEB_WORDS = {
    "found": _("the file at %(url)s holds the token"),
    "not_found": _("the file was not found (%(status)s)"),
    "http_status": _("the website answered %(status)s instead of the file"),
    "other_token": _("the file holds another token"),
    "empty": _("the file is empty"),
    "too_large": _("the file is larger than %(kb)s KB"),
    "redirect_elsewhere": _("the website redirected to %(host)s, outside %(domain)s"),
    "insecure": _("the website redirected to an address without HTTPS (%(url)s)"),
    "no_address": _("%(host)s has no address"),
    "private_address": _(
        "%(host)s points to a private address (%(address)s), which is not checked"
    ),
    "timeout": _("%(host)s did not answer in time"),
    "unreachable": _("%(host)s could not be reached"),
    "tls": _("the certificate of %(host)s is not valid"),
    "bad_answer": _("%(host)s did not answer with valid HTTP"),
}


def describe(finding: dict[str, Any]) -> str:
    """A finding in words, in the active language."""
    code = finding.get("code", "")
    params = finding.get("params") or {}
    if finding.get("method") == WEB and code == "too_many_redirects":
        count = int(params.get("max", checks.MAX_REDIRECTS))
        return ngettext(
            "the website redirected more than %(count)d time",
            "the website redirected more than %(count)d times",
            count,
        ) % {"count": count}
    words = (_WEB_WORDS if finding.get("method") == WEB else _DNS_WORDS).get(code)
    if words is None:
        return gettext("the check failed")
    try:
        return str(words) % params
    except (KeyError, TypeError, ValueError):  # a record from an older version of the words
        return gettext("the check failed")


# The findings of a check that could not look (the checks mark them ``transient``): a lookup
# that failed or timed out, a website that could not be reached.
_UNANSWERED = {"timeout", "dns_error", "unreachable"}


@dataclass(frozen=True)
class CheckRow:
    """One check, as the pages list it."""

    at: datetime
    reason: str
    pending: bool
    proven: bool
    method: str
    method_label: str
    messages: list[str] = field(default_factory=list)
    # Not proven only because nothing answered (DNS or the website): no verdict on the proof.
    unanswered: bool = False


def _row(check: DomainCheck) -> CheckRow:
    pending = check.outcome == "" and check.done_at is None
    return CheckRow(
        at=check.created_at,
        reason=check.get_reason_display(),
        pending=pending,
        proven=check.outcome == Outcome.PROVEN,
        method=check.method,
        method_label=Method(check.method).label if check.method else "",
        messages=[describe(finding) for finding in check.findings],
        unanswered=check.outcome == Outcome.FAILED
        and bool(check.findings)
        and all(finding.get("code") in _UNANSWERED for finding in check.findings),
    )


@dataclass(frozen=True)
class ProofStatus:
    """Where an endorsement's domain proof stands: for its manage page and the reviewers."""

    verification: str | None
    proof: DomainProof | None
    # A DNS or web proof that was found once and does not hold now.
    missing: bool
    flagged: bool
    pending: bool
    history: list[CheckRow]
    instructions: Instructions
    checks_left: int

    @property
    def latest(self) -> CheckRow | None:
        done = [row for row in self.history if not row.pending]
        return done[0] if done else None

    @property
    def holds(self) -> bool:
        """Proven, and the proof still holds: the verified mark shows."""
        return bool(self.verification) and not self.missing

    @property
    def verification_label(self) -> str:
        return str(Method(self.verification).label) if self.verification else ""


def proof_status(endorsement: Endorsement, *, history: int = HISTORY_LENGTH) -> ProofStatus:
    organization = endorsement.organization
    proof: DomainProof | None = getattr(endorsement, "domain_proof", None)
    rows = [
        _row(check) for check in endorsement.domain_checks.order_by("-created_at", "-pk")[:history]
    ]
    return ProofStatus(
        verification=verification_of(endorsement),
        proof=proof,
        missing=proof is not None and not proof.holds_for(organization.domain),
        flagged=proof is not None and proof.flagged_at is not None,
        pending=any(row.pending for row in rows),
        history=rows,
        instructions=instructions(organization),
        checks_left=checks_left(organization),
    )
