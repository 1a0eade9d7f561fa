"""The reviewing concept's writes: claims on applications and the stored evidence.

Claims (``ReviewClaim``, read in ``coalition.reviewing.claims``): opening an application claims
it for ``CLAIM_DURATION``, renewed while the reviewer acts; the others see the claim and may
take it over after confirming. Each write is one conditional UPDATE or one INSERT under the
unique endorsement, so that of two reviewers opening an application at once exactly one holds
it, on any database. Claims only inform: a decision still goes through the locked services.

Evidence (``EndorsementEvidence``, its flags computed in ``coalition.reviewing.evidence``):
stored when an application arrives and on a reviewer's request, and computed again whenever it
is read out of date.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.auth.models import AbstractBaseUser
from django.db import IntegrityError, transaction
from django.utils import timezone

from coalition.models import Endorsement, EndorsementEvidence, ReviewClaim
from coalition.reviewing.claims import CLAIM_DURATION, ClaimChanged, claim_current
from coalition.reviewing.evidence import flags_for, inputs_of
from coalition.reviewing.models import ReviewerSettings

# A claim may vanish (released after a decision) between two steps; trying again settles it.
_ATTEMPTS = 3


# Claims ------------------------------------------------------------------------------------


def claim_open(
    *, endorsement: Endorsement, by: AbstractBaseUser, now: datetime | None = None
) -> ReviewClaim:
    """``by`` opens ``endorsement``: their claim is renewed, or a free or expired one becomes
    theirs. Returns the claim as it stands, which is someone else's while they hold it."""
    now = now or timezone.now()
    expires = now + CLAIM_DURATION
    claims = ReviewClaim.objects.filter(endorsement_id=endorsement.pk)
    for _attempt in range(_ATTEMPTS):
        # Each step is one conditional UPDATE or one INSERT under the unique endorsement: two
        # reviewers at once cannot both succeed, on any database.
        if claims.filter(reviewer=by, expires_at__gt=now).update(expires_at=expires):
            break
        if claims.filter(expires_at__lte=now).update(
            reviewer=by, claimed_at=now, expires_at=expires, taken_over_from=None
        ):
            break
        try:
            with transaction.atomic():
                ReviewClaim.objects.create(
                    endorsement_id=endorsement.pk, reviewer=by, claimed_at=now, expires_at=expires
                )
            break
        except IntegrityError:
            pass  # someone holds it: read it below
        claim = claim_current(endorsement)
        if claim is not None:
            return claim
    claim = claim_current(endorsement)
    if claim is None:  # released again and again while we looked: not worth a loop
        raise ClaimChanged(None)
    return claim


def claim_renew(
    *, endorsement: Endorsement, by: AbstractBaseUser, now: datetime | None = None
) -> ReviewClaim | None:
    """The reviewer is still at work on it: renew their claim (or take it again if it lapsed
    and nobody else took it). Returns the claim as it stands, or None when there is none."""
    now = now or timezone.now()
    claims = ReviewClaim.objects.filter(endorsement_id=endorsement.pk)
    claims.filter(reviewer=by).update(expires_at=now + CLAIM_DURATION)
    return claim_current(endorsement)


def claim_take_over(
    *,
    endorsement: Endorsement,
    by: AbstractBaseUser,
    holder_id: int,
    now: datetime | None = None,
) -> ReviewClaim:
    """``by`` confirmed taking over the claim they saw ``holder_id`` hold.

    Raises ``ClaimChanged`` when a third reviewer holds it by now: taking it from them would
    need its own confirmation.
    """
    now = now or timezone.now()
    updated = ReviewClaim.objects.filter(
        endorsement_id=endorsement.pk, reviewer_id=holder_id
    ).update(
        reviewer=by, claimed_at=now, expires_at=now + CLAIM_DURATION, taken_over_from=holder_id
    )
    if updated:
        claim = claim_current(endorsement)
        if claim is not None:
            return claim
    claim = claim_open(endorsement=endorsement, by=by, now=now)
    if claim.reviewer_id != by.pk:
        raise ClaimChanged(claim)
    return claim


def claim_release(*, endorsement: Endorsement, by: AbstractBaseUser | None = None) -> None:
    """Drop the claim: ``by``'s only, or whoever's once the application has been decided."""
    claims = ReviewClaim.objects.filter(endorsement_id=endorsement.pk)
    if by is not None:
        claims = claims.filter(reviewer=by)
    claims.delete()


# Evidence ----------------------------------------------------------------------------------


def evidence_refresh(*, endorsement: Endorsement) -> EndorsementEvidence:
    """Compute the flags of ``endorsement`` now and store them."""
    flags = flags_for(endorsement)
    with transaction.atomic():
        evidence, _created = EndorsementEvidence.objects.update_or_create(
            endorsement=endorsement,
            defaults={
                "flags": [flag.as_json() for flag in flags],
                "inputs": inputs_of(endorsement),
                "needs_acknowledgement": any(flag.ack for flag in flags),
                "computed_at": timezone.now(),
            },
        )
    return evidence


def evidence_current(*, endorsement: Endorsement) -> EndorsementEvidence:
    """The stored evidence, computed again and stored first when there is none or what it was
    computed from has changed since (a new website, name or registry ID, a newer version of the
    flags): a read that may write, hence here."""
    try:
        evidence = endorsement.evidence
    except EndorsementEvidence.DoesNotExist:
        return evidence_refresh(endorsement=endorsement)
    if evidence.inputs != inputs_of(endorsement):
        return evidence_refresh(endorsement=endorsement)
    return evidence


def reviewer_settings_update(*, reviewer: AbstractBaseUser, shortcuts: str) -> ReviewerSettings:
    """Keep ``reviewer``'s choice of keyboard shortcuts (one of ``ReviewerSettings.Shortcuts``)."""
    if shortcuts not in ReviewerSettings.Shortcuts.values:
        raise ValueError(f"unknown shortcuts setting: {shortcuts!r}")
    chosen, _created = ReviewerSettings.objects.update_or_create(
        reviewer_id=reviewer.pk, defaults={"shortcuts": shortcuts}
    )
    return chosen
