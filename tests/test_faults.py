"""What the site does when its parts fail: the database, Redis, the mail server, and two people
deciding the same thing at once.

The first tests run everywhere, in-process. Those at the end break real servers of their own
(see ``tests/faults.py``) under gunicorn with the production settings, and run with
``FAULT_TESTS=1``.
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
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import connection, connections
from django.http import HttpResponse
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from redis.exceptions import ConnectionError as RedisConnectionError

from coalition import caching, ratelimit, selectors, services, tokens
from coalition.models import Endorsement, EndorsementEvent, OutboundEmail
from tests import faults
from tests.conftest import image_bytes

Status = Endorsement.Status


# Redis unreachable, in-process ----------------------------------------------------------------


def _closed_port() -> int:
    return faults.free_port()  # nothing listens on it once the probe is closed


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

    assert selectors.public_version() > 0
    services.public_version_bump()
    renderings = []

    def build() -> HttpResponse:
        renderings.append(1)
        return HttpResponse(b"<p>wall</p>")

    for _attempt in range(2):
        response = caching.cached_public_response(
            rf.get("/"), namespace="test", variant="", build=build
        )
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
            {
                "name": f"Harbour Light Trust {number}",
                "website": f"harbourlight{number}.example.org",
                "country": "IE",
                "sector": str(sector.pk),
                "statement": "Children deserve platforms that look for abuse.",
                "contact_name": "Aoife Byrne",
                "contact_role": "Director",
                "contact_email": f"aoife@harbourlight{number}.example.org",
                "preferred_language": "en",
                "consent_authority": "on",
                "consent_publish": "on",
                "homepage": "",
                "logo": SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png"),
            },
        )
        assert response.status_code == 200, response.content[:500]
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
    port = faults.free_port()
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
            {
                "name": "Harbour Light Children's Trust",
                "website": "harbourlight.example.org",
                "country": "IE",
                "sector": str(sector.pk),
                "statement": "Children deserve platforms that look for abuse.",
                "contact_name": "Aoife Byrne",
                "contact_role": "Director",
                "contact_email": "aoife@harbourlight.example.org",
                "preferred_language": "en",
                "consent_authority": "on",
                "consent_publish": "on",
                "homepage": "",
                "logo": SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png"),
            },
        )

    assert response.status_code == 200
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
    return reverse(f"admin:coalition_endorsement_{decision}", args=[endorsement.pk])


def _messages_after(client: Client, endorsement: Endorsement) -> list[str]:
    response = client.get(reverse("admin:coalition_endorsement_change", args=[endorsement.pk]))
    return [str(message) for message in response.context["messages"]]


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
    first.post(_decision_url(endorsement, "reject"), {"reason": reason.pk, "note": ""})

    response = second.post(_decision_url(endorsement, "approve"), {"note": ""})

    assert response.status_code == 302
    messages = _messages_after(second, endorsement)
    assert len(messages) == 1
    assert "is Rejected and cannot become Approved" in messages[0]
    endorsement.refresh_from_db()
    assert endorsement.status == Status.REJECTED
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1


def test_a_reviewer_approving_what_the_applicant_just_withdrew_is_told_why(make_endorsement, db):
    endorsement = make_endorsement(status=Status.PENDING)
    reviewer = _reviewer_client("reviewer")
    manage = reverse("manage-withdraw", kwargs={"token": tokens.manage_token(endorsement)})
    assert Client().post(manage, {"confirm": "on"}).status_code == 200

    reviewer.post(_decision_url(endorsement, "approve"), {"note": ""})

    messages = _messages_after(reviewer, endorsement)
    assert len(messages) == 1
    assert "is Withdrawn and cannot become Approved" in messages[0]
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
    # Proven by its contact's address: the admin may approve it (see test_admin.py).
    Endorsement.objects.filter(pk=endorsement.pk).update(domain_verified=True)
    clients = {"approve": _reviewer_client("approver"), "reject": _reviewer_client("rejecter")}
    data = {"approve": {"note": ""}, "reject": {"reason": reason.pk, "note": ""}}
    barrier = threading.Barrier(2)
    statuses: dict[str, int] = {}

    def decide(decision: str) -> None:
        try:
            barrier.wait(timeout=10)
            response = clients[decision].post(_decision_url(endorsement, decision), data[decision])
            statuses[decision] = response.status_code
        finally:
            connections.close_all()

    threads = [threading.Thread(target=decide, args=(decision,)) for decision in clients]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert statuses == {"approve": 302, "reject": 302}
    endorsement.refresh_from_db()
    winner = "approve" if endorsement.status == Status.APPROVED else "reject"
    loser = "reject" if winner == "approve" else "approve"
    assert endorsement.status in (Status.APPROVED, Status.REJECTED)
    assert EndorsementEvent.objects.filter(endorsement=endorsement).count() == 1
    won = _messages_after(clients[winner], endorsement)
    lost = _messages_after(clients[loser], endorsement)
    assert len(won) == 1
    assert "cannot become" not in won[0]
    assert len(lost) == 1
    assert "cannot become" in lost[0]


# Real servers, broken on purpose (FAULT_TESTS=1) -----------------------------------------------


@pytest.fixture(scope="module")
def stack() -> Iterator[tuple[faults.Site, faults.PrivatePostgres, faults.PrivateRedis]]:
    with faults.running_stack(allies=60) as running:
        yield running


def _slug(site: faults.Site) -> str:
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
    [name] = faults.make_pending(site, 1, "AAA Outage")
    # A change commits (the public version moves on), then the database goes away before
    # anyone has seen the change: nothing current can be rendered.
    site.shell(faults.approve_script([name], interval=0))

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
