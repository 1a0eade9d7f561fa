"""The feed's ``<updated>`` is the newest public change of its campaign's list: an ally taken
off moves it as much as one added, though no entry left in the feed changed."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import datetime, timedelta

import pytest
import time_machine
from django.utils import timezone

from coalition import services
from coalition.models import Campaign, Endorsement, EndorsementEvent

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/campaigns/keep-detection/feed/"
Status = Endorsement.Status


def _updated(client) -> datetime:
    response = client.get(FEED)
    assert response.status_code == 200
    feed = ET.fromstring(response.content)  # noqa: S314 - our own output
    return datetime.fromisoformat(feed.find(f"{ATOM}updated").text)


def _approved(make_endorsement, *, at: datetime, **kwargs) -> Endorsement:
    """An approved ally and the event its approval records, dated ``at``: made directly, as
    the approval's own rules are tested elsewhere and the feed reads only their result."""
    ally = make_endorsement(status=Status.APPROVED, **kwargs)
    Endorsement.objects.filter(pk=ally.pk).update(approved_at=at)
    event = EndorsementEvent.objects.create(
        endorsement=ally,
        actor=EndorsementEvent.Actor.SYSTEM,
        from_status=Status.PENDING,
        to_status=Status.APPROVED,
    )
    EndorsementEvent.objects.filter(pk=event.pk).update(at=at)
    ally.refresh_from_db()
    return ally


@pytest.fixture
def approved_at_start(make_endorsement):
    """Two allies approved now; the changes after them are made hours later."""
    start = timezone.now()
    allies = [_approved(make_endorsement, at=start) for _ in range(2)]
    return start, allies


def test_the_feed_is_updated_when_it_was_approved(client, approved_at_start):
    start, _allies = approved_at_start

    assert _updated(client) == start


def test_a_removal_moves_the_feeds_updated(
    client, approved_at_start, reviewer, django_capture_on_commit_callbacks
):
    start, (_kept, removed) = approved_at_start
    before = _updated(client)
    later = start + timedelta(hours=5)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.endorsement_remove(endorsement=removed, by=reviewer, note="Asked to leave.")

    assert before == start
    assert _updated(client) == later


def test_a_withdrawal_moves_the_feeds_updated(
    client, approved_at_start, django_capture_on_commit_callbacks
):
    start, (withdrawn, _kept) = approved_at_start
    _updated(client)  # stored, and replaced after the change
    later = start + timedelta(hours=7)

    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.endorsement_withdraw(endorsement=withdrawn)

    assert _updated(client) == later


def test_another_campaigns_change_leaves_the_feed_alone(
    client, approved_at_start, make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    start, _allies = approved_at_start
    other = Campaign.objects.create(slug="other", title="Another campaign")
    elsewhere = _approved(make_endorsement, at=start, campaign=other)

    later = start + timedelta(hours=3)
    with time_machine.travel(later, tick=False), django_capture_on_commit_callbacks(execute=True):
        services.endorsement_remove(endorsement=elsewhere, by=reviewer)

    assert _updated(client) == start


def test_a_rejection_never_seen_in_public_leaves_the_feed_alone(
    client, approved_at_start, make_endorsement, reviewer, reason
):
    start, _allies = approved_at_start
    refused = make_endorsement(status=Status.PENDING)

    with time_machine.travel(start + timedelta(hours=2), tick=False):
        services.endorsement_reject(endorsement=refused, by=reviewer, reason=reason)

    assert _updated(client) == start
