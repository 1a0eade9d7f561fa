"""Who is reviewing which application, so that two reviewers do not spend time on the same one.

Opening an application claims it for ``CLAIM_DURATION``, renewed while the reviewer acts; the
others see the claim, and may take it over after confirming. Claims are rows
(``ReviewClaim``) with their expiry, written with conditional updates so that of two reviewers
opening an application at once exactly one holds it. They only inform: a decision still goes
through the locked services, so one decision wins whoever holds the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.db import IntegrityError, transaction
from django.utils import timezone

from coalition.models import Endorsement, ReviewClaim

CLAIM_DURATION = timedelta(minutes=15)
# A claim may vanish (released after a decision) between two steps; trying again settles it.
_ATTEMPTS = 3


class ClaimChanged(Exception):
    """The claim is no longer the one the reviewer confirmed taking over."""

    def __init__(self, claim: ReviewClaim | None) -> None:
        super().__init__("The claim changed hands.")
        self.claim = claim


def is_active(claim: ReviewClaim | None, now: datetime | None = None) -> bool:
    return claim is not None and claim.expires_at > (now or timezone.now())


def claim_of(endorsement: Endorsement, now: datetime | None = None) -> ReviewClaim | None:
    """The active claim on ``endorsement`` (from ``select_related("review_claim__reviewer")``
    when the queue fetched it), or None."""
    try:
        claim = endorsement.review_claim
    except ObjectDoesNotExist:
        return None
    return claim if is_active(claim, now) else None


def _current(endorsement: Endorsement) -> ReviewClaim | None:
    return (
        ReviewClaim.objects.select_related("reviewer", "taken_over_from")
        .filter(endorsement_id=endorsement.pk)
        .first()
    )


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
        claim = _current(endorsement)
        if claim is not None:
            return claim
    claim = _current(endorsement)
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
    return _current(endorsement)


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
        claim = _current(endorsement)
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


def held_by_other(claim: ReviewClaim | None, user: AbstractBaseUser) -> bool:
    return is_active(claim) and claim is not None and claim.reviewer_id != user.pk
