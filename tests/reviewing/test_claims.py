"""Claims: who is reviewing which application, until when, taken over, and raced for."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
from django.db import connection, connections
from django.utils import timezone

from coalition import services
from coalition.models import Endorsement, ReviewClaim
from coalition.reviewing import claims

Status = Endorsement.Status


def test_opening_an_application_claims_it_for_fifteen_minutes(make_endorsement, reviewer):
    endorsement = make_endorsement()
    now = timezone.now()

    claim = services.claim_open(endorsement=endorsement, by=reviewer, now=now)

    assert claim.reviewer == reviewer
    assert claim.claimed_at == now
    assert claim.expires_at == now + timedelta(minutes=15)
    assert ReviewClaim.objects.count() == 1


def test_opening_it_again_renews_the_claim_and_keeps_since_when(make_endorsement, reviewer):
    endorsement = make_endorsement()
    start = timezone.now()
    services.claim_open(endorsement=endorsement, by=reviewer, now=start)

    later = start + timedelta(minutes=10)
    claim = services.claim_open(endorsement=endorsement, by=reviewer, now=later)

    assert claim.claimed_at == start
    assert claim.expires_at == later + timedelta(minutes=15)


def test_another_reviewer_sees_the_claim_and_does_not_get_it(
    make_endorsement, reviewer, other_reviewer
):
    endorsement = make_endorsement()
    now = timezone.now()
    services.claim_open(endorsement=endorsement, by=reviewer, now=now)

    seen = services.claim_open(
        endorsement=endorsement, by=other_reviewer, now=now + timedelta(minutes=1)
    )

    assert seen.reviewer == reviewer
    assert claims.held_by_other(seen, other_reviewer)
    assert not claims.held_by_other(seen, reviewer)
    assert ReviewClaim.objects.get().reviewer == reviewer


def test_an_expired_claim_goes_to_whoever_opens_the_application_next(
    make_endorsement, reviewer, other_reviewer
):
    endorsement = make_endorsement()
    start = timezone.now()
    services.claim_open(endorsement=endorsement, by=reviewer, now=start)

    after = start + timedelta(minutes=15, seconds=1)
    claim = services.claim_open(endorsement=endorsement, by=other_reviewer, now=after)

    assert claim.reviewer == other_reviewer
    assert claim.claimed_at == after
    assert claim.taken_over_from is None


def test_an_expired_claim_is_not_shown_as_anyones(make_endorsement, reviewer):
    endorsement = make_endorsement()
    services.claim_open(
        endorsement=endorsement, by=reviewer, now=timezone.now() - timedelta(minutes=16)
    )
    endorsement = Endorsement.objects.select_related("review_claim__reviewer").get(
        pk=endorsement.pk
    )

    assert claims.claim_of(endorsement) is None
    assert not claims.held_by_other(ReviewClaim.objects.get(), reviewer)


def test_acting_renews_a_claim_and_a_lapsed_one_that_nobody_took(make_endorsement, reviewer):
    endorsement = make_endorsement()
    start = timezone.now()
    services.claim_open(endorsement=endorsement, by=reviewer, now=start)

    later = start + timedelta(minutes=20)  # lapsed, but still nobody else's
    claim = services.claim_renew(endorsement=endorsement, by=reviewer, now=later)

    assert claim.reviewer == reviewer
    assert claim.expires_at == later + timedelta(minutes=15)


def test_acting_never_renews_someone_elses_claim(make_endorsement, reviewer, other_reviewer):
    endorsement = make_endorsement()
    now = timezone.now()
    first = services.claim_open(endorsement=endorsement, by=reviewer, now=now)

    claim = services.claim_renew(
        endorsement=endorsement, by=other_reviewer, now=now + timedelta(minutes=5)
    )

    assert claim.reviewer == reviewer
    assert claim.expires_at == first.expires_at


def test_a_reviewer_takes_over_after_confirming(make_endorsement, reviewer, other_reviewer):
    endorsement = make_endorsement()
    now = timezone.now()
    services.claim_open(endorsement=endorsement, by=reviewer, now=now)

    later = now + timedelta(minutes=3)
    claim = services.claim_take_over(
        endorsement=endorsement, by=other_reviewer, holder_id=reviewer.pk, now=later
    )

    assert claim.reviewer == other_reviewer
    assert claim.taken_over_from == reviewer
    assert claim.claimed_at == later
    # The first reviewer opening it again now sees the new holder.
    seen = services.claim_open(endorsement=endorsement, by=reviewer, now=later)
    assert seen.reviewer == other_reviewer


def test_taking_over_from_someone_who_no_longer_holds_it_is_refused(
    make_endorsement, reviewer, other_reviewer, superuser
):
    endorsement = make_endorsement()
    now = timezone.now()
    services.claim_open(endorsement=endorsement, by=reviewer, now=now)
    services.claim_take_over(endorsement=endorsement, by=superuser, holder_id=reviewer.pk, now=now)

    # The second reviewer confirmed taking it from the first, but a third holds it by now.
    with pytest.raises(claims.ClaimChanged) as refused:
        services.claim_take_over(
            endorsement=endorsement, by=other_reviewer, holder_id=reviewer.pk, now=now
        )

    assert refused.value.claim.reviewer == superuser
    assert ReviewClaim.objects.get().reviewer == superuser


def test_taking_over_a_claim_released_meanwhile_simply_claims_it(
    make_endorsement, reviewer, other_reviewer
):
    endorsement = make_endorsement()
    services.claim_open(endorsement=endorsement, by=reviewer)
    services.claim_release(endorsement=endorsement, by=reviewer)

    claim = services.claim_take_over(
        endorsement=endorsement, by=other_reviewer, holder_id=reviewer.pk
    )

    assert claim.reviewer == other_reviewer


def test_releasing_drops_only_ones_own_claim_unless_the_application_was_decided(
    make_endorsement, reviewer, other_reviewer
):
    endorsement = make_endorsement()
    services.claim_open(endorsement=endorsement, by=reviewer)

    services.claim_release(endorsement=endorsement, by=other_reviewer)
    assert ReviewClaim.objects.count() == 1

    services.claim_release(endorsement=endorsement)
    assert ReviewClaim.objects.count() == 0


def test_two_reviewers_opening_at_the_same_moment_leave_one_holder(
    make_endorsement, reviewer, other_reviewer
):
    # The second one's insert meets the unique row the first one's made, and reads it.
    endorsement = make_endorsement()
    now = timezone.now()

    first = services.claim_open(endorsement=endorsement, by=reviewer, now=now)
    second = services.claim_open(endorsement=endorsement, by=other_reviewer, now=now)

    assert first.reviewer == second.reviewer == reviewer
    assert ReviewClaim.objects.count() == 1


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs concurrent connections: run with DATABASE_URL=postgres://…",
)
@pytest.mark.parametrize("expired", [False, True])
def test_reviewers_racing_for_a_claim_on_real_connections_leave_exactly_one_holder(
    make_endorsement, reviewer, other_reviewer, superuser, expired
):
    endorsement = make_endorsement()
    if expired:  # the race for an expired claim goes through the conditional update
        services.claim_open(
            endorsement=endorsement, by=superuser, now=timezone.now() - timedelta(hours=1)
        )
    users = [reviewer, other_reviewer, superuser]
    barrier = threading.Barrier(len(users))
    holders: list[object] = [None] * len(users)

    def open_it(index: int) -> None:
        try:
            barrier.wait(timeout=10)
            holders[index] = services.claim_open(
                endorsement=endorsement, by=users[index]
            ).reviewer_id
        except Exception as error:  # noqa: BLE001 - whatever happens is the outcome to check
            holders[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=open_it, args=(i,)) for i in range(len(users))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    claim = ReviewClaim.objects.get(endorsement=endorsement)
    assert holders == [claim.reviewer_id] * len(users), holders
