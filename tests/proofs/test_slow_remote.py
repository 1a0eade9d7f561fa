"""A slow or hostile website holds neither the domain check past its deadline nor the mail: the
check's one deadline bounds a request from its connection to its last byte, and the worker does
each queue in a thread of its own."""

from __future__ import annotations

import contextlib
import socket
import threading
from collections.abc import Callable, Iterator

import pytest
from django.core import mail
from django.db import OperationalError, connection

from coalition import services
from coalition.jobs import tasks
from coalition.proofs import checks
from coalition.proofs import services as proofs
from tests.proof_servers import Zone, dns_server

DOMAIN = "rowan-helpline.org"
TOKEN = "0123456789abcdef0123456789abcdef"


@contextlib.contextmanager
def trickling_server(response: bytes, *, pause: float) -> Iterator[tuple[int, list[int]]]:
    """An HTTP server that sends ``response`` one byte every ``pause`` seconds; yields its port
    and, per connection, how many bytes went out before the client hung up."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    sent: list[int] = []
    stop = threading.Event()

    def serve(connection: socket.socket) -> None:
        count = 0
        with connection:
            connection.recv(65536)
            try:
                for byte in response:
                    if stop.wait(pause):
                        break
                    connection.sendall(bytes([byte]))
                    count += 1
            except OSError:
                pass
        sent.append(count)

    def accept() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                return
            threading.Thread(target=serve, args=(connection,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    try:
        yield listener.getsockname()[1], sent
    finally:
        stop.set()
        listener.close()


@pytest.fixture
def slow_website(settings):
    zone = Zone()
    zone.a[DOMAIN] = ["127.0.0.1"]
    body = TOKEN.encode()
    # A valid answer with the right token: only its pace is wrong.
    response = (
        b"HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"X-Padding: "
        + b"x" * 60
        + b"\r\n\r\n"
        + body
    )
    with dns_server(zone) as address, trickling_server(response, pause=0.1) as (port, sent):
        settings.DOMAIN_PROOF_DNS_SERVERS = [address]
        settings.DOMAIN_PROOF_TIMEOUT = 0.5
        settings.DOMAIN_PROOF_ALLOW_HTTP = True
        settings.DOMAIN_PROOF_ALLOW_PRIVATE = True
        settings.DOMAIN_PROOF_WEB_PORT = port
        yield sent, response.index(b"\r\n\r\n")


def test_a_website_trickling_its_headers_is_cut_off_at_the_checks_deadline(slow_website):
    sent, headers_length = slow_website

    result = checks.check_domain(DOMAIN, TOKEN)

    # Each byte comes well within a read timeout, so only one deadline over the whole request
    # stops it: the headers alone would take 10 s, the check has 1.5 s.
    assert result.method is None
    assert [(finding.method, finding.code) for finding in result.findings][-1] == (
        "well-known",
        "timeout",
    )
    assert result.transient
    for _ in range(40):
        if sent:
            break
        threading.Event().wait(0.05)
    # Cut off in the middle of the headers, not after them.
    assert sent
    assert sent[0] < headers_length


def queue_while_the_worker_polls(write: Callable[[], object]) -> None:
    """Do ``write`` while the worker's threads read the same tables. The tests' SQLite database is
    in memory with a shared cache, where a table another connection is reading refuses a writer
    at once ("database table is locked") instead of making it wait the busy timeout as the file
    database of ``make run`` does; so the write is tried again for a few seconds there."""
    for attempt in range(100):
        try:
            write()
            return
        except OperationalError as error:
            if connection.vendor != "sqlite" or "locked" not in str(error) or attempt == 99:
                raise
            threading.Event().wait(0.05)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_mail_goes_out_while_a_domain_check_is_still_running(
    settings, monkeypatch, make_endorsement
):
    settings.BACKGROUND_WORK_IMMEDIATE = False
    mail.outbox = []
    check_started = threading.Event()
    release_check = threading.Event()

    def held_by_a_slow_website(domain: str, token: str) -> checks.CheckResult:
        check_started.set()
        release_check.wait(30)
        return checks.CheckResult(None, [])

    monkeypatch.setattr(checks, "check_domain", held_by_a_slow_website)
    proofs.domain_check_request(endorsement=make_endorsement())
    stop = threading.Event()
    worker = threading.Thread(target=tasks.work, kwargs={"interval": 0.05, "stop": stop})
    worker.start()
    try:
        assert check_started.wait(10)
        queue_while_the_worker_polls(
            lambda: services.mail_queue(
                template="withdrawn",
                to=["contact@example.org"],
                context={"organization": "Example Org"},
            )
        )
        for _ in range(200):
            if mail.outbox:
                break
            threading.Event().wait(0.05)
        # The check is still held by its slow website, and the mail went out all the same.
        assert not release_check.is_set()
        assert [message.to for message in mail.outbox] == [["contact@example.org"]]
    finally:
        release_check.set()
        stop.set()
        worker.join(30)
    assert not worker.is_alive()
