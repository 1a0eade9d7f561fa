from __future__ import annotations

import io
import runpy
import socket
import threading
from collections.abc import Iterator
from pathlib import Path
from unittest import mock

import pytest
from django.db import OperationalError, ProgrammingError
from django.http import HttpResponse
from django.test import Client, RequestFactory, override_settings
from django.utils import timezone
from django.utils.http import http_date

from coalition import services
from coalition.images import logos
from coalition.models import Campaign, Endorsement
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import selectors
from coalition.web import ratelimit
from tests.conftest import image_bytes

factory = RequestFactory()


class Builder:
    """Counts renderings; fails like a dead database when told to."""

    def __init__(self, body: bytes = b"<p>wall</p>") -> None:
        self.body = body
        self.calls = 0
        self.database_down = False

    def __call__(self) -> HttpResponse:
        self.calls += 1
        if self.database_down:
            raise OperationalError("connection refused")
        return HttpResponse(self.body, content_type="text/html; charset=utf-8")


def _get(build, path="/", variant="v", **headers):
    request = factory.get(path, **headers)
    return renderings.cached_public_response(request, namespace="t", variant=variant, build=build)


def test_a_second_request_is_served_from_the_cache_without_rendering(db):
    build = Builder()

    first = _get(build)
    second = _get(build)

    assert build.calls == 1
    assert first["X-Cache"] == "miss"
    assert second["X-Cache"] == "hit"
    assert second.content == b"<p>wall</p>"
    assert second["Content-Type"] == "text/html; charset=utf-8"
    assert first["ETag"] == second["ETag"]
    assert "s-maxage=" in second["Cache-Control"]
    assert "stale-while-revalidate=" in second["Cache-Control"]
    assert "stale-if-error=" in second["Cache-Control"]


def test_revalidation_gets_a_304_without_rendering(db, django_assert_num_queries):
    build = Builder()
    first = _get(build)

    with django_assert_num_queries(0):
        by_etag = _get(build, HTTP_IF_NONE_MATCH=first["ETag"])
        by_date = _get(build, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert by_etag.status_code == 304
    assert by_date.status_code == 304
    assert build.calls == 1


def test_a_change_makes_the_next_request_render_afresh(db):
    build = Builder()
    first = _get(build)

    services.public_version_bump()
    after = _get(build, HTTP_IF_NONE_MATCH=first["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != first["ETag"]
    assert build.calls == 2


def test_a_rendering_overtaken_by_a_change_is_served_but_kept_by_no_shared_cache(db):
    build = Builder()

    def overtaken() -> HttpResponse:
        # The change commits (and purges the caches in front) while the page is being made.
        response = build()
        services.public_version_bump()
        return response

    late = _get(overtaken)
    again = _get(build)

    assert late.status_code == 200
    assert late["Cache-Control"] == "public, max-age=0, s-maxage=0"
    assert again["X-Cache"] == "miss"  # not stored either: made afresh under the new version
    assert "s-maxage=300" in again["Cache-Control"]
    assert build.calls == 2
    assert _get(build)["X-Cache"] == "hit"


def test_an_old_if_modified_since_gets_the_page(db):
    response = _get(Builder(), HTTP_IF_MODIFIED_SINCE=http_date(0))

    assert response.status_code == 200


def test_variants_are_cached_apart(db):
    build = Builder()

    _get(build, variant="country=DE")
    _get(build, variant="country=FR")

    assert build.calls == 2


def test_with_the_database_down_the_last_good_version_is_served_and_marked_stale(db):
    build = Builder()
    _get(build)
    services.public_version_bump()
    build.database_down = True

    response = _get(build)

    assert response.status_code == 200
    assert response.content == b"<p>wall</p>"
    assert response[renderings.STALE_HEADER] == "1"


def test_with_the_database_down_and_nothing_cached_a_clear_503(db):
    build = Builder()
    build.database_down = True

    page = _get(build, variant="page")
    api = _get(build, path="/api/v1/allies/", variant="api")

    assert page.status_code == 503
    assert page["Retry-After"] == str(renderings.RETRY_AFTER_SECONDS)
    assert b"Back in a moment" in page.content
    assert api.status_code == 503
    assert api["Content-Type"] == "application/json"
    assert b"retry" in api.content


def test_errors_are_never_cached(db):
    calls = []

    def not_found():
        calls.append(1)
        return HttpResponse(status=404)

    _get(not_found)
    _get(not_found)

    assert len(calls) == 2


def test_a_weak_validator_of_the_same_rendering_gets_a_304(db):
    build = Builder()
    first = _get(build)

    response = _get(build, HTTP_IF_NONE_MATCH=f"W/{first['ETag']}")

    assert response.status_code == 304
    assert build.calls == 1


def test_with_the_database_down_the_latest_rendering_is_the_one_served(db):
    build = Builder(b"<p>before</p>")
    _get(build)
    services.public_version_bump()
    build.body = b"<p>after</p>"
    _get(build)
    services.public_version_bump()
    build.database_down = True

    response = _get(build)

    assert response.content == b"<p>after</p>"
    assert response[renderings.STALE_HEADER] == "1"


def test_a_public_response_names_its_cache_keys_and_a_304_none(db):
    def build() -> HttpResponse:
        return cache_keys.tag_response(HttpResponse(b"<p>wall</p>"), ["ally-abc"])

    def get(**headers):
        request = factory.get("/", **headers)
        return renderings.cached_public_response(
            request, namespace="t", variant="v", build=build, keys=["campaign-1"]
        )

    miss = get()
    hit = get()
    not_modified = get(HTTP_IF_NONE_MATCH=miss["ETag"])

    for response in (miss, hit):
        assert response["xkey"] == "site campaign-1 ally-abc"
        assert response["Surrogate-Key"] == "site campaign-1 ally-abc"
        assert response["Cache-Tag"] == "site,campaign-1,ally-abc"
    # A shared cache keeps the keys of the response it revalidates.
    assert not_modified.status_code == 304
    assert "xkey" not in not_modified


def test_a_cookie_set_while_rendering_is_never_handed_to_the_next_client(db):
    def build() -> HttpResponse:
        response = HttpResponse(b"<p>wall</p>")
        response.set_cookie("sessionid", "abc")
        return response

    _get(build)
    hit = _get(build)

    assert hit["X-Cache"] == "hit"
    assert not hit.cookies


@pytest.fixture
def hung_redis() -> Iterator[str]:
    """The address of a server that takes connections and never answers, as a hung Redis."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen(16)
        yield f"redis://127.0.0.1:{server.getsockname()[1]}/0"


def test_a_redis_that_never_answers_is_given_up_on_after_redis_timeout(hung_redis, monkeypatch):
    monkeypatch.setenv("REDIS_URL", hung_redis)
    monkeypatch.setenv("REDIS_TIMEOUT", "0.2")
    production = runpy.run_path(str(Path(renderings.__file__).parent.parent / "settings.py"))
    answers = []

    def visit() -> None:
        page = _get(Builder())
        throttled = ratelimit.over_limit(factory.get("/"), scope="test", limit=0, window=60)
        answers.append((page.status_code, page["X-Cache"], throttled))

    with override_settings(CACHES=production["CACHES"]):
        visitor = threading.Thread(target=visit, daemon=True)
        visitor.start()
        visitor.join(timeout=30)  # a guard against hanging the suite, not a measure

    # Rendered without the cache, and let through by the rate limit it cannot count.
    assert answers == [(200, "miss", False)]


# Through the whole stack: sessions, CSRF, language, authentication and the view run, and a
# repeated request is answered from the cache without rendering.


@pytest.fixture
def wall(make_endorsement, campaign):
    ally = make_endorsement(status=Endorsement.Status.APPROVED, name="Tidewater Youth Shelter")
    Endorsement.objects.filter(pk=ally.pk).update(approved_at=timezone.now())
    return campaign


def test_a_repeated_public_request_is_answered_without_rendering_or_the_database(
    client, wall, django_assert_num_queries
):
    paths = ["/", f"/embed/{wall.slug}/", f"/campaigns/{wall.slug}/wall.svg", "/api/v1/allies/"]
    first = {path: client.get(path) for path in paths}

    with django_assert_num_queries(0):
        again = {path: client.get(path) for path in paths}
        revalidated = {
            path: client.get(path, HTTP_IF_NONE_MATCH=first[path]["ETag"]) for path in paths
        }

    for path in paths:
        assert again[path].status_code == 200, path
        assert again[path]["X-Cache"] == "hit", path
        assert again[path].content == first[path].content, path
        assert again[path]["ETag"] == first[path]["ETag"], path
        assert again[path]["Content-Security-Policy"] == first[path]["Content-Security-Policy"]
        assert revalidated[path].status_code == 304, path
        assert revalidated[path]["ETag"] == first[path]["ETag"], path


def test_an_approval_shows_on_the_very_next_request(
    client, wall, make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    pending = make_endorsement(name="Harbour Light Trust")
    for path in ["/", "/api/v1/allies/"]:
        client.get(path)
        assert b"Harbour Light Trust" not in client.get(path).content

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=pending, by=reviewer, acknowledged=True, note="Checked by hand."
        )

    for path in ["/", "/api/v1/allies/"]:
        response = client.get(path)
        assert response["X-Cache"] == "miss", path
        assert b"Harbour Light Trust" in response.content, path


def test_languages_and_formats_are_kept_apart(client, wall):
    for _attempt in range(2):
        french = client.get(f"/embed/{wall.slug}/", HTTP_ACCEPT_LANGUAGE="fr")
        german = client.get(f"/embed/{wall.slug}/", HTTP_ACCEPT_LANGUAGE="de")
        json_page = client.get("/api/v1/allies/")
        csv_page = client.get("/api/v1/allies/", HTTP_ACCEPT="text/csv")

    assert french["X-Cache"] == german["X-Cache"] == "hit"
    assert french["Content-Language"] == "fr"
    assert german["Content-Language"] == "de"
    assert json_page["Content-Type"].startswith("application/json")
    assert csv_page["Content-Type"].startswith("text/csv")


def test_the_api_rate_limit_counts_requests_answered_from_the_cache(client, wall, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"},
    }

    statuses = [client.get("/api/v1/allies/").status_code for _ in range(4)]

    assert statuses == [200, 200, 200, 429]


def test_with_the_database_down_the_last_response_is_served_stale_or_a_503(client, wall):
    assert client.get("/").status_code == 200
    services.public_version_bump()  # a change, which nothing can render now

    with mock.patch.object(
        selectors, "campaign_default", side_effect=OperationalError("connection refused")
    ):
        seen = client.get("/")
        unseen = client.get("/?country=FR")

    assert seen.status_code == 200
    assert seen[renderings.STALE_HEADER] == "1"
    assert b"Tidewater Youth Shelter" in seen.content
    assert unseen.status_code == 503
    assert unseen["Retry-After"] == str(renderings.RETRY_AFTER_SECONDS)


def test_a_page_that_cannot_reach_the_database_is_a_503_never_a_500(client, wall):
    with mock.patch.object(
        selectors, "campaign_get", side_effect=OperationalError("connection refused")
    ):
        response = client.get("/apply/")

    assert response.status_code == 503
    assert response["Retry-After"] == str(renderings.RETRY_AFTER_SECONDS)
    assert b"Back in a moment" in response.content


def test_a_bug_in_a_query_is_a_500_with_its_traceback_not_an_outage_page(wall):
    # A ProgrammingError (a locking read outside a transaction, say) is ours to fix: it must
    # reach the error log as one, not pass for "the database is down".
    client = Client(raise_request_exception=False)
    with mock.patch.object(
        selectors, "campaign_get", side_effect=ProgrammingError("select_for_update outside")
    ):
        page = client.get("/apply/")
    services.public_version_bump()
    with mock.patch.object(
        selectors, "campaign_default", side_effect=ProgrammingError("column does not exist")
    ):
        wall_page = client.get("/")

    assert page.status_code == 500
    assert b"Back in a moment" not in page.content
    assert wall_page.status_code == 500
    assert renderings.STALE_HEADER not in wall_page


def test_changed_settings_are_never_answered_with_headers_kept_before(client, wall, settings):
    before = client.get(f"/embed/{wall.slug}/")
    settings.EMBED_FRAME_ANCESTORS = ["https://partner.example"]

    after = client.get(f"/embed/{wall.slug}/")

    assert "https://partner.example" not in before["Content-Security-Policy"]
    assert "https://partner.example" in after["Content-Security-Policy"]


# Every public page names its rendering from the request alone and reads the database only to
# render it: a warm request makes no query, and with the database down the last good rendering
# is what is served.

WARM_PAGES = [
    "/",
    "/fr/",
    "/campaigns/keep-detection/?country=DE&order=newest",
    "/embed/keep-detection/",
    "/embed/keep-detection/?theme=dark&lang=de",
    "/campaigns/keep-detection/embed/",
    "/campaigns/keep-detection/wall.svg",
    "/campaigns/keep-detection/wall.png",
    "/campaigns/keep-detection/feed/",
]


@pytest.mark.parametrize("path", WARM_PAGES)
def test_a_warm_page_makes_no_query(client, wall, django_assert_num_queries, path):
    first = client.get(path)

    with django_assert_num_queries(0):
        again = client.get(path)

    assert first.status_code == again.status_code == 200
    assert again["X-Cache"] == "hit"
    assert again.content == first.content


@pytest.mark.parametrize("path", WARM_PAGES)
def test_with_the_database_down_every_page_seen_is_served_stale(client, wall, path):
    before = client.get(path)
    services.public_version_bump()
    down = OperationalError("connection refused")

    with (
        mock.patch.object(selectors, "campaign_get", side_effect=down),
        mock.patch.object(selectors, "sectors_all", side_effect=down),
    ):
        response = client.get(path)

    assert response.status_code == 200
    assert response[renderings.STALE_HEADER] == "1"
    assert response.content == before.content


def test_a_campaign_or_a_sector_that_names_nothing_is_refused_and_never_stored(client, wall):
    for _attempt in range(2):
        no_campaign = client.get("/embed/no-such-campaign/")
        no_sector = client.get("/?sector=no-such-sector")
        no_sector_image = client.get("/campaigns/keep-detection/wall.svg?sector=no-such-sector")

    assert no_campaign.status_code == 404
    assert no_sector.status_code == 400
    assert "“no-such-sector” is not a sector we know" in no_sector.content.decode()
    assert no_sector_image.status_code == 400
    for response in (no_campaign, no_sector, no_sector_image):
        assert "X-Cache" not in response


def test_a_malformed_parameter_and_an_unknown_sector_are_named_at_once(client, wall):
    response = client.get("/?country=XX&sector=no-such-sector")

    body = response.content.decode()
    assert response.status_code == 400
    assert "“XX” is not a country we know" in body
    assert "“no-such-sector” is not a sector we know" in body


def _keys(response) -> list[str]:
    return response["xkey"].split()


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/embed/keep-detection/",
        "/campaigns/keep-detection/wall.svg",
        "/campaigns/keep-detection/feed/",
    ],
)
def test_a_page_names_its_campaign_and_the_allies_it_shows(client, wall, path):
    [ally] = Endorsement.objects.filter(status=Endorsement.Status.APPROVED)
    expected = ["site", f"campaign-{wall.pk}", f"ally-{ally.public_id}"]

    miss = client.get(path)
    hit = client.get(path)

    assert _keys(miss) == _keys(hit) == expected
    assert hit["Surrogate-Key"] == " ".join(expected)


def test_the_embed_builder_names_its_campaign(client, wall):
    response = client.get(f"/campaigns/{wall.slug}/embed/")

    assert _keys(response) == ["site", f"campaign-{wall.pk}"]


def test_a_logo_file_names_its_own_key_and_not_the_site(client, db):
    logo = logos.logo_from_upload(io.BytesIO(image_bytes()))

    response = client.get(logo.png.url)

    assert response.status_code == 200
    assert _keys(response) == [cache_keys.logo_key(logo.digest)]


def test_the_embed_says_it_follows_the_language_cookie(client, wall):
    response = client.get(f"/embed/{wall.slug}/")
    again = client.get(f"/embed/{wall.slug}/")

    for answer in (response, again):
        vary = {name.strip().lower() for name in answer["Vary"].split(",")}
        assert {"accept-language", "cookie"} <= vary


# Each rendering follows the public version of what it shows: one campaign's change leaves
# another's renderings stored, while those about every campaign, or the default one, follow it.


@pytest.fixture
def other_campaign(wall) -> Campaign:
    return Campaign.objects.create(slug="another-cause", title="Another cause", statement="More.")


def test_a_change_in_another_campaign_renews_the_campaign_list_but_not_the_default_wall(
    client, wall, other_campaign, make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    # A domain of its own, proven by email: an approval with nothing to acknowledge.
    pending = make_endorsement(
        name="Harbour Light Trust",
        campaign=other_campaign,
        website="https://harbour-light.org",
        contact_email="contact@harbour-light.org",
    )
    Endorsement.objects.filter(pk=pending.pk).update(
        confirmed_at=timezone.now(), domain_verified=True
    )
    pending.refresh_from_db()
    kept = ["/", "/api/v1/allies/", "/api/v1/facets/", f"/api/v1/campaigns/{wall.slug}/"]
    renewed = ["/api/v1/campaigns/", f"/campaigns/{other_campaign.slug}/"]
    before = {path: client.get(path) for path in kept + renewed}

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(endorsement=pending, by=reviewer)

    for path in kept:
        assert client.get(path)["X-Cache"] == "hit", path
    for path in renewed:
        again = client.get(path)
        assert again["X-Cache"] == "miss", path
        assert again.content != before[path].content, path


def test_a_new_default_campaign_renews_the_pages_that_name_no_campaign(
    client, wall, other_campaign, django_capture_on_commit_callbacks
):
    assert b"Keep detection legal" in client.get("/").content
    client.get("/api/v1/allies/")

    with django_capture_on_commit_callbacks(execute=True):
        wall.is_default = False
        services.campaign_save(campaign=wall)
        other_campaign.is_default = True
        services.campaign_save(campaign=other_campaign)

    page = client.get("/")
    api = client.get("/api/v1/allies/")
    assert (page["X-Cache"], api["X-Cache"]) == ("miss", "miss")
    assert b"Another cause" in page.content
    assert b"Tidewater Youth Shelter" not in api.content


def test_a_campaigns_old_address_is_not_served_from_the_cache_once_its_slug_changed(
    client, wall, other_campaign, django_capture_on_commit_callbacks
):
    old = f"/campaigns/{other_campaign.slug}/"
    assert client.get(old).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        other_campaign.slug = "renamed-cause"
        services.campaign_save(campaign=other_campaign)

    assert client.get(old).status_code == 404
    assert client.get("/campaigns/renamed-cause/").status_code == 200


def test_a_site_wide_change_renews_every_campaigns_renderings(
    client, wall, other_campaign, django_capture_on_commit_callbacks
):
    paths = ["/", f"/campaigns/{other_campaign.slug}/", "/embed.js", "/api/v1/campaigns/"]
    for path in paths:
        client.get(path)

    with django_capture_on_commit_callbacks(execute=True):
        freshness.public_change(site_wide=True)

    for path in paths:
        assert client.get(path)["X-Cache"] == "miss", path
