"""Who is reviewing which application, so that two reviewers do not spend time on the same one:
reading the claims.

Opening an application claims it for ``CLAIM_DURATION``, renewed while the reviewer acts; the
others see the claim, and may take it over after confirming. Claims are rows
(``ReviewClaim``) with their expiry, written by ``coalition.reviewing.services`` (``claim_open``,
``claim_renew``, ``claim_take_over``, ``claim_release``). They only inform: a decision still goes
through the locked services, so one decision wins whoever holds the claim.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ObjectDoesNotExist
from django.utils import timezone

from coalition.models import Endorsement, ReviewClaim

CLAIM_DURATION = timedelta(minutes=15)


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


def claim_current(endorsement: Endorsement) -> ReviewClaim | None:
    """The claim row on ``endorsement`` as the database holds it now (active or lapsed), or
    None."""
    return (
        ReviewClaim.objects.select_related("reviewer", "taken_over_from")
        .filter(endorsement_id=endorsement.pk)
        .first()
    )


def held_by_other(claim: ReviewClaim | None, user: AbstractBaseUser) -> bool:
    return is_active(claim) and claim is not None and claim.reviewer_id != user.pk
