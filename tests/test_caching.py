from __future__ import annotations

from django.db import OperationalError
from django.http import HttpResponse
from django.test import RequestFactory
from django.utils.http import http_date

from coalition import caching, services

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
    return caching.cached_public_response(request, namespace="t", variant=variant, build=build)


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
    assert response[caching.STALE_HEADER] == "1"


def test_with_the_database_down_and_nothing_cached_a_clear_503(db):
    build = Builder()
    build.database_down = True

    page = _get(build, variant="page")
    api = _get(build, path="/api/v1/allies/", variant="api")

    assert page.status_code == 503
    assert page["Retry-After"] == str(caching.RETRY_AFTER_SECONDS)
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
