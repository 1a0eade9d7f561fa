"""The worker's queue of updates to allies: one ``UpdateDelivery`` a job, at most
``UPDATES_PER_MINUTE`` sent in any 60 seconds.

**The pace.** Before claiming, the queue asks how many deliveries were sent in the last 60
seconds (and how many another worker holds right now); past the budget nothing is claimed: the
rest wait for the next pass, which is neither an attempt nor a failure.

**Once per recipient.** ``update_send`` queues at most one delivery per (update, recipient),
by a unique constraint; a delivery is claimed by one worker at a time (the lease,
``coalition.jobs.tasks``) and marked sent as soon as the mail server took it. A worker killed
before that leaves the claim to expire, and the next one sends it: the mail server had not
accepted it. Only in the moment between the server's acceptance and the mark (milliseconds) can
a killed worker cause a second copy, and that copy carries the same Message-ID
(``update.<id>.<stamp>@<site>``), which mail providers deduplicate.

**Who it goes to.** Asked again just before sending: a contact who unsubscribed, or whose
organization left the campaign or was erased, since the update was sent is skipped
(``skipped_at``), never mailed. A failure of the mail server is retried as the outbox's
(2, 4, 8 … minutes, then hourly).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from coalition.jobs import tasks
from coalition.updates import mail
from coalition.updates.models import UpdateDelivery
from coalition.updates.services import may_receive

WINDOW = timedelta(seconds=60)


def allowance(now: datetime) -> int:
    """How many deliveries may start now: the minute's budget less those sent in the last 60
    seconds and those other workers are sending right now."""
    sent = UpdateDelivery.objects.filter(sent_at__gt=now - WINDOW).count()
    in_hand = UpdateDelivery.objects.filter(
        sent_at__isnull=True, skipped_at__isnull=True, claimed_until__gt=now
    ).count()
    return settings.UPDATES_PER_MINUTE - sent - in_hand


def deliver(delivery: UpdateDelivery) -> None:
    """Send one delivery (the queue's work), or skip it when its contact may no longer get it;
    raises when the mail server refuses, and the worker retries later."""
    delivery = UpdateDelivery.objects.select_related(
        "update__campaign", "endorsement__organization", "endorsement__campaign"
    ).get(pk=delivery.pk)
    if not may_receive(delivery.endorsement):
        UpdateDelivery.objects.filter(pk=delivery.pk, sent_at__isnull=True).update(
            skipped_at=timezone.now(), claimed_until=None
        )
        return
    # Marked sent by the worker the moment this returns (one UPDATE, autocommitted).
    mail.message(delivery).send(fail_silently=False)


QUEUE = tasks.register(
    tasks.Queue(
        name="updates",
        model=UpdateDelivery,
        perform=deliver,
        done_field="sent_at",
        also_done=("skipped_at",),
        # As the outbox: 2, 4, 8 … minutes, then hourly.
        first_backoff=timedelta(minutes=2),
        max_backoff=timedelta(hours=1),
        allowance=allowance,
    )
)


def wake() -> None:
    """After ``update_send`` commits: in the test suite (``BACKGROUND_WORK_IMMEDIATE``), send
    what the budget allows at once, as the worker would; in production the worker finds the
    deliveries within a second."""
    if not settings.BACKGROUND_WORK_IMMEDIATE:
        return
    while tasks.run(QUEUE):
        pass
