"""Purging the HTTP caches in front of the site (``coalition.publishing.purges``) and the keys
responses are
named by (``coalition.publishing.cache_keys``), against a stand-in for Varnish that records what it
is sent.
tests/publishing/test_varnish.py does the same against a real Varnish."""

from __future__ import annotations

import http.server
import io
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.db import transaction
from django.http import HttpResponse
from django.urls import reverse
from django.utils import timezone

from coalition import services
from coalition.images import logos
from coalition.jobs import tasks
from coalition.models import CachePurge, Campaign, DomainCheck, Endorsement, Organization, Sector
from coalition.proofs import checks
from coalition.proofs import services as proofs
from coalition.publishing import cache_keys, freshness, purges
from tests.conftest import image_bytes
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
                fake.purged.append(self.headers.get(purges.PURGE_HEADER, "").split())
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
        services.endorsement_approve(
            endorsement=endorsement, by=None, acknowledged=True, note="Checked by hand."
        )


# Purging after a change --------------------------------------------------------------------------


def test_an_approval_purges_every_cache_once_committed(
    make_endorsement, settings, django_capture_on_commit_callbacks
):
    first, second = FakeVarnish(), FakeVarnish()
    try:
        settings.HTTP_CACHE_PURGE_URLS = [first.url, second.url]
        endorsement = make_endorsement()
        approve(endorsement, django_capture_on_commit_callbacks)
        # The keys of what the approval changed (each kind of change: tests further down).
        expected = [*cache_keys.keys_for_ally(endorsement), cache_keys.CAMPAIGNS_KEY]
        assert first.keys == expected
        assert second.keys == expected
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
            purges.purge_after_commit(["campaign-1"])
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
        purges.purge_after_commit(["campaign-1", "ally-abc", "campaign-1"])
    assert fake_varnish.purged == [["campaign-1", "ally-abc"]]


def test_a_long_list_of_keys_goes_in_several_requests(fake_varnish):
    keys = [f"ally-{n:012d}" for n in range(1000)]
    purges.VarnishBackend(fake_varnish.url).purge(keys, timeout=5)
    assert len(fake_varnish.purged) > 1
    assert all(len(" ".join(batch)) <= purges.MAX_HEADER_BYTES for batch in fake_varnish.purged)
    assert fake_varnish.keys == keys


# Retries -----------------------------------------------------------------------------------------


def test_an_unreachable_cache_is_retried_by_the_worker_until_it_answers(
    db, settings, django_capture_on_commit_callbacks
):
    port = free_port()  # nothing listens there yet
    settings.HTTP_CACHE_PURGE_URLS = [f"http://127.0.0.1:{port}"]
    with django_capture_on_commit_callbacks(execute=True):
        purges.purge_after_commit(["campaign-1"])
    job = CachePurge.objects.get()
    assert job.done_at is None
    assert job.attempts == 1
    assert job.last_error
    assert job.next_attempt_at is not None
    assert job.next_attempt_at <= timezone.now() + timedelta(seconds=1)

    fake = FakeVarnish(port=port)
    try:
        with time_machine.travel(timezone.now() + timedelta(seconds=2)):
            tally = tasks.run(purges.QUEUE)
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
            purges.purge_after_commit(["site"])
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
            purges.purge_after_commit(["site"])
    job = CachePurge.objects.get()
    assert job.done_at is None
    assert "timed out" in job.last_error


def test_retries_wait_longer_each_time_up_to_a_minute():
    assert purges.QUEUE.backoff(1) == timedelta(seconds=1)
    assert purges.QUEUE.backoff(2) == timedelta(seconds=2)
    assert purges.QUEUE.backoff(50) == timedelta(minutes=1)


def test_a_purge_for_a_cache_no_longer_configured_is_dropped(db, settings):
    job = CachePurge.objects.create(target="http://127.0.0.1:9", keys=["site"])
    settings.HTTP_CACHE_PURGE_URLS = []
    assert tasks.run(purges.QUEUE).done == 1
    job.refresh_from_db()
    assert job.done_at is not None


def test_the_worker_does_the_purges():
    assert purges.QUEUE in tasks.queues()


def test_a_cache_address_that_is_not_http_is_refused():
    with pytest.raises(Exception, match="not an http"):
        purges.backend_for("varnish.example:6081")


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
        tasks.run(purges.QUEUE)
    repeat.refresh_from_db()
    assert repeat.done_at is not None
    assert len(fake_varnish.purged) == 2


# What each change purges: the keys of what it changed, and no other ---------------------------

OTHER = "another-cause"


@pytest.fixture
def other_campaign(db) -> Campaign:
    return Campaign.objects.create(slug=OTHER, title="Another cause", statement="We ask more.")


@pytest.fixture
def purged(settings, fake_varnish, django_capture_on_commit_callbacks):
    """Make a change with its commit callbacks run; the keys it purged, in order, once each."""
    settings.HTTP_CACHE_PURGE_URLS = [fake_varnish.url]

    def purged_by(change) -> list[str]:
        fake_varnish.purged.clear()
        with django_capture_on_commit_callbacks(execute=True):
            change()
        return list(dict.fromkeys(fake_varnish.keys))

    return purged_by


def _keys(response) -> set[str]:
    return set(response["xkey"].split())


def _proven(make_endorsement, name: str, domain: str) -> Endorsement:
    """A pending application whose approval needs nothing acknowledged: a domain of its own,
    proven by email (a confirmed address at it)."""
    endorsement = make_endorsement(
        name=name, website=f"https://{domain}", contact_email=f"contact@{domain}"
    )
    Endorsement.objects.filter(pk=endorsement.pk).update(
        confirmed_at=timezone.now(), domain_verified=True
    )
    endorsement.refresh_from_db()
    return endorsement


def test_an_approval_in_one_campaign_leaves_every_page_of_another_cached(
    client, make_endorsement, other_campaign, reviewer, purged
):
    make_endorsement(status=Status.APPROVED, name="Other Ally", campaign=other_campaign)
    make_endorsement(status=Status.APPROVED, name="First Ally")
    pending = _proven(make_endorsement, "Harbour Light Trust", "harbour-light.org")
    others = [
        f"/campaigns/{OTHER}/",
        f"/fr/campaigns/{OTHER}/",
        f"/embed/{OTHER}/",
        f"/campaigns/{OTHER}/embed/",
        f"/campaigns/{OTHER}/wall.svg",
        f"/campaigns/{OTHER}/map.svg",
        f"/campaigns/{OTHER}/feed/",
        f"/campaigns/{OTHER}/letter/",
        f"/api/v1/allies/?campaign={OTHER}",
        f"/api/v1/facets/?campaign={OTHER}",
        f"/api/v1/campaigns/{OTHER}/",
        "/embed.js",
    ]
    changed = [
        "/",
        "/campaigns/keep-detection/",
        "/embed/keep-detection/",
        "/campaigns/keep-detection/wall.svg",
        "/campaigns/keep-detection/feed/",
        "/api/v1/allies/",
        "/api/v1/allies/?campaign=keep-detection",
        "/api/v1/facets/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/keep-detection/",
    ]
    before = {path: client.get(path) for path in others + changed}
    assert all(response.status_code == 200 for response in before.values())

    keys = purged(
        lambda: services.endorsement_approve(
            endorsement=pending, by=reviewer, acknowledged=True, note="Checked by hand."
        )
    )

    # The app: another campaign's renderings are still current, not made again.
    for path in others:
        again = client.get(path)
        assert again["X-Cache"] == "hit", path
        assert again["ETag"] == before[path]["ETag"], path
    for path in changed:
        again = client.get(path)
        assert again["X-Cache"] == "miss", path
        assert again.content != before[path].content, path
    # Varnish: the keys of the approval's campaign, its ally and the list of campaigns; none that
    # another campaign's pages carry, and so not ``site``.
    assert keys == [
        cache_keys.campaign_key(pending.campaign),
        cache_keys.ally_key(pending),
        cache_keys.CAMPAIGNS_KEY,
    ]
    for path in others:
        assert not _keys(before[path]) & set(keys), path
    for path in changed:
        assert _keys(before[path]) & set(keys), path


def _rename_in_the_admin(client, sector: Sector) -> None:
    response = client.post(
        reverse("admin:coalition_sector_change", args=[sector.pk]),
        {
            "name_en": "Renamed sector",
            "slug": sector.slug,
            "transparency_register_category": sector.transparency_register_category,
            "order": 0,
        },
    )
    assert response.status_code == 302


def test_every_key_a_response_carries_is_purged_by_some_change(
    client, make_endorsement, sector, superuser, purged
):
    ally = make_endorsement(status=Status.APPROVED, name="Tidewater Youth Shelter")
    paths = [
        "/",
        "/campaigns/keep-detection/",
        "/embed/keep-detection/",
        "/campaigns/keep-detection/embed/",
        "/campaigns/keep-detection/wall.svg",
        "/campaigns/keep-detection/map.svg",
        "/campaigns/keep-detection/feed/",
        "/campaigns/keep-detection/letter/",
        "/campaigns/keep-detection/share.png",
        "/api/v1/allies/",
        f"/api/v1/allies/{ally.public_id}/",
        "/api/v1/facets/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/keep-detection/",
        "/embed.js",
    ]
    sent = {key: path for path in paths for key in _keys(client.get(path))}
    client.force_login(superuser)

    keys = {
        *purged(lambda: services.endorsement_withdraw(endorsement=ally)),
        *purged(lambda: _rename_in_the_admin(client, sector)),
    }

    assert {key: path for key, path in sent.items() if key not in keys} == {}


@pytest.mark.parametrize(
    "change",
    [
        lambda ally, reviewer: services.endorsement_withdraw(endorsement=ally),
        lambda ally, reviewer: services.endorsement_remove(endorsement=ally, by=reviewer),
    ],
    ids=["withdrawal", "removal"],
)
def test_an_ally_leaving_purges_its_campaign_itself_and_the_campaign_list(
    make_endorsement, reviewer, purged, change
):
    ally = make_endorsement(status=Status.APPROVED)

    keys = purged(lambda: change(ally, reviewer))

    assert keys == [*cache_keys.keys_for_ally(ally), cache_keys.CAMPAIGNS_KEY]


def _approved_in_both(make_endorsement, other_campaign) -> tuple[Endorsement, Endorsement]:
    first = make_endorsement(status=Status.APPROVED)
    second = Endorsement.objects.create(
        organization=first.organization,
        campaign=other_campaign,
        status=Status.APPROVED,
        approved_at=timezone.now(),
        contact_email=first.contact_email,
        consent_authority=True,
        consent_publish=True,
    )
    return first, second


def test_an_organization_edited_by_a_reviewer_purges_each_campaign_it_is_an_ally_of(
    make_endorsement, other_campaign, superuser, purged
):
    first, second = _approved_in_both(make_endorsement, other_campaign)
    organization = first.organization

    keys = purged(
        lambda: services.organization_edit_by_reviewer(
            organization=organization,
            by=superuser,
            name="Renamed Org",
            website=organization.website,
            country=organization.country,
            sector=organization.sector,
            registry_id=organization.registry_id,
            statements={},
        )
    )

    assert sorted(keys) == sorted(
        {
            *cache_keys.keys_for_ally(first),
            *cache_keys.keys_for_ally(second),
            cache_keys.CAMPAIGNS_KEY,
        }
    )


def test_an_organization_not_yet_approved_purges_nothing_when_edited(
    make_endorsement, superuser, purged
):
    organization = make_endorsement(status=Status.PENDING).organization

    keys = purged(
        lambda: services.organization_edit_by_reviewer(
            organization=organization,
            by=superuser,
            name="Renamed Org",
            website=organization.website,
            country=organization.country,
            sector=organization.sector,
            registry_id=organization.registry_id,
            statements={},
        )
    )

    assert keys == []


def test_approved_proposed_changes_purge_the_organizations_allies(
    make_endorsement, other_campaign, reviewer, purged
):
    first, second = _approved_in_both(make_endorsement, other_campaign)
    version = services.organization_update(
        endorsement=first, website="https://renamed.example.org", statement="Edited."
    )

    keys = purged(lambda: services.organization_version_approve(version=version, by=reviewer))

    assert set(keys) == {
        *cache_keys.keys_for_ally(first),
        *cache_keys.keys_for_ally(second),
        cache_keys.CAMPAIGNS_KEY,
    }


def test_a_new_proof_of_an_allys_domain_purges_that_ally(make_endorsement, purged):
    ally = make_endorsement(status=Status.APPROVED, contact_email="someone@mail.example")
    domain = ally.organization.domain
    job = DomainCheck.objects.create(
        endorsement=ally, domain=domain, reason="recheck", done_at=timezone.now()
    )
    found = checks.CheckResult("dns", [checks.Finding("dns", "found", {"name": domain})])

    keys = purged(
        lambda: proofs.domain_check_record(job=job, endorsement=ally, domain=domain, result=found)
    )

    assert keys == [*cache_keys.keys_for_ally(ally), cache_keys.CAMPAIGNS_KEY]


def test_a_campaign_edit_purges_that_campaign_and_the_campaign_list(
    campaign, other_campaign, purged
):
    other_campaign.title = "Another cause, renamed"

    keys = purged(lambda: services.campaign_save(campaign=other_campaign))

    assert keys == [cache_keys.campaign_key(other_campaign), cache_keys.CAMPAIGNS_KEY]


def test_a_new_slug_or_a_new_default_campaign_purges_the_site(campaign, other_campaign, purged):
    other_campaign.slug = "renamed-cause"
    renamed = purged(lambda: services.campaign_save(campaign=other_campaign))
    campaign.is_default = False
    no_default = purged(lambda: services.campaign_save(campaign=campaign))

    # Without a campaign marked default, the first by title is: "Another cause".
    assert cache_keys.SITE_KEY in renamed
    assert cache_keys.SITE_KEY in no_default


def test_a_sector_saved_or_a_campaign_deleted_in_the_admin_purges_the_site(
    client, superuser, sector, campaign, other_campaign, purged
):
    client.force_login(superuser)

    saved = purged(lambda: _rename_in_the_admin(client, sector))
    deleted = purged(
        lambda: client.post(
            reverse("admin:coalition_campaign_delete", args=[other_campaign.pk]), {"post": "yes"}
        )
    )

    assert Sector.objects.get(pk=sector.pk).name == "Renamed sector"
    assert not Campaign.objects.filter(pk=other_campaign.pk).exists()
    assert saved == deleted == [cache_keys.SITE_KEY]


def test_a_logo_deleted_by_retention_purges_its_files_and_nothing_else(
    client, make_endorsement, reviewer, reason, purged
):
    rejected = make_endorsement(status=Status.PENDING)
    logo = logos.logo_from_upload(io.BytesIO(image_bytes()))
    Organization.objects.filter(pk=rejected.organization_id).update(logo=logo)
    services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)
    sent = _keys(client.get(logo.png.url))

    with time_machine.travel(timezone.now() + timedelta(days=91)):
        keys = purged(services.retention_apply)

    assert keys == [cache_keys.logo_key(logo.digest)]
    assert sent == set(keys)


@pytest.mark.django_db
def test_a_change_moves_its_campaigns_version_past_the_sites_whatever_the_clock(campaign):
    # A first request of the campaign's page starts the site's version alone (a new cache).
    cache.clear()
    seen = freshness.public_version(freshness.campaign_scope(campaign.slug))
    # A change made on a server whose clock reads a minute earlier.
    with time_machine.travel(timezone.now() - timedelta(minutes=1), tick=False):
        freshness.public_version_bump(campaigns=[campaign])

    assert freshness.public_version(freshness.campaign_scope(campaign.slug)) > seen
