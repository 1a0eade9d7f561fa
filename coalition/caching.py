"""HTTP caching for everything public: ETags, 304s, CDN headers and stored renderings.

Every public rendering (wall, embed, image, feed, API payload) is stored in the cache under the
current ``selectors.public_version()``. A change bumps that version after commit, so the next
request renders afresh while no stale copy is ever served as current. The ETag and Last-Modified
come from the version too, so a conditional request is answered with a 304 from the cache alone.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.utils.cache import patch_vary_headers
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from coalition import selectors

logger = logging.getLogger(__name__)

# Headers worth keeping with a stored rendering; everything else is set per response.
_KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language")


@dataclass(frozen=True)
class CachePolicy:
    """How long browsers (max_age) and shared caches (s_maxage) may keep a response."""

    max_age: int = 60
    s_maxage: int = 300
    stale_while_revalidate: int = 600
    stale_if_error: int = 86400

    def header(self) -> str:
        return (
            f"public, max-age={self.max_age}, s-maxage={self.s_maxage}, "
            f"stale-while-revalidate={self.stale_while_revalidate}, "
            f"stale-if-error={self.stale_if_error}"
        )


DEFAULT_POLICY = CachePolicy()
STORE_SECONDS = 24 * 3600
# The last good rendering of each variant is kept this long, whatever the version, to serve
# while the database is unreachable.
LAST_GOOD_SECONDS = 7 * 24 * 3600
RETRY_AFTER_SECONDS = 30
STALE_HEADER = "X-Coalition-Stale"


def version_last_modified(version: int) -> int:
    """Seconds since the epoch at which ``version`` began (versions are millisecond stamps)."""
    return version // 1000


def _etag(namespace: str, variant: str, version: int) -> str:
    digest = hashlib.sha256(f"{namespace}\0{variant}".encode()).hexdigest()[:20]
    return f'"{namespace}-{version}-{digest}"'


def _not_modified(request: HttpRequest, etag: str, last_modified: int) -> bool:
    if_none_match = request.headers.get("If-None-Match")
    if if_none_match:
        # An ETag names exactly one rendering, so it decides alone when present (RFC 9110).
        return etag in parse_etags(if_none_match) or if_none_match.strip() == "*"
    since = parse_http_date_safe(request.headers.get("If-Modified-Since", ""))
    return since is not None and last_modified <= since


def _finish(
    response: HttpResponse, *, etag: str, last_modified: int, policy: CachePolicy, vary: tuple
) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    response["Cache-Control"] = policy.header()
    if vary:
        patch_vary_headers(response, vary)
    return response


def _from_stored(stored: tuple[bytes, dict[str, str]]) -> HttpResponse:
    content, headers = stored
    response = HttpResponse(content)
    for name, value in headers.items():
        response[name] = value
    return response


def service_unavailable(request: HttpRequest) -> HttpResponse:
    """The database is down and nothing was cached for this page: say so, and when to retry."""
    if request.path.startswith("/api/"):
        response = HttpResponse(
            b'{"detail": "The service is temporarily unavailable. Please retry shortly."}',
            content_type="application/json",
            status=503,
        )
    else:
        response = HttpResponse(render_to_string("503.html", request=request), status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


def cached_public_response(
    request: HttpRequest,
    *,
    namespace: str,
    variant: str,
    build: Callable[[], HttpResponse],
    policy: CachePolicy = DEFAULT_POLICY,
    vary: tuple[str, ...] = (),
) -> HttpResponse:
    """Answer from the cache (or with a 304) when possible; otherwise ``build()`` and store it.

    ``variant`` must name everything the rendering depends on besides the public data
    (path, validated filters, language, theme...). Only 200 responses are stored.

    When the database cannot be reached, the last good rendering of this variant is served
    with an ``X-Coalition-Stale`` header; with none, a 503 with ``Retry-After``.
    """
    version = selectors.public_version()
    etag = _etag(namespace, variant, version)
    last_modified = version_last_modified(version)
    finish = {"etag": etag, "last_modified": last_modified, "policy": policy, "vary": vary}

    if request.method in ("GET", "HEAD") and _not_modified(request, etag, last_modified):
        return _finish(HttpResponseNotModified(), **finish)

    key = f"public:{etag}"
    stored = _cache_get(key)
    if stored is not None:
        response = _from_stored(stored)
        response["X-Cache"] = "hit"
        return _finish(response, **finish)

    last_good_key = f"public-last-good:{_etag(namespace, variant, 0)}"
    try:
        response = build()
    except DatabaseError:
        logger.warning("Database unavailable while rendering %s", request.path, exc_info=True)
        stale = _cache_get(last_good_key)
        if stale is None:
            return service_unavailable(request)
        response = _from_stored(stale)
        response[STALE_HEADER] = "1"
        # Short-lived everywhere: the fresh version should replace it as soon as possible.
        response["Cache-Control"] = "public, max-age=5, s-maxage=5"
        response["Warning"] = '110 - "Response is Stale"'
        return response
    if response.status_code != 200 or response.streaming:
        return response
    headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    _cache_set(key, (response.content, headers), STORE_SECONDS)
    _cache_set(last_good_key, (response.content, headers), LAST_GOOD_SECONDS)
    response["X-Cache"] = "miss"
    return _finish(response, **finish)


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception:  # a cache outage makes pages slower, never broken
        logger.warning("Cache unavailable for %s", key, exc_info=True)
        return None


def _cache_set(key: str, value: object, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception:  # a cache outage makes pages slower, never broken
        logger.warning("Cache unavailable for %s", key, exc_info=True)
