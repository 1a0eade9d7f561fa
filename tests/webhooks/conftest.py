from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from coalition.jobs import tasks
from coalition.models import WebhookEndpoint, WebhookEvent
from coalition.webhooks import delivery
from tests.webhooks.receiver import Receiver

ALL_EVENTS = [event.value for event in WebhookEvent]


@pytest.fixture
def worker_mode(settings):
    """As in production: a change records its deliveries and the worker sends them."""
    settings.BACKGROUND_WORK_IMMEDIATE = False


@pytest.fixture
def receiver(settings, worker_mode) -> Iterator[Receiver]:
    """A partner's receiver on loopback (which ``WEBHOOK_ALLOW_PRIVATE`` lets deliveries
    reach), with the secret of ``endpoint``."""
    settings.WEBHOOK_ALLOW_PRIVATE = True
    server = Receiver(secret="").start()
    yield server
    server.stop()


@pytest.fixture
def endpoint(db, receiver) -> WebhookEndpoint:
    """Every event of every campaign, public data only, to ``receiver``."""
    hook = WebhookEndpoint.objects.create(
        url=receiver.url, description="Partner CRM", events=ALL_EVENTS
    )
    receiver.secret = hook.secret
    return hook


@pytest.fixture
def send_due() -> Callable[[], tasks.Tally]:
    """The worker's passes over the webhooks queue until nothing is due, in this thread (this
    test's database connection sees what the test wrote): what they did, added up."""

    def send() -> tasks.Tally:
        total = tasks.Tally()
        while tally := tasks.run(delivery.QUEUE):
            total.done += tally.done
            total.failed += tally.failed
            if tally.failed:
                break  # retried later, not in this pass
        return total

    return send
