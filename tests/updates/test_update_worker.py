"""The worker's queue of updates (``coalition.updates.tasks``): at most ``UPDATES_PER_MINUTE``
sent in any 60 seconds, the rest waiting without an attempt counted; failures retried as the
outbox's; one mail per recipient even when a real worker process is killed (SIGKILL) halfway
and another started."""

from __future__ import annotations

import asyncio
import email
import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from email import policy
from pathlib import Path

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.contrib.auth.models import User
from django.db import connection
from django.utils import timezone

from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.jobs import tasks
from coalition.models import Endorsement, UpdateDelivery
from coalition.updates import services
from coalition.updates import tasks as update_tasks
from tests import faults
from tests.browser import ROOT

Status = Endorsement.Status


@pytest.fixture
def worker_mode(settings):
    """As in production: sending an update records deliveries, the worker sends them."""
    settings.BACKGROUND_WORK_IMMEDIATE = False
    return settings


@pytest.fixture
def owner(campaign) -> User:
    user = User.objects.create_user("owner", "owner@registry.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


def allies(make_endorsement, count: int) -> list[Endorsement]:
    made = [make_endorsement(status=Status.APPROVED) for _ in range(count)]
    Endorsement.objects.filter(pk__in=[e.pk for e in made]).update(updates_opt_in=True)
    return made


def sent_update(campaign, owner) -> int:
    update = services.update_save(
        campaign=campaign,
        by=owner,
        subjects={"en": "Vote on 12 March"},
        bodies={"en": "The committee votes on 12 March: https://example.org/vote"},
    )
    return services.update_send(update=update, by=owner)


def update_mails(outbox) -> list:
    return [m for m in outbox if "List-Unsubscribe" in m.extra_headers]


def test_the_worker_sends_at_most_the_budget_a_minute_and_counts_no_failure(
    worker_mode, make_endorsement, campaign, owner, mailoutbox
):
    worker_mode.UPDATES_PER_MINUTE = 3
    allies(make_endorsement, 5)
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert sent_update(campaign, owner) == 5

        assert tasks.run(update_tasks.QUEUE) == tasks.Tally(done=3)
        # The budget is used: nothing is claimed, so nothing is an attempt or a failure.
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally()
        waiting = UpdateDelivery.objects.filter(sent_at__isnull=True)
        assert [(d.attempts, d.last_error, d.next_attempt_at) for d in waiting] == [
            (0, "", None)
        ] * 2
        clock.shift(timedelta(seconds=59))
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally()
        clock.shift(timedelta(seconds=2))
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally(done=2)

    assert len(update_mails(mailoutbox)) == 5
    assert len({m.to[0] for m in mailoutbox}) == 5


def test_the_budget_counts_what_another_worker_is_sending_right_now(
    worker_mode, make_endorsement, campaign, owner, mailoutbox
):
    worker_mode.UPDATES_PER_MINUTE = 2
    allies(make_endorsement, 3)
    sent_update(campaign, owner)
    # Another worker holds one (its lease), in the middle of its SMTP conversation.
    assert tasks.claim(update_tasks.QUEUE) is not None
    assert tasks.run(update_tasks.QUEUE) == tasks.Tally(done=1)
    assert len(mailoutbox) == 1


def test_the_worker_sends_in_batches_until_none_is_left(
    worker_mode, make_endorsement, campaign, owner, mailoutbox
):
    allies(make_endorsement, 45)
    sent_update(campaign, owner)
    while tasks.run(update_tasks.QUEUE):
        pass
    assert len(update_mails(mailoutbox)) == 45
    progress = services.update_progress(UpdateDelivery.objects.first().update)
    assert (progress.sent, progress.left, progress.failed, progress.skipped) == (45, 0, 0, 0)


def test_a_refused_mail_is_retried_with_the_outboxs_backoff_and_shown_as_failed(
    worker_mode, make_endorsement, campaign, owner, mailoutbox
):
    allies(make_endorsement, 1)
    worker_mode.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    worker_mode.EMAIL_HOST = "127.0.0.1"
    worker_mode.EMAIL_PORT = faults.free_port()  # nobody listens: refused
    worker_mode.EMAIL_USE_TLS = False
    worker_mode.EMAIL_TIMEOUT = 2
    with time_machine.travel(timezone.now(), tick=False) as clock:
        sent_update(campaign, owner)
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally(failed=1)
        delivery = UpdateDelivery.objects.get()
        assert delivery.attempts == 1
        assert "Connection refused" in delivery.last_error or "Errno" in delivery.last_error
        assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=2)
        progress = services.update_progress(delivery.update)
        assert (progress.sent, progress.failed, progress.left) == (0, 1, 0)

        clock.shift(timedelta(minutes=2, seconds=1))
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally(failed=1)
        delivery.refresh_from_db()
        assert delivery.next_attempt_at == timezone.now() + timedelta(minutes=4)

        worker_mode.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        clock.shift(timedelta(minutes=4, seconds=1))
        assert tasks.run(update_tasks.QUEUE) == tasks.Tally(done=1)
    delivery.refresh_from_db()
    assert delivery.sent_at is not None
    assert delivery.last_error == ""
    assert len(update_mails(mailoutbox)) == 1


# A real worker process, killed halfway -------------------------------------------------------


class GatedInbox:
    """An SMTP server that records each message it accepts, and that can hold one conversation
    before its DATA: the worker then waits on it, in the middle of a send, to be killed there."""

    def __init__(self, hold_at: int) -> None:
        self.messages: list[bytes] = []
        self.hold_at = hold_at
        self.conversations = 0
        self.holding = threading.Event()
        self.release = threading.Event()

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        self.conversations += 1
        if self.conversations == self.hold_at:
            self.holding.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 Try again later"  # the client is gone anyway; nothing was accepted
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        self.messages.append(envelope.content)
        return "250 Message accepted for delivery"


@contextmanager
def database_for_processes() -> Iterator[tuple[str, callable]]:
    """The test database as another process reaches it: PostgreSQL's test database as it is;
    SQLite's in-memory one copied to a file, and copied back with ``sync_back``."""
    settings_dict = connection.settings_dict
    if connection.vendor == "postgresql":
        url = (
            f"postgres://{settings_dict['USER']}:{settings_dict['PASSWORD'] or ''}@"
            f"{settings_dict['HOST'] or '127.0.0.1'}:{settings_dict['PORT'] or 5432}/"
            f"{settings_dict['NAME']}"
        )
        yield url, lambda: None
        return
    path = Path(ROOT / "var" / f"updates-worker-{os.getpid()}.sqlite3")
    path.parent.mkdir(exist_ok=True)
    path.unlink(missing_ok=True)
    connection.ensure_connection()
    with sqlite3.connect(path) as copy:
        connection.connection.backup(copy)

    def sync_back() -> None:
        with sqlite3.connect(path) as copy:
            copy.backup(connection.connection)

    try:
        yield f"sqlite:///{path}", sync_back
    finally:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)


def expire_leases(database_url: str) -> None:
    """Every claim made by a worker that is gone, expired (as five minutes would)."""
    statement = (
        "UPDATE coalition_updatedelivery SET claimed_until = NULL "
        "WHERE sent_at IS NULL AND claimed_until IS NOT NULL"
    )
    if database_url.startswith("sqlite:///"):
        with sqlite3.connect(database_url.removeprefix("sqlite:///")) as database:
            database.execute(statement)
    else:
        with connection.cursor() as cursor:
            cursor.execute(statement)


def start_worker(database_url: str, smtp_port: int) -> subprocess.Popen:
    environment = {
        **os.environ,
        "DATABASE_URL": database_url,
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_USE_TLS": "False",
        "EMAIL_TIMEOUT": "30",
        "UPDATES_PER_MINUTE": "1000",
        "WORKER_POLL_SECONDS": "0.1",
        "SITE_URL": "https://registry.example",
        "BACKGROUND_WORK_IMMEDIATE": "False",
    }
    environment.pop("DJANGO_SETTINGS_MODULE", None)
    return subprocess.Popen(
        [sys.executable, "manage.py", "worker"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_for(condition, *, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# serialized_rollback: the flush after the test must not take the Reviewers group with it.
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_killed_halfway_and_restarted_sends_each_recipient_one_mail(
    make_endorsement, campaign, owner, settings
):
    settings.BACKGROUND_WORK_IMMEDIATE = False
    recipients = allies(make_endorsement, 12)
    assert sent_update(campaign, owner) == 12
    inbox = GatedInbox(hold_at=6)
    smtp_port = faults.free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    try:
        with database_for_processes() as (database_url, sync_back):
            first = start_worker(database_url, smtp_port)
            try:
                # Five mails accepted; the sixth conversation is under way, and the worker dies.
                wait_for(inbox.holding.is_set, seconds=60, what="the sixth conversation")
                first.send_signal(signal.SIGKILL)
                first.wait(timeout=10)
            finally:
                inbox.release.set()
                if first.poll() is None:
                    first.kill()
            assert len(inbox.messages) == 5

            # Its lease on the sixth runs out (five minutes: shortened here, as time passing
            # would), and a new worker takes over.
            expire_leases(database_url)
            second = start_worker(database_url, smtp_port)
            try:
                wait_for(lambda: len(inbox.messages) >= 12, seconds=60, what="all mails")
                time.sleep(1)  # a second copy, if there were to be one, would come now
            finally:
                second.send_signal(signal.SIGTERM)
                _out, errors = second.communicate(timeout=30)
            assert "Traceback" not in errors, errors
            sync_back()
    finally:
        server.stop()

    received: dict[str, list[str]] = {}
    for content in inbox.messages:
        parsed = email.message_from_bytes(content, policy=policy.default)
        received.setdefault(parsed["To"], []).append(parsed["Message-ID"])
    assert sorted(received) == sorted(e.contact_email for e in recipients)
    assert all(len(ids) == 1 for ids in received.values()), received
    deliveries = UpdateDelivery.objects.all()
    assert all(d.sent_at is not None for d in deliveries)
    # The one that was under way when the worker died: two attempts, no error recorded.
    assert sorted(d.attempts for d in deliveries) == [1] * 11 + [2]
