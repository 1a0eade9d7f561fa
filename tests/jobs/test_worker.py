"""The background worker (``coalition.jobs.tasks``, ``manage.py worker``): requests only record
mail,
the worker sends it, once, retrying with a growing delay.

These tests turn the suite's immediate mode off: mail waits in the outbox for the worker, as in
production.
"""

from __future__ import annotations

import io
import os
import re
import signal
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.core import mail
from django.core.mail.backends.locmem import EmailBackend as LocmemBackend
from django.core.management import call_command
from django.db import connection, connections
from django.urls import reverse
from django.utils import timezone

from coalition import services
from coalition.endorsements import tokens
from coalition.jobs import outbox as emails
from coalition.jobs import tasks
from coalition.models import Endorsement, OutboundEmail
from tests import faults
from tests.factories import application_form

Status = Endorsement.Status


class HungMailServer:
    """Accepts connections and never says a word: a mail server that hangs."""

    def __init__(self) -> None:
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.05)
        self.port = self.listener.getsockname()[1]
        self.connections: list[socket.socket] = []
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._accept, daemon=True)
        self._thread.start()

    def _accept(self) -> None:
        while not self._closing.is_set():
            try:
                conn, _address = self.listener.accept()
            except TimeoutError:
                continue
            self.connections.append(conn)  # held open, never answered

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=5)
        for conn in [*self.connections, self.listener]:
            conn.close()


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def worker_mode(settings):
    """As in production: a request records mail and the worker sends it."""
    settings.BACKGROUND_WORK_IMMEDIATE = False
    return settings


@pytest.fixture
def hung_mail_server(worker_mode) -> Iterator[HungMailServer]:
    server = HungMailServer()
    worker_mode.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    worker_mode.EMAIL_HOST = "127.0.0.1"
    worker_mode.EMAIL_PORT = server.port
    worker_mode.EMAIL_USE_TLS = False
    worker_mode.EMAIL_TIMEOUT = 10
    yield server
    server.close()


@pytest.fixture
def refused_mail(worker_mode):
    """SMTP settings pointing at a port nobody listens on: every attempt is refused."""
    worker_mode.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    worker_mode.EMAIL_HOST = "127.0.0.1"
    worker_mode.EMAIL_PORT = faults.free_port()
    worker_mode.EMAIL_USE_TLS = False
    worker_mode.EMAIL_TIMEOUT = 2
    return worker_mode


def _application(sector) -> dict:
    return application_form(sector, statement="Children deserve platforms that look for abuse.")


def _path_in(email: OutboundEmail, kind: str) -> str:
    for url in re.findall(r"https?://\S+", email.body_text):
        if f"/{kind}/" in url:
            return "/" + url.split("://", 1)[1].split("/", 1)[1]
    raise AssertionError(f"no /{kind}/ link in {email.subject!r}")


def _record_mail(to: str = "someone@example.org") -> OutboundEmail:
    email = services.mail_queue(
        template="withdrawn", to=[to], context={"organization": "Example Org"}
    )
    assert email is not None
    return email


# A mail server that never answers holds up no request ---------------------------------------


def test_a_mail_server_that_never_answers_holds_up_no_request_and_the_mail_goes_out_later(
    client,
    campaign,
    sector,
    reviewer,
    hung_mail_server,
    settings,
    django_capture_on_commit_callbacks,
):
    # Apply, confirm, ask for the links again: each records mail and runs what it scheduled for
    # after commit, as a real commit would.
    with django_capture_on_commit_callbacks(execute=True):
        applied = client.post(reverse("apply-default"), _application(sector), follow=True)
    assert applied.status_code == 200
    assert "Check your email" in applied.content.decode()
    endorsement = Endorsement.objects.get()
    confirmation = OutboundEmail.objects.get(template="confirm")

    with django_capture_on_commit_callbacks(execute=True):
        confirmed = client.post(_path_in(confirmation, "confirm"))
    assert confirmed.status_code == 200
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING

    with django_capture_on_commit_callbacks(execute=True):
        resent = client.post(reverse("resend"), {"contact_email": endorsement.contact_email})
    assert resent.status_code == 200

    pages = [
        reverse("home"),
        reverse("apply-default"),
        reverse("manage", kwargs={"token": tokens.manage_token(endorsement)}),
        reverse("embed", args=[campaign.slug]),
        reverse("feed", args=[campaign.slug]),
    ]
    for page in pages:
        assert client.get(page).status_code == 200, page

    # No request so much as opened a connection to the mail server: nothing can wait for it.
    assert hung_mail_server.connections == []
    recorded = OutboundEmail.objects.count()
    assert recorded >= 3  # the confirmation, "received", the reviewers' notice (and the resend)
    assert not OutboundEmail.objects.filter(sent_at__isnull=False).exists()

    # The worker is the one that waits for the hung server; it gives up and will retry.
    settings.EMAIL_TIMEOUT = 0.2
    call_command("worker", "--once", stdout=io.StringIO())
    assert len(hung_mail_server.connections) == recorded
    assert not OutboundEmail.objects.filter(sent_at__isnull=False).exists()
    assert all("timed out" in email.last_error for email in OutboundEmail.objects.all())

    # The mail server answers again: once the retry is due, every message goes out once.
    inbox = _Inbox()
    smtp_port = faults.free_port()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    settings.EMAIL_PORT = smtp_port
    try:
        with time_machine.travel(timezone.now() + timedelta(minutes=3)):
            call_command("worker", "--once", stdout=io.StringIO())
            call_command("worker", "--once", stdout=io.StringIO())
    finally:
        server.stop()

    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()
    assert len(inbox.messages) == recorded
    recipients = sorted(address for to, _content in inbox.messages for address in to)
    expected = sorted(address for email in OutboundEmail.objects.all() for address in email.to)
    assert recipients == expected
    assert [reviewer.email] in [to for to, _content in inbox.messages]


def test_the_done_page_says_the_mail_is_on_its_way_and_warns_only_when_mail_is_late(
    client, campaign, sector, worker_mode
):
    response = client.post(reverse("apply-default"), _application(sector), follow=True)

    body = response.content.decode()
    assert "are sending a confirmation link" in body
    assert "slow to respond" not in body

    OutboundEmail.objects.update(last_error="TimeoutError: timed out")
    data = {**_application(sector), "contact_email": "nora@harbourlight.example.org"}
    data["name"] = "Harbour Light Two"
    data["website"] = "two.harbourlight.example.org"
    response = client.post(reverse("apply-default"), data, follow=True)

    assert "slow to respond" in response.content.decode()


# Claims: one worker per job ------------------------------------------------------------------


def test_a_job_claimed_by_one_worker_is_not_taken_by_another(worker_mode, db, mailoutbox):
    email = _record_mail()

    first = tasks.claim(emails.OUTBOX)
    second = tasks.claim(emails.OUTBOX)
    # Even a worker that picked the same row at the same moment (SQLite has no row locks)
    # loses the compare-and-set.
    late = tasks.take(emails.OUTBOX, email.pk, now=timezone.now())
    assert tasks.perform(emails.OUTBOX, first) is True
    after = tasks.claim(emails.OUTBOX)

    assert (first, second, late, after) == (email.pk, None, False, None)
    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert (email.attempts, email.claimed_until, email.last_error) == (1, None, "")
    assert email.sent_at is not None


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs row locks and concurrent connections: run with DATABASE_URL=postgres://…",
)
def test_two_workers_draining_at_once_send_each_mail_once(worker_mode):
    for n in range(30):
        _record_mail(f"person{n}@example.org")
    worker_mode.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []
    barrier = threading.Barrier(2)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            barrier.wait(timeout=10)
            tasks.work(interval=0, stop=threading.Event(), once=True)
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)

    assert errors == []
    sent_to = sorted(address for message in mail.outbox for address in message.to)
    assert sent_to == sorted(f"person{n}@example.org" for n in range(30))
    assert not OutboundEmail.objects.filter(sent_at__isnull=True).exists()


# Failures: retried with a growing delay, the error recorded ---------------------------------


def test_a_failed_send_is_retried_with_a_growing_delay_and_its_error_recorded(
    refused_mail, db, mailoutbox
):
    email = _record_mail()
    delays = []
    with time_machine.travel(timezone.now(), tick=False) as clock:
        for _ in range(8):
            assert tasks.run(emails.OUTBOX) == tasks.Tally(failed=1)
            assert tasks.run(emails.OUTBOX) == tasks.Tally()  # not due yet
            email.refresh_from_db()
            assert "ConnectionRefusedError" in email.last_error
            assert email.claimed_until is None
            delays.append(email.next_attempt_at - timezone.now())
            clock.move_to(email.next_attempt_at)

        refused_mail.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        assert tasks.run(emails.OUTBOX) == tasks.Tally(done=1)

    assert [delay / timedelta(minutes=1) for delay in delays] == [2, 4, 8, 16, 32, 60, 60, 60]
    email.refresh_from_db()
    assert email.attempts == 9
    assert email.sent_at is not None
    assert (email.last_error, email.next_attempt_at) == ("", None)
    assert len(mailoutbox) == 1


def test_a_crashed_workers_claim_expires_and_the_mail_is_sent_by_the_next(
    worker_mode, db, mailoutbox
):
    email = _record_mail()
    with time_machine.travel(timezone.now(), tick=False) as clock:
        assert tasks.claim(emails.OUTBOX) == email.pk  # … and the worker dies right there

        assert tasks.run(emails.OUTBOX) == tasks.Tally()
        clock.shift(emails.OUTBOX.lease - timedelta(seconds=1))
        assert tasks.run(emails.OUTBOX) == tasks.Tally()
        clock.shift(timedelta(seconds=2))
        assert tasks.run(emails.OUTBOX) == tasks.Tally(done=1)

    assert len(mailoutbox) == 1
    email.refresh_from_db()
    assert email.attempts == 2
    assert email.sent_at is not None


def test_mail_deleted_while_waiting_is_simply_skipped(worker_mode, db, mailoutbox):
    email = _record_mail()
    pk = tasks.claim(emails.OUTBOX)
    email.delete()  # its application was deleted meanwhile (retention)

    assert tasks.perform(emails.OUTBOX, pk) is None
    assert mailoutbox == []


# The command ---------------------------------------------------------------------------------


def test_the_worker_command_sends_what_is_due_and_send_outbox_is_its_old_name(
    worker_mode, db, mailoutbox
):
    _record_mail("first@example.org")
    out = io.StringIO()
    call_command("worker", "--once", stdout=out)
    assert "mail: 1 done, 0 failed" in out.getvalue()

    _record_mail("second@example.org")
    out = io.StringIO()
    call_command("send_outbox", stdout=out)
    assert "mail: 1 done, 0 failed" in out.getvalue()

    assert [message.to for message in mailoutbox] == [["first@example.org"], ["second@example.org"]]


class TerminatedWhileSendingBackend(LocmemBackend):
    """Mail that gets the worker a SIGTERM (as systemd stops it) in the middle of sending."""

    def send_messages(self, messages):
        os.kill(os.getpid(), signal.SIGTERM)
        return super().send_messages(messages)


def test_the_worker_stops_on_sigterm_after_finishing_the_mail_under_way(
    worker_mode, db, mailoutbox
):
    first, second = _record_mail("first@example.org"), _record_mail("second@example.org")
    worker_mode.EMAIL_BACKEND = f"{__name__}.TerminatedWhileSendingBackend"
    before = signal.getsignal(signal.SIGTERM)

    call_command("worker", "--interval", "60", stdout=io.StringIO())  # returns: it stopped

    first.refresh_from_db()
    second.refresh_from_db()
    assert first.sent_at is not None
    assert second.sent_at is None  # left for the next worker, untouched
    assert (second.attempts, second.claimed_until) == (0, None)
    assert [message.to for message in mailoutbox] == [["first@example.org"]]
    assert signal.getsignal(signal.SIGTERM) is before


def test_an_idle_worker_stops_on_sigterm(worker_mode, db):
    def terminate_once_listening() -> None:
        # Until the worker's handler is installed, SIGTERM would end the test run itself.
        for _ in range(1000):
            if signal.getsignal(signal.SIGTERM) not in (signal.SIG_DFL, before):
                os.kill(os.getpid(), signal.SIGTERM)
                return
            threading.Event().wait(0.01)

    before = signal.getsignal(signal.SIGTERM)
    terminator = threading.Thread(target=terminate_once_listening)
    terminator.start()
    call_command("worker", "--interval", "60", stdout=io.StringIO())
    terminator.join(timeout=5)

    assert signal.getsignal(signal.SIGTERM) is before


def test_a_decision_records_its_mail_and_leaves_the_sending_to_the_worker(
    worker_mode, make_endorsement, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
        )

    assert mailoutbox == []
    assert OutboundEmail.objects.get().sent_at is None
