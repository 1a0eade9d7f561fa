"""HTTP caching for everything public: ETags, 304s, CDN headers and stored renderings.

Every public rendering (wall, embed, image, feed, API payload) is stored in the cache under the
current ``selectors.public_version()``. A change bumps that version after commit, so the next
request renders afresh while no stale copy is ever served as current. The ETag and Last-Modified
come from the version too, so a conditional request is answered with a 304 from the cache alone.

``PublicCacheMiddleware`` answers a repeated request before sessions, CSRF, language, auth and
the view run at all: one cache round trip (the API's rate limit counted in it too) for a warm
page or a 304, the body mostly from the worker's memory.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from pathlib import PurePath
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db import DatabaseError
from django.http import HttpRequest, HttpResponse, HttpResponseNotModified
from django.template.loader import render_to_string
from django.utils.cache import cc_delim_re, patch_vary_headers
from django.utils.functional import Promise
from django.utils.http import http_date, parse_etags, parse_http_date_safe

from coalition import links, ratelimit, selectors

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


def _mark_stale(response: HttpResponse) -> HttpResponse:
    response[STALE_HEADER] = "1"
    # Short-lived everywhere: the fresh version should replace it as soon as possible.
    response["Cache-Control"] = "public, max-age=5, s-maxage=5"
    response["Warning"] = '110 - "Response is Stale"'
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
    rate_limits: tuple[ratelimit.RateLimit, ...] = (),
) -> HttpResponse:
    """Answer from the cache (or with a 304) when possible; otherwise ``build()`` and store it.

    ``variant`` must name everything the rendering depends on besides the public data
    (path, validated filters, language, theme...). Only 200 responses are stored.
    ``rate_limits`` are the limits the view counted this request against, so that
    ``PublicCacheMiddleware`` counts them too when it answers in the view's place.

    When the database cannot be reached, the last good rendering of this variant is served
    with an ``X-Coalition-Stale`` header; with none, a 503 with ``Retry-After``.
    """
    # Renderings carry absolute links (see coalition.links), which follow the site's address.
    variant = f"{variant}|{links.site_url()}"
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
        _mark_public(response, version, rate_limits)
        return _finish(response, **finish)

    last_good_key = f"public-last-good:{_etag(namespace, variant, 0)}"
    try:
        response = build()
    except DatabaseError as error:
        # One line per request: an outage must not flood the logs with tracebacks.
        logger.warning("Database unavailable while rendering %s: %s", request.path, error)
        stale = _cache_get(last_good_key)
        if stale is None:
            return service_unavailable(request)
        return _mark_stale(_from_stored(stale))
    if response.status_code != 200 or response.streaming:
        return response
    headers = {name: response[name] for name in _KEPT_HEADERS if response.has_header(name)}
    _cache_set(key, (response.content, headers), STORE_SECONDS)
    _cache_set(last_good_key, (response.content, headers), LAST_GOOD_SECONDS)
    response["X-Cache"] = "miss"
    _mark_public(response, version, rate_limits)
    return _finish(response, **finish)


def _cache_get(key: str):
    try:
        return cache.get(key)
    except Exception as error:  # noqa: BLE001 - a cache outage makes pages slower, never broken
        logger.warning("Cache unavailable for %s: %s", key, error)
        return None


def _cache_set(key: str, value: object, timeout: int) -> None:
    try:
        cache.set(key, value, timeout)
    except Exception as error:  # noqa: BLE001 - a cache outage makes pages slower, never broken
        logger.warning("Cache unavailable for %s: %s", key, error)


# The fast path ---------------------------------------------------------------------------------
#
# ``cached_public_response`` marks what it returns; ``PublicCacheMiddleware`` keeps the finished
# response (body and the headers the inner middleware added) under a key made of what the
# request can vary on, with the public version it was made under. A later request with the same
# key is answered while that version is still current, before the rest of the stack runs.

FAST_PREFIX = "public-fast:"
# Everything in a request that a public rendering may depend on, besides the path and query.
_FAST_KEY_HEADERS = ("HTTP_HOST", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_ACCEPT_ENCODING")
# What a stored response may vary on: the headers above and the language cookie.
_FAST_VARY = frozenset(("accept", "accept-language", "accept-encoding", "cookie"))
# A 304 carries no representation headers.
_NOT_MODIFIED_DROPS = frozenset(
    ("content-type", "content-length", "content-disposition", "content-encoding")
)
_fingerprint: str | None = None


def _mark_public(response: HttpResponse, version: int, rate_limits: tuple) -> None:
    response.public_cache_version = version
    response.public_cache_rate_limits = tuple(rate_limits)


def _plain(value: Any) -> Any:
    """``value`` as JSON-able data that is the same in every worker (no object addresses)."""
    if value is None or type(value) in (int, float, bool):
        return value
    if isinstance(value, str | Promise | PurePath):  # also lazy strings and str subclasses
        return str(value)
    if isinstance(value, timedelta):
        return value.total_seconds()
    if isinstance(value, dict):
        return {str(key): _plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, set | frozenset):
        return sorted(json.dumps(_plain(item), sort_keys=True) for item in value)
    return type(value).__qualname__


def settings_fingerprint() -> str:
    """A digest of the settings: a stored response replays headers that settings decide
    (CSP, frame ancestors, CORS…), so a deployment with other settings never reuses them."""
    global _fingerprint
    if _fingerprint is None:
        names = sorted(name for name in dir(settings) if name.isupper() and "SECRET" not in name)
        data = json.dumps({name: _plain(getattr(settings, name)) for name in names}, sort_keys=True)
        _fingerprint = hashlib.sha256(data.encode()).hexdigest()[:16]
    return _fingerprint


def _settings_changed(**kwargs: Any) -> None:
    global _fingerprint
    _fingerprint = None


setting_changed.connect(_settings_changed)


def _fast_key(request: HttpRequest) -> str | None:
    if request.method != "GET" or "HTTP_AUTHORIZATION" in request.META:
        return None
    parts = [
        settings_fingerprint(),
        request.path,
        request.META.get("QUERY_STRING", ""),
        *(request.META.get(name, "") for name in _FAST_KEY_HEADERS),
        # The only cookie a public rendering depends on (the language of unprefixed pages).
        request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME, ""),
    ]
    return FAST_PREFIX + hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _storable(request: HttpRequest, response: HttpResponse) -> bool:
    """Only what ``cached_public_response`` made, as it made it: nothing personal on the way."""
    if getattr(response, "public_cache_version", None) is None:
        return False
    if response.status_code != 200 or response.streaming or response.cookies:
        return False
    vary = {name.strip().lower() for name in cc_delim_re.split(response.get("Vary", "")) if name}
    if not vary <= _FAST_VARY:
        return False
    session = getattr(request, "session", None)
    # A rendering that looked at the session (a user, messages) is not everyone's.
    return not (session is not None and session.accessed)


class PublicCacheMiddleware:
    """Answers repeated GETs of public renderings from the cache, with a 304 when the client
    has them already. Goes right after WhiteNoise: sessions, CSRF, language, authentication
    and the view only run for a request the cache cannot answer. A cache outage lets every
    request through to the view.

    When a view fails because the database is unreachable, the last response kept for the
    same request is served, marked stale; with none, a 503 with ``Retry-After``, never a 500.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        key = _fast_key(request)
        if key is not None:
            answered = self._answer(request, key)
            if answered is not None:
                return answered
        response = self.get_response(request)
        if key is not None and _storable(request, response):
            _remember(key, response, replaces=getattr(request, "public_cache_last_good", None))
        return response

    def _answer(self, request: HttpRequest, key: str) -> HttpResponse | None:
        # The limits the last answers under this path's first segment counted (the API's), are
        # counted in the same round trip as the lookup; the view uses those counts if it runs.
        section = request.path.split("/", 2)[1]
        limits = _section_limits.get(section, ())
        try:
            version, entry, counted = _lookup(key, limits, request)
        except Exception as error:  # noqa: BLE001 - a cache outage makes pages slower, never broken
            logger.warning("Cache unavailable for %s: %s", request.path, error)
            return None
        request.META[ratelimit.COUNTED] = counted
        if entry is None or "stamp" not in entry:  # none, or one an older release kept
            return None
        if version is None or entry["version"] != version:
            request.public_cache_last_good = entry  # for process_exception
            return None
        if tuple(entry["rate_limits"]) != limits:
            _section_limits[section] = tuple(entry["rate_limits"])
        for limit in entry["rate_limits"]:
            if ratelimit.over_limit(
                request, scope=limit.scope, limit=limit.limit, window=limit.window
            ):
                return None  # the view answers, and explains, the 429
        headers = entry["headers"]
        etag = next((value for name, value in headers if name.lower() == "etag"), "")
        if etag and _not_modified(request, etag, version_last_modified(version)):
            response = HttpResponseNotModified()
            for name, value in headers:
                if name.lower() not in _NOT_MODIFIED_DROPS:
                    response[name] = value
            return response
        content = _content(entry)
        if content is None:
            return None
        response = _from_entry(entry, content)
        response["X-Cache"] = "hit"
        return response

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, DatabaseError):
            return None
        logger.warning("Database unavailable for %s: %s", request.path, exception)
        entry = getattr(request, "public_cache_last_good", None)
        content = None if entry is None else _content(entry)
        if content is None:
            return service_unavailable(request)
        return _mark_stale(_from_entry(entry, content))


_section_limits: dict[str, tuple[ratelimit.RateLimit, ...]] = {}


def _lookup(
    key: str, limits: tuple[ratelimit.RateLimit, ...], request: HttpRequest
) -> tuple[int | None, dict[str, Any] | None, dict[str, int]]:
    """The public version and the entry under ``key``, counting a hit on each of ``limits``:
    one round trip with Redis."""
    redis = ratelimit.redis_backend()
    if redis is None or not limits:
        found = cache.get_many([selectors.PUBLIC_VERSION_KEY, key])
        return found.get(selectors.PUBLIC_VERSION_KEY), found.get(key), {}
    version_key = redis.make_and_validate_key(selectors.PUBLIC_VERSION_KEY)
    entry_key = redis.make_and_validate_key(key)
    pipeline = redis._cache.get_client(entry_key, write=True).pipeline(transaction=False)
    pipeline.mget([version_key, entry_key])
    for limit in limits:
        ratelimit.count_in(pipeline, redis, ratelimit.key_for(request, limit.scope), limit.window)
    found, *counts = pipeline.execute()
    version, entry = (
        None if value is None else redis._cache._serializer.loads(value) for value in found
    )
    hits = {limit.scope: int(count) for limit, count in zip(limits, counts[1::2], strict=True)}
    return version, entry, hits


# The bodies are kept apart from the small entry that names them, each under a stamp of its own:
# a request reads the entry (with the version, in one round trip) and finds the body in the
# worker's memory most of the time, instead of moving it out of Redis again. A stamp always names
# the same bytes, so a body kept in memory is never out of date: whether it is still the one to
# serve is decided by the entry, read from the cache every time.
LOCAL_BODIES_BYTES = 16 * 1024 * 1024  # per worker
_local_bodies: OrderedDict[str, bytes] = OrderedDict()
_local_bytes = 0
_local_lock = threading.Lock()


def _remember_locally(stamp: str, content: bytes) -> None:
    global _local_bytes
    if len(content) > LOCAL_BODIES_BYTES // 8:
        return
    with _local_lock:
        if stamp in _local_bodies:
            return
        _local_bodies[stamp] = content
        _local_bytes += len(content)
        while _local_bytes > LOCAL_BODIES_BYTES:
            _stamp, dropped = _local_bodies.popitem(last=False)
            _local_bytes -= len(dropped)


def _content(entry: dict[str, Any]) -> bytes | None:
    stamp = entry["stamp"]
    with _local_lock:
        content = _local_bodies.get(stamp)
        if content is not None:
            _local_bodies.move_to_end(stamp)
            return content
    content = _cache_get(f"{FAST_PREFIX}body:{stamp}")
    if content is not None:
        _remember_locally(stamp, content)
    return content


def _remember(key: str, response: HttpResponse, replaces: dict[str, Any] | None) -> None:
    stamp = uuid.uuid4().hex
    entry = {
        "version": response.public_cache_version,
        "stamp": stamp,
        "headers": [(name, value) for name, value in response.items() if name.lower() != "x-cache"],
        "rate_limits": response.public_cache_rate_limits,
    }
    try:
        cache.set_many({key: entry, f"{FAST_PREFIX}body:{stamp}": response.content}, STORE_SECONDS)
    except Exception as error:  # noqa: BLE001 - a cache outage makes pages slower, never broken
        logger.warning("Cache unavailable for %s: %s", key, error)
        return
    _remember_locally(stamp, response.content)
    if replaces is not None:
        # The body this one replaces was only kept to serve while the database is down.
        with contextlib.suppress(Exception):
            cache.delete(f"{FAST_PREFIX}body:{replaces['stamp']}")


def _from_entry(entry: dict[str, Any], content: bytes) -> HttpResponse:
    response = HttpResponse(content)
    for name, value in entry["headers"]:
        response[name] = value
    return response
