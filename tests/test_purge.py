"""Purging the HTTP caches in front of the site (``coalition.purge``) and the keys responses are
named by (``coalition.cache_keys``), against a stand-in for Varnish that records what it is sent.
tests/test_varnish.py does the same against a real Varnish."""

from __future__ import annotations

import http.server
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.http import HttpResponse
from django.utils import timezone

from coalition import cache_keys, purge, services, tasks
from coalition.models import CachePurge, Endorsement
from tests.faults import free_port

Status = Endorsement.Status


class FakeVarnish:
    """Answers ``PURGE`` with ``status`` and records the keys of each, on ``port``."""

    def __init__(self, port: int = 0, status: int = 200) -> None:
        self.status = status
        self.purged: list[list[str]] = []
        fake = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_PURGE(self) -> None:
                fake.purged.append(self.headers.get(purge.PURGE_HEADER, "").split())
                self.send_response(fake.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(timeout=5)

    @property
    def keys(self) -> list[str]:
        return [key for request in self.purged for key in request]


@pytest.fixture(autouse=True)
def _one_purge_per_change(settings):
    # The repeated purge has its own test; the others look at the first one alone.
    settings.HTTP_CACHE_PURGE_REPEAT_SECONDS = 0


@pytest.fixture
def fake_varnish() -> Iterator[FakeVarnish]:
    fake = FakeVarnish()
    yield fake
    fake.close()


def approve(endorsement: Endorsement, capture) -> None:
    with capture(execute=True):
        services.endorsement_approve(endorsement=endorsement, by=None)


# Purging after a change --------------------------------------------------------------------------


def test_an_approval_purges_every_cache_once_committed(
    make_endorsement, settings, django_capture_on_commit_callbacks
):
    first, second = FakeVarnish(), FakeVarnish()
    try:
        settings.HTTP_CACHE_PURGE_URLS = [first.url, second.url]
        approve(make_endorsement(), django_capture_on_commit_callbacks)
        assert first.keys == [cache_keys.SITE_KEY]
        assert second.keys == [cache_keys.SITE_KEY]
    finally:
        first.close()
        second.close()
    jobs = list(CachePurge.objects.order_by("pk"))
    assert [job.target for job in jobs] == [first.url, second.url]
    assert all(job.done_at is not None and job.attempts == 1 for job in jobs)


def test_every_public_change_purges(
    make_endorsement, settings, django_capture_on_commit_callbacks, fake_varnish, reviewer
):
    settings.HTTP_CACHE_PURGE_URLS = [fake_varnish.url]
    endorsement = make_endorsement()
    approve(endorsement, django_capture_on_commit_callbacks)
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_remove(endorsement=endorsement, by=reviewer)
    assert len(fake_varnish.purged) == 2


def test_a_change_that_does_not_show_publicly_purges_nothing(
    make_endorsement, settings, django_capture_on_commit_callbacks, fake_varnish, reviewer, reason
):
    settings.HTTP_CACHE_PURGE_URLS = [fake_varnish.url]
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_reject(endorsement=make_endorsement(), by=reviewer, reason=reason)
    assert fake_varnish.purged == []
    assert not CachePurge.objects.exists()


def test_nothing_is_recorded_when_no_cache_is_configured(
    make_endorsement, settings, django_capture_on_commit_callbacks
):
    settings.HTTP_CACHE_PURGE_URLS = []
    approve(make_endorsement(), django_capture_on_commit_callbacks)
    assert not CachePurge.objects.exists()


def test_a_change_rolled_back_purges_nothing(
    db, settings, django_capture_on_commit_callbacks, fake_varnish
):
    settings.HTTP_CACHE_PURGE_URLS = [fake_varnish.url]

    def failing_change() -> None:
        with transaction.atomic():
            purge.purge_after_commit(["campaign-1"])
            raise RuntimeError("the change failed")

    with django_capture_on_commit_callbacks(execute=True), pytest.raises(RuntimeError):
        failing_change()
    assert fake_varnish.purged == []
    assert not CachePurge.objects.exists()


def test_the_keys_are_sent_once_each_in_the_xkey_purge_header(
    db, settings, django_capture_on_commit_callbacks, fake_varnish
):
    settings.HTTP_CACHE_PURGE_URLS = [fake_varnish.url]
    with django_capture_on_commit_callbacks(execute=True):
        purge.purge_after_commit(["campaign-1", "ally-abc", "campaign-1"])
    assert fake_varnish.purged == [["campaign-1", "ally-abc"]]


def test_a_long_list_of_keys_goes_in_several_requests(fake_varnish):
    keys = [f"ally-{n:012d}" for n in range(1000)]
    purge.VarnishBackend(fake_varnish.url).purge(keys, timeout=5)
    assert len(fake_varnish.purged) > 1
    assert all(len(" ".join(batch)) <= purge.MAX_HEADER_BYTES for batch in fake_varnish.purged)
    assert fake_varnish.keys == keys


# Retries -----------------------------------------------------------------------------------------


def test_an_unreachable_cache_is_retried_by_the_worker_until_it_answers(
    db, settings, django_capture_on_commit_callbacks
):
    port = free_port()  # nothing listens there yet
    settings.HTTP_CACHE_PURGE_URLS = [f"http://127.0.0.1:{port}"]
    with django_capture_on_commit_callbacks(execute=True):
        purge.purge_after_commit(["campaign-1"])
    job = CachePurge.objects.get()
    assert job.done_at is None
    assert job.attempts == 1
    assert job.last_error
    assert job.next_attempt_at is not None
    assert job.next_attempt_at <= timezone.now() + timedelta(seconds=1)

    fake = FakeVarnish(port=port)
    try:
        with time_machine.travel(timezone.now() + timedelta(seconds=2)):
            tally = tasks.run(purge.QUEUE)
        assert fake.keys == ["campaign-1"]
    finally:
        fake.close()
    assert (tally.done, tally.failed) == (1, 0)
    job.refresh_from_db()
    assert job.done_at is not None
    assert job.last_error == ""


def test_a_cache_that_refuses_the_purge_is_retried(
    db, settings, django_capture_on_commit_callbacks
):
    fake = FakeVarnish(status=403)
    try:
        settings.HTTP_CACHE_PURGE_URLS = [fake.url]
        with django_capture_on_commit_callbacks(execute=True):
            purge.purge_after_commit(["site"])
    finally:
        fake.close()
    job = CachePurge.objects.get()
    assert job.done_at is None
    assert "403" in job.last_error


def test_a_cache_that_hangs_fails_the_attempt_instead_of_holding_the_request(
    db, settings, django_capture_on_commit_callbacks
):
    # Listening, never accepting: the connection is made (the kernel's backlog), no answer comes.
    with socket.create_server(("127.0.0.1", 0)) as hung:
        settings.HTTP_CACHE_PURGE_URLS = [f"http://127.0.0.1:{hung.getsockname()[1]}"]
        with django_capture_on_commit_callbacks(execute=True):
            purge.purge_after_commit(["site"])
    job = CachePurge.objects.get()
    assert job.done_at is None
    assert "timed out" in job.last_error


def test_retries_wait_longer_each_time_up_to_a_minute():
    assert purge.QUEUE.backoff(1) == timedelta(seconds=1)
    assert purge.QUEUE.backoff(2) == timedelta(seconds=2)
    assert purge.QUEUE.backoff(50) == timedelta(minutes=1)


def test_a_purge_for_a_cache_no_longer_configured_is_dropped(db, settings):
    job = CachePurge.objects.create(target="http://127.0.0.1:9", keys=["site"])
    settings.HTTP_CACHE_PURGE_URLS = []
    assert tasks.run(purge.QUEUE).done == 1
    job.refresh_from_db()
    assert job.done_at is not None


def test_the_worker_does_the_purges():
    assert purge.QUEUE in tasks.queues()


def test_a_cache_address_that_is_not_http_is_refused():
    with pytest.raises(Exception, match="not an http"):
        purge.backend_for("varnish.example:6081")


# Keys --------------------------------------------------------------------------------------------


def test_a_response_names_its_keys_for_varnish_fastly_and_cloudflare(make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)
    keys = cache_keys.keys_for_page(endorsement.campaign, [endorsement])
    response = cache_keys.tag_response(HttpResponse(), keys)
    expected = ["site", f"campaign-{endorsement.campaign.pk}", f"ally-{endorsement.public_id}"]
    assert keys == expected
    assert response["xkey"] == " ".join(expected)
    assert response["Surrogate-Key"] == " ".join(expected)
    assert response["Cache-Tag"] == ",".join(expected)


def test_a_response_about_no_campaign_is_named_site():
    assert cache_keys.keys_for_page(None) == [cache_keys.SITE_KEY]


def test_a_page_with_too_many_allies_for_one_header_is_named_by_its_campaign(make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)
    keys = ["site", "campaign-7", *(f"ally-{n:012d}" for n in range(500))]
    response = cache_keys.tag_response(HttpResponse(), keys)
    assert response["xkey"] == "site campaign-7"
    # So an ally's change purges its campaign too.
    assert cache_keys.campaign_key(endorsement.campaign) in cache_keys.keys_for_ally(endorsement)


def test_an_ally_change_purges_its_campaign_and_itself(make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)
    assert cache_keys.keys_for_ally(endorsement) == [
        f"campaign-{endorsement.campaign.pk}",
        f"ally-{endorsement.public_id}",
    ]


def test_the_keys_are_purged_once_more_after_renderings_begun_before_the_commit(
    settings, make_endorsement, django_capture_on_commit_callbacks, fake_varnish
):
    """A cache that began fetching a page before the change and stores it after the first
    purge arrived would keep the old page: the same keys are purged again a little later."""
    settings.HTTP_CACHE_PURGE_URLS = [fake_varnish.url]
    settings.HTTP_CACHE_PURGE_REPEAT_SECONDS = 3
    endorsement = make_endorsement(status=Endorsement.Status.PENDING)

    approve(endorsement, django_capture_on_commit_callbacks)

    first, repeat = CachePurge.objects.order_by("pk")
    assert first.done_at is not None
    assert repeat.done_at is None
    assert repeat.keys == first.keys
    assert repeat.next_attempt_at >= first.created_at + timedelta(seconds=3)
    with time_machine.travel(repeat.next_attempt_at + timedelta(seconds=1)):
        tasks.run(purge.QUEUE)
    repeat.refresh_from_db()
    assert repeat.done_at is not None
    assert len(fake_varnish.purged) == 2
