"""HTTP caching for everything public: one layer for ETags, 304s, CDN headers and renderings.

Every public rendering (wall, embed, image, feed, API payload) goes through
``cached_public_response``. It names the rendering after the current
``freshness.public_version`` of its scope (its campaign, the site, or everything), which a
change of what it shows moves on after commit, so a conditional request is answered with a 304
from the version alone and a repeated one with the stored bytes, while no rendering made before
a change is ever served as current (``coalition.publishing.freshness`` tells the whole path).

One cache entry per rendering (namespace and variant) holds the latest bytes and the version
they were made under: current, it is served; out of date, it is rendered again and replaced.
Beside that, two failures are covered here: while the database is unreachable, the entry is the
last good rendering, served marked stale (``X-Coalition-Stale``), or a 503 with ``Retry-After``
when there is none; and a rendering that a change overtook while it was being made (it may show
the data from before, after the purge went out) is served but kept by no shared cache.
"""

from __future__ import annotations

import hashlib
import logging
import math
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.core.cache import cache
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import http_date

from coalition.publishing import cache_keys, freshness
from coalition.web import links

logger = logging.getLogger(__name__)

# Headers that belong to the rendering itself (the cache keys of what it shows too); everything
# else is set on each response.
KEPT_HEADERS = ("Content-Type", "Content-Disposition", "Content-Language", *cache_keys.HEADERS)


@dataclass(frozen=True)
class CachePolicy:
    """How long browsers (max_age) and shared caches (s_maxage) may keep a response."""

    max_age: int = 60
    s_maxage: int = 300
    stale_while_revalidate: int = 600
    stale_if_error: int = 86400

    def until(self, moment: int | None) -> CachePolicy:
        """This policy, but expiring by ``moment`` (milliseconds since the epoch) at the latest,
        with nothing served stale past it while revalidating; itself when ``moment`` is None
        or further than it keeps anything anyway."""
        if moment is None:
            return self
        # Rounded down: a copy expires at the moment or just before, never after it.
        seconds = max(0, math.floor((moment - time.time() * 1000) / 1000))
        if seconds >= max(self.max_age, self.s_maxage):
            return self
        return replace(
            self,
            max_age=min(self.max_age, seconds),
            s_maxage=min(self.s_maxage, seconds),
            stale_while_revalidate=0,
        )

    def header(self) -> str:
        return (
            f"public, max-age={self.max_age}, s-maxage={self.s_maxage}, "
            f"stale-while-revalidate={self.stale_while_revalidate}, "
            f"stale-if-error={self.stale_if_error}"
        )


DEFAULT_POLICY = CachePolicy()
# How long a rendering is kept: it is replaced as soon as a request finds it out of date, and
# until then it is what is served while the database is unreachable.
STORE_SECONDS = 7 * 24 * 3600
RETRY_AFTER_SECONDS = 30
STALE_HEADER = "X-Coalition-Stale"
# What a database that cannot be reached raises (refused, gone, locked, timed out). Any other
# DatabaseError is a bug and stays a 500 with its traceback.
UNREACHABLE = (OperationalError, InterfaceError)


def version_last_modified(version: int) -> int:
    """Seconds since the epoch at which ``version`` began (versions are millisecond stamps)."""
    return version // 1000


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


class DatabaseUnavailableMiddleware:
    """Any view that cannot reach the database answers ``service_unavailable``, never a 500.
    (The public renderings are served stale by ``cached_public_response`` instead.)"""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, UNREACHABLE):
            return None
        # One line per request: an outage must not flood the logs with tracebacks.
        logger.warning("Database unavailable for %s: %s", request.path, exception)
        return service_unavailable(request)


@dataclass(frozen=True)
class Rendering:
    """What is stored of a response: its bytes, its own headers, and the version it shows."""

    version: int
    content: bytes
    headers: dict[str, str]

    @classmethod
    def of(cls, response: HttpResponse, version: int) -> Rendering:
        headers = {name: response[name] for name in KEPT_HEADERS if response.has_header(name)}
        return cls(version=version, content=response.content, headers=headers)

    def response(self) -> HttpResponse:
        response = HttpResponse(self.content)
        for name, value in self.headers.items():
            response[name] = value
        return response


def cached_public_response(
    request: HttpRequest,
    *,
    namespace: str,
    variant: str,
    build: Callable[[], HttpResponse],
    policy: CachePolicy = DEFAULT_POLICY,
    vary: tuple[str, ...] = (),
    keys: Iterable[str] = (),
    scope: str = freshness.EVERYTHING,
) -> HttpResponse:
    """A 304 when the client has the current rendering, the stored one when there is one,
    otherwise ``build()``, stored; each with ``Cache-Control``, ``ETag``, ``Last-Modified`` and
    ``Vary``, and a 200 with its cache keys (``coalition.publishing.cache_keys``): ``site``,
    ``keys`` (those known before rendering) and any that ``build`` named on its response (its
    campaign, the allies it shows).

    ``scope`` is the public data the rendering follows (``freshness.public_version``): a
    ``freshness.campaign_scope`` for one about a single campaign, so that another campaign's
    change leaves it stored; ``freshness.EVERYTHING`` (the default) for one about several.

    ``variant`` must name everything the rendering depends on besides the public data (path,
    validated parameters, language, theme...), and must be known without the database: every
    database read belongs in ``build``, so that a warm request and a 304 make no query and a
    database outage is answered from here. Only 200 responses are stored.

    When ``build`` fails because the database cannot be reached, the last good rendering of
    this variant is served with an ``X-Coalition-Stale`` header; with none, a 503 with
    ``Retry-After``.
    """
    # Renderings carry absolute links (see coalition.web.links), which follow the site's address.
    variant = f"{variant}|{links.site_url()}"
    version, next_moment = freshness.public_state(scope)
    # Kept by no cache past the next moment at which public pages change by themselves (a
    # campaign's launch, a deadline: ``freshness``), so that none outlives it.
    policy = policy.until(next_moment)
    digest = hashlib.sha256(f"{namespace}\0{variant}".encode()).hexdigest()[:20]
    etag = f'"{namespace}-{version}-{digest}"'
    last_modified = version_last_modified(version)

    def finish(response: HttpResponse) -> HttpResponse:
        response["ETag"] = etag
        response["Last-Modified"] = http_date(last_modified)
        response["Cache-Control"] = policy.header()
        if vary:
            patch_vary_headers(response, vary)
        return response

    conditional = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if conditional is not None:
        # A 304, or a 412 for an If-Match naming another rendering. A 304 names no keys: a
        # shared cache keeps those of the response it revalidates (RFC 9111, 4.3.4).
        return finish(conditional) if conditional.status_code == 304 else conditional

    key = f"public:{namespace}:{digest}"
    stored = _read(key)
    if stored is not None and stored.version == version:
        response = stored.response()
        response["X-Cache"] = "hit"
        return finish(_tagged(response, keys))

    try:
        response = build()
    except UNREACHABLE as error:
        # One line per request: an outage must not flood the logs with tracebacks.
        logger.warning("Database unavailable while rendering %s: %s", request.path, error)
        if stored is None:
            return service_unavailable(request)
        return _stale(_tagged(stored.response(), keys))
    if response.status_code != 200 or response.streaming:
        return response
    _tagged(response, keys)
    if _moved_on_since(version, scope):
        # A change committed while this was being made: it may show the data from before, and
        # the purge that change sent may already have reached the caches in front, which
        # would then keep this as current. Serve it, but let no shared cache keep it.
        response["X-Cache"] = "miss"
        finish(response)
        response["Cache-Control"] = "public, max-age=0, s-maxage=0"
        return response
    _write(key, Rendering.of(response, version))
    response["X-Cache"] = "miss"
    return finish(response)


def _moved_on_since(version: int, scope: str) -> bool:
    """Whether the public version of ``scope`` is known to have moved on from ``version``
    (unknown, as while the cache is down, counts as not: then every request would look late)."""
    now = freshness.public_version_known(scope)
    return now is not None and now != version


def _tagged(response: HttpResponse, keys: Iterable[str]) -> HttpResponse:
    # Every public rendering follows the public data, hence ``site``; ``xkey`` holds the keys
    # the rendering named itself, space-separated.
    own = response.get("xkey", "").split()
    return cache_keys.tag_response(response, [cache_keys.SITE_KEY, *keys, *own])


def _stale(response: HttpResponse) -> HttpResponse:
    response[STALE_HEADER] = "1"
    # Short-lived everywhere: the current rendering should replace it as soon as possible.
    response["Cache-Control"] = "public, max-age=5, s-maxage=5"
    return response


# A cache outage makes pages slower, never broken: the cache backend raises when Redis is down.


def _read(key: str) -> Rendering | None:
    try:
        stored: Any = cache.get(key)
    except Exception as error:  # noqa: BLE001 - see above
        logger.warning("Cache unavailable for %s: %s", key, error)
        return None
    # Anything else under the key was left by an older release: render afresh.
    return stored if isinstance(stored, Rendering) else None


def _write(key: str, rendering: Rendering) -> None:
    try:
        cache.set(key, rendering, STORE_SECONDS)
    except Exception as error:  # noqa: BLE001 - see above
        logger.warning("Cache unavailable for %s: %s", key, error)
