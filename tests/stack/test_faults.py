"""What the site does when its parts fail: the database, Redis, the mail server, and two people
deciding the same thing at once.

The first tests run everywhere, in-process. Those at the end break real servers of their own
(``bench/stack.py``, with ``tests/faults.py``) under gunicorn with the production settings, and
run with ``FAULT_TESTS=1``.
"""

from __future__ import annotations

import json
import os
import signal
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from aiosmtpd.controller import Controller
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.core.management import call_command
from django.db import connection, connections
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from bench.changes import make_pending
from bench.servers import PrivatePostgres, PrivateRedis, Site, free_port
from coalition import services
from coalition.endorsements import tokens
from coalition.models import Endorsement, EndorsementEvent, OutboundEmail, RejectionReason
from coalition.publishing import freshness
from coalition.publishing.renderings import cached_public_response
from coalition.web import ratelimit
from tests import faults
from tests.factories import application_form

Status = Endorsement.Status


# Redis unreachable, in-process ----------------------------------------------------------------


def _closed_port() -> int:
    return free_port()  # nothing listens on it once the probe is closed


@pytest.fixture
def dead_redis() -> Iterator[None]:
    """The cache pointed at a Redis that refuses connections, as when it is down."""
    dead = {
        "default": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{_closed_port()}/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.5, "SOCKET_TIMEOUT": 0.5},
        }
    }
    # Not the ``settings`` fixture: the suite's own teardown clears the usual cache afterwards.
    with override_settings(CACHES=dead):
        yield


def test_with_redis_down_every_cache_helper_falls_back(dead_redis, rf):
    with pytest.raises(RedisConnectionError):
        cache.get("anything")  # the cache backend itself raises: every caller must not

    assert freshness.public_version() > 0
    services.public_version_bump()
    renderings = []

    def build() -> HttpResponse:
        renderings.append(1)
        return HttpResponse(b"<p>wall</p>")

    for _attempt in range(2):
        response = cached_public_response(rf.get("/"), namespace="test", variant="", build=build)
        assert (response.status_code, response["X-Cache"]) == (200, "miss")
    assert len(renderings) == 2
    request = rf.get("/")
    assert not ratelimit.over_limit(request, scope="test", limit=1, window=60)
    assert not ratelimit.over_limit(request, scope="test", limit=1, window=60)


def test_with_redis_down_public_pages_and_the_api_come_from_the_database(
    dead_redis, client, make_endorsement, campaign
):
    ally = make_endorsement(status=Status.APPROVED, name="Tidewater Youth Shelter")
    ally.approved_at = timezone.now()
    ally.save()

    for path in [
        "/",
        f"/campaigns/{campaign.slug}/",
        f"/embed/{campaign.slug}/",
        f"/campaigns/{campaign.slug}/wall.svg",
        f"/campaigns/{campaign.slug}/feed/",
        "/api/v1/allies/",
        "/api/v1/facets/",
        "/api/v1/campaigns/",
    ]:
        for _attempt in range(2):  # the second one would be a cache hit, were there a cache
            response = client.get(path)
            assert response.status_code == 200, path
            assert response.get("X-Cache") != "hit", path
    assert b"Tidewater Youth Shelter" in client.get("/api/v1/allies/").content


def test_with_redis_down_the_api_throttle_lets_requests_through(dead_redis, client, settings, db):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "2/minute"},
    }

    statuses = {client.get("/api/v1/campaigns/").status_code for _ in range(5)}

    assert statuses == {200}


def test_with_redis_down_an_application_is_accepted_and_its_session_works(
    dead_redis, client, sector, campaign, settings, reviewer
):
    settings.APPLY_RATE_LIMIT = (1, 3600)  # counted in the cache, which is down: not applied
    for number in range(2):
        response = client.post(
            reverse("apply-default"),
            application_form(
                sector,
                name=f"Harbour Light Trust {number}",
                website=f"harbourlight{number}.example.org",
                statement="Children deserve platforms that look for abuse.",
                contact_email=f"aoife@harbourlight{number}.example.org",
                registry_id=None,
            ),
        )
        assert response.status_code == 303, response.content[:500]  # to "check your email"
    assert Endorsement.objects.filter(campaign=campaign).count() == 2

    # Sessions are kept in the database: signing in still works.
    client.force_login(reviewer)
    assert client.get(reverse("admin:coalition_endorsement_changelist")).status_code == 200


# The mail server down, with a real SMTP server -------------------------------------------------


class _Inbox:
    def __init__(self) -> None:
        self.messages: list[tuple[list[str], bytes]] = []

    async def handle_DATA(self, server, session, envelope):  # aiosmtpd calls it by this name
        self.messages.append((list(envelope.rcpt_tos), envelope.content))
        return "250 Message accepted for delivery"


@pytest.fixture
def smtp_port(settings) -> int:
    port = free_port()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    return port


def test_with_the_mail_server_down_no_application_is_lost_and_mail_goes_out_when_it_returns(
    client, sector, campaign, smtp_port, settings, django_capture_on_commit_callbacks
):
    settings.BACKGROUND_WORK_IMMEDIATE = False  # the worker sends, as in production
    inbox = _Inbox()
    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()
    server.stop()  # the mail server goes down (it was up: the port is the one it used)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("apply-default"),
            application_form(
                sector,
                statement="Children deserve platforms that look for abuse.",
                registry_id=None,
            ),
        )

    assert response.status_code == 303  # to "check your email": the mail is not awaited
    endorsement = Endorsement.objects.get(organization__name="Harbour Light Children's Trust")
    waiting = OutboundEmail.objects.get(endorsement=endorsement)
    assert (waiting.sent_at, waiting.attempts) == (None, 0)  # the request only recorded it

    call_command("worker", "--once")
    waiting.refresh_from_db()
    assert waiting.sent_at is None
    assert waiting.attempts == 1
    assert waiting.last_error

    server = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    server.start()  # the mail server is back
    try:
        call_command("worker", "--once")
        assert not inbox.messages  # the retry waits for its backoff
        with time_machine.travel(timezone.now() + timedelta(hours=1, minutes=1)):
            call_command("worker", "--once")
    finally:
        server.stop()

    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert [recipients for recipients, _content in inbox.messages] == [
        ["aoife@harbourlight.example.org"]
    ]
    assert b"confirm" in inbox.messages[0][1].lower()


# Two people deciding at once: the loser is told ------------------------------------------------


def _decision_url(endorsement: Endorsement, decision: str) -> str:
    """The workspace's decision, the one staff screen that decides."""
    return reverse(f"review:{decision}", args=[endorsement.public_id])


# What each decision posts: an approval ticks what it must acknowledge (the factory's
# organizations share example.org and prove no domain) and says how, in the note.
def _decision_data(decision: str, reason: RejectionReason) -> dict[str, object]:
    if decision == "approve":
        return {
            "approve-acknowledge": "on",
            "approve-verified_otherwise": "on",
            "approve-note": "Checked the organization by phone.",
        }
    return {"reject-reason": reason.pk, "reject-note": ""}


def _reviewer_client(username: str) -> Client:
    user = User.objects.create_user(username, f"{username}@registry.example", is_staff=True)
    user.groups.add(Group.objects.get(name="Reviewers"))
    client = Client()
    client.force_login(user)
    return client


def test_a_reviewer_deciding_what_another_just_decided_is_told_why(make_endorsement, reason, db):
    endorsement = make_endorsement(status=Status.PENDING)
    first, second = _reviewer_client("first"), _reviewer_client("second")
    # Both opened the endorsement while it was pending; the first rejects it.
    first.post(_decision_url(endorsement, "reject"), _decision_data("reject", reason))

    response = second.post(_decision_url(endorsement, "approve"), _decision_data("approve", reason))

    assert response.status_code == 409
    assert "Someone else decided first. Rejected by" in response.content.decode()
    endorsement.refresh_from_db()
    assert endorsement.status == Status.REJECTED
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1


def test_a_reviewer_approving_what_the_applicant_just_withdrew_is_told_why(
    make_endorsement, reason, db
):
    endorsement = make_endorsement(status=Status.PENDING)
    reviewer = _reviewer_client("reviewer")
    manage = reverse("manage-withdraw", kwargs={"token": tokens.manage_token(endorsement)})
    assert Client().post(manage, {"confirm": "on"}).status_code == 200

    response = reviewer.post(
        _decision_url(endorsement, "approve"), _decision_data("approve", reason)
    )

    assert response.status_code == 409
    assert "Someone else decided first. Withdrawn" in response.content.decode()
    assert [
        (event.from_status, event.to_status)
        for event in EndorsementEvent.objects.filter(endorsement=endorsement)
    ] == [("pending", "withdrawn")]


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs row locks and concurrent connections: run with DATABASE_URL=postgres://…",
)
@pytest.mark.parametrize("attempt", range(3))
def test_two_reviewers_posting_at_once_one_wins_and_the_other_is_told(
    make_endorsement, reason, attempt
):
    endorsement = make_endorsement(status=Status.PENDING)
    clients = {"approve": _reviewer_client("approver"), "reject": _reviewer_client("rejecter")}
    barrier = threading.Barrier(2)
    responses: dict[str, object] = {}

    def decide(decision: str) -> None:
        try:
            barrier.wait(timeout=10)
            responses[decision] = clients[decision].post(
                _decision_url(endorsement, decision), _decision_data(decision, reason)
            )
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(decision,)) for decision in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    endorsement.refresh_from_db()
    assert endorsement.status in (Status.APPROVED, Status.REJECTED)
    winner = "approve" if endorsement.status == Status.APPROVED else "reject"
    loser = "reject" if winner == "approve" else "approve"
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1
    assert responses[winner].status_code == 302
    assert responses[loser].status_code == 409
    assert "Someone else decided first" in responses[loser].content.decode()


# Real servers, broken on purpose (FAULT_TESTS=1) -----------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[Site, PrivatePostgres, PrivateRedis]]:
    with faults.running_stack(allies=60) as running:
        yield running


def _slug(site: Site) -> str:
    return json.loads(site.get("/api/v1/campaigns/").body)[0]["slug"]


def _public_pages(slug: str) -> list[str]:
    return [
        "/",
        f"/campaigns/{slug}/?order=newest",
        f"/embed/{slug}/",
        f"/embed/{slug}/?theme=dark&order=newest",
        f"/campaigns/{slug}/wall.svg",
        f"/campaigns/{slug}/wall.png",
        f"/campaigns/{slug}/feed/",
        "/api/v1/allies/",
        "/api/v1/allies/?ordering=-approved_at&page_size=10",
        "/api/v1/facets/",
        "/api/v1/campaigns/",
    ]


@faults.needs_fault_tests
def test_with_the_database_down_the_last_good_pages_are_served_and_all_recovers(stack):
    site, postgres, _redis = stack
    slug = _slug(site)
    pages = _public_pages(slug)
    before = {path: site.get(path) for path in pages}
    assert {path: answer.status for path, answer in before.items()} == dict.fromkeys(pages, 200)
    workers = sorted(site.worker_pids())
    # Never asked for before the outage, so nothing is kept for them.
    never_seen = ["/?country=FR", f"/embed/{slug}/?country=FR", "/api/v1/allies/?country=FR"]
    [(name, _country)] = make_pending(site, 1, "AAA Outage", country="DE")
    # A change commits (the public version moves on), then the database goes away before
    # anyone has seen the change: nothing current can be rendered.
    site.run_module("bench.approve", name)

    postgres.stop()
    try:
        for path in pages:
            for _attempt in range(2):
                answer = site.get(path)
                assert answer.status == 200, (path, answer.text[:300])
                assert answer.headers.get("X-Coalition-Stale") == "1", path
                assert answer.body == before[path].body, path
        for path in [*never_seen, "/apply/"]:
            answer = site.get(path)
            assert answer.status == 503, (path, answer.status, answer.text[:300])
            assert int(answer.headers["Retry-After"]) > 0
            assert "Traceback" not in answer.text
        assert json.loads(site.get("/api/v1/allies/?country=FR").body)["detail"]
    finally:
        postgres.start()

    # Back without a restart: the workers reconnect on their own, and show the change.
    for path in pages:
        answer = site.get(path)
        assert answer.status == 200, (path, answer.text[:300])
        assert "X-Coalition-Stale" not in answer.headers, path
    for path in ["/", f"/embed/{slug}/", "/api/v1/allies/"]:
        assert name in site.get(path).text, path
    for path in never_seen:
        assert site.get(path).status == 200, path
    assert sorted(site.worker_pids()) == workers
    assert "Internal Server Error" not in site.log_text()


@faults.needs_fault_tests
def test_with_redis_down_pages_come_from_the_database_and_nothing_fails(stack):
    site, _postgres, redis = stack
    slug = _slug(site)
    pages = [*_public_pages(slug), "/apply/", "/admin/login/", "/api/v1/allies/?country=DE"]
    before = {path: site.get(path).body for path in pages}

    redis.stop()
    try:
        for path in pages:
            for _attempt in range(3):
                answer = site.get(path)
                assert answer.status == 200, (path, answer.status, answer.text[:300])
                assert answer.headers.get("X-Cache") != "hit", path
        assert site.get("/api/v1/allies/").body == before["/api/v1/allies/"]
    finally:
        redis.start()

    # A Redis that hangs instead of refusing: the short socket timeouts keep requests going.
    pid = redis.pid()
    os.kill(pid, signal.SIGSTOP)
    try:
        assert site.get("/api/v1/facets/", timeout=30).status == 200
    finally:
        os.kill(pid, signal.SIGCONT)

    # Redis is back (empty): pages are cached again.
    for path in pages:
        answers = [site.get(path) for _attempt in range(3)]
        assert [answer.status for answer in answers] == [200, 200, 200], path
    assert site.get("/api/v1/allies/").headers.get("X-Cache") == "hit"
    assert "Internal Server Error" not in site.log_text()
