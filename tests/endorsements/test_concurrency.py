"""Decisions racing each other, on real concurrent database connections (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from coalition import services
from coalition.models import Endorsement, EndorsementEvent

Status = Endorsement.Status

pytestmark = [
    # serialized_rollback: the flush after each test must not take the Reviewers group with it.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks and concurrent connections: run with DATABASE_URL=postgres://…",
    ),
]


def _race(*decisions) -> list[object]:
    """Run each decision in its own thread and connection, released at the same moment."""
    barrier = threading.Barrier(len(decisions))
    outcomes: list[object] = [None] * len(decisions)

    def run(index: int, decision) -> None:
        try:
            barrier.wait(timeout=10)
            outcomes[index] = decision()
        except Exception as error:  # noqa: BLE001 - whatever happens is the outcome to check
            outcomes[index] = error
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, d)) for i, d in enumerate(decisions)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return outcomes


@pytest.mark.parametrize("attempt", range(5))
def test_two_reviewers_deciding_at_once_leave_exactly_one_decision(
    make_endorsement, reviewer, reason, superuser, attempt
):
    endorsement = make_endorsement(status=Status.PENDING)

    outcomes = _race(
        lambda: services.endorsement_approve(
            endorsement=Endorsement.objects.get(pk=endorsement.pk),
            by=reviewer,
            acknowledged=True,
            note="Checked by hand.",
        ),
        lambda: services.endorsement_reject(
            endorsement=Endorsement.objects.get(pk=endorsement.pk), by=superuser, reason=reason
        ),
    )

    refusals = [o for o in outcomes if isinstance(o, services.EndorsementTransitionError)]
    winners = [o for o in outcomes if isinstance(o, Endorsement)]
    assert len(winners) == 1, outcomes
    assert len(refusals) == 1, outcomes
    assert "cannot become" in str(refusals[0])
    endorsement.refresh_from_db()
    assert endorsement.status == winners[0].status
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1


@pytest.mark.parametrize("attempt", range(5))
def test_withdrawing_while_a_reviewer_approves_keeps_one_consistent_history(
    make_endorsement, reviewer, attempt
):
    endorsement = make_endorsement(status=Status.PENDING)

    outcomes = _race(
        lambda: services.endorsement_approve(
            endorsement=Endorsement.objects.get(pk=endorsement.pk),
            by=reviewer,
            acknowledged=True,
            note="Checked by hand.",
        ),
        lambda: services.endorsement_withdraw(
            endorsement=Endorsement.objects.get(pk=endorsement.pk)
        ),
    )

    assert not [
        o
        for o in outcomes
        if isinstance(o, Exception) and not isinstance(o, services.EndorsementTransitionError)
    ], outcomes
    endorsement.refresh_from_db()
    events = list(EndorsementEvent.objects.filter(endorsement=endorsement).order_by("at", "pk"))
    # Either the withdrawal came first (approval refused), or the approval did and the
    # withdrawal followed it: both end withdrawn, one audit event per real transition.
    assert endorsement.status == Status.WITHDRAWN
    assert [(e.from_status, e.to_status) for e in events] in (
        [("pending", "withdrawn")],
        [("pending", "approved"), ("approved", "withdrawn")],
    )
