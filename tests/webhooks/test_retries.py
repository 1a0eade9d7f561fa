"""A receiver that is down for a while gets its delivery on a retry; every attempt is recorded
with its time, duration, answer and error; after 24 hours a delivery is given up, and "send
again" sends it once more with the same webhook-id."""

from __future__ import annotations

import time
from datetime import timedelta
from itertools import pairwise

import time_machine
from django.utils import timezone

from coalition import services
from coalition.jobs import tasks
from coalition.models import Endorsement, WebhookDelivery
from coalition.webhooks import delivery
from coalition.webhooks.services import webhook_delivery_resend

Status = Endorsement.Status


def _run_worker_until(done, *, limit: float, poll: float = 0.05) -> None:
    """The worker's loop, in this thread: a pass over the queue every ``poll`` seconds."""
    end = time.monotonic() + limit
    while time.monotonic() < end:
        tasks.run(delivery.QUEUE)
        if done():
            return
        time.sleep(poll)


def _gaps(sent: WebhookDelivery) -> list[float]:
    times = list(sent.attempts_made.values_list("at", flat=True))
    return [round((later - earlier).total_seconds(), 2) for earlier, later in pairwise(times)]


def test_a_receiver_down_for_a_while_gets_the_delivery_on_a_retry(
    endpoint, receiver, make_endorsement
):
    receiver.stop()  # down: its port refuses connections
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    sent = WebhookDelivery.objects.get()
    went_down = time.monotonic()

    def back_up_after_two_seconds() -> bool:
        if receiver._server is None and time.monotonic() - went_down > 2:
            receiver.start()
        sent.refresh_from_db()
        return sent.delivered_at is not None

    _run_worker_until(back_up_after_two_seconds, limit=15)

    attempts = list(sent.attempts_made.all())
    assert [(a.succeeded, a.response_code) for a in attempts] == [(False, None), (True, 204)]
    assert attempts[0].error.startswith("Could not connect")
    # The real schedule's first wait: 5 s after the failure, plus a poll and the attempt itself
    # (generous: a loaded CI machine stalls for a second or two).
    [gap] = _gaps(sent)
    assert 5 <= gap < 8, gap
    assert len(receiver.verified) == 1
    assert receiver.verified[0].headers["webhook-id"] == sent.message_id
    print(f"\nwebhook retry, receiver down then up: attempts {len(attempts)}, gap {gap} s")


def test_503s_are_retried_on_the_schedule_and_each_attempt_recorded(
    endpoint, receiver, make_endorsement, monkeypatch
):
    schedule = (timedelta(seconds=0.3), timedelta(seconds=0.6), timedelta(seconds=1.2))
    monkeypatch.setattr(delivery, "BACKOFF", schedule)
    receiver.mode = "503"
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    sent = WebhookDelivery.objects.get()

    def recovers_after_three() -> bool:
        if len(receiver.received) >= 3:
            receiver.mode = "ok"
        sent.refresh_from_db()
        return sent.delivered_at is not None

    _run_worker_until(recovers_after_three, limit=10, poll=0.02)

    attempts = list(sent.attempts_made.all())
    assert [a.response_code for a in attempts] == [503, 503, 503, 204]
    assert [a.error for a in attempts[:3]] == ["HTTP 503: busy, come back later"] * 3
    assert attempts[3].error == ""
    gaps = _gaps(sent)
    for gap, wait in zip(gaps, schedule, strict=True):
        # The wait, plus the attempt itself and a poll (a loaded machine: up to two seconds).
        assert wait.total_seconds() <= gap < wait.total_seconds() + 2, gaps
    # One webhook-id for all four; each attempt signed at its own time, each verified.
    assert {item.headers["webhook-id"] for item in receiver.received} == {sent.message_id}
    assert len(receiver.verified) == 4
    assert sent.attempts == 4
    print(f"\nwebhook retry, 503 ×3 then 204 (schedule 0.3/0.6/1.2 s): gaps {gaps} s")


def test_a_delivery_is_given_up_after_24_hours_and_can_be_sent_again(
    endpoint, receiver, send_due, make_endorsement, caplog
):
    receiver.mode = "503"
    with time_machine.travel(timezone.now(), tick=True) as clock:
        services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
        sent = WebhookDelivery.objects.get()
        assert send_due() == tasks.Tally(failed=1)
        sent.refresh_from_db()
        assert sent.next_attempt_at - timezone.now() <= timedelta(seconds=5)
        clock.move_to(sent.created_at + timedelta(hours=23, minutes=50))
        assert send_due() == tasks.Tally(failed=1)
        sent.refresh_from_db()
        # 30 s more still falls within the 24 hours: retried.
        assert sent.failed_at is None
        clock.move_to(sent.created_at + timedelta(hours=23, minutes=59))
        assert send_due() == tasks.Tally(failed=1)
        sent.refresh_from_db()
        # The next wait (2 min) would end past the 24 hours: given up now.
        assert sent.failed_at is not None
        assert sent.next_attempt_at is None
        # The log says so, rather than announcing an attempt that will not come.
        last = [r.getMessage() for r in caplog.records if r.name == "coalition.jobs.tasks"][-1]
        assert last.endswith("was given up: " + sent.last_error), last
        assert "next attempt" not in last
        clock.move_to(sent.created_at + timedelta(hours=30))
        assert send_due() == tasks.Tally()  # nothing more to do

        receiver.mode = "ok"
        webhook_delivery_resend(delivery=sent)
        assert send_due() == tasks.Tally(done=1)

    sent.refresh_from_db()
    assert sent.delivered_at is not None
    assert sent.failed_at is None
    assert list(sent.attempts_made.values_list("response_code", flat=True)) == [503] * 3 + [204]
    assert {item.headers["webhook-id"] for item in receiver.received} == {sent.message_id}
    assert len({item.headers["webhook-timestamp"] for item in receiver.received}) == 4
    assert len(receiver.verified) == 4


def test_send_again_after_delivery_repeats_the_same_message(
    endpoint, receiver, send_due, make_endorsement
):
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))
    sent = WebhookDelivery.objects.get()
    send_due()

    webhook_delivery_resend(delivery=sent)
    assert sent.delivered_at is None
    send_due()

    first, again = receiver.verified
    assert first.headers["webhook-id"] == again.headers["webhook-id"]
    assert first.body == again.body
    assert sent.attempts_made.count() == 2
