"""Approvals racing each other get consecutive seq numbers (PostgreSQL: row locks)."""

from __future__ import annotations

import pytest
from django.db import connection

from coalition.ledger import chain
from coalition.models import Endorsement, LogEntry
from tests.endorsements.test_concurrency import _race
from tests.ledger.helpers import approve, current, replayed

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        connection.vendor != "postgresql",
        reason="needs row locks and concurrent connections: run with DATABASE_URL=postgres://…",
    ),
]


@pytest.mark.parametrize("attempt", range(3))
def test_two_approvals_at_once_get_seq_1_and_2_in_one_chain(
    campaign, make_endorsement, reviewer, superuser, attempt
):
    first, second = make_endorsement(), make_endorsement()

    outcomes = _race(
        lambda: approve(Endorsement.objects.get(pk=first.pk), reviewer),
        lambda: approve(Endorsement.objects.get(pk=second.pk), superuser),
    )

    assert all(isinstance(outcome, Endorsement) for outcome in outcomes), outcomes
    assert list(LogEntry.objects.order_by("seq").values_list("seq", flat=True)) == [1, 2]
    entries = [
        {**row, "time": chain.format_time(row["time"])}
        for row in LogEntry.objects.order_by("seq").values(*chain.ENTRY_KEYS)
    ]
    assert chain.check_chain(entries)[0] == 2
    assert replayed(campaign) == current(campaign)
