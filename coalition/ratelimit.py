"""Per-client rate limits counted in the cache, so they hold across workers with Redis."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest
from django.utils.translation import ngettext

logger = logging.getLogger(__name__)


class RateLimit(NamedTuple):
    """``limit`` hits per ``window`` seconds for each client, counted under ``scope``."""

    scope: str
    limit: int
    window: int


def client_ip(request: HttpRequest) -> str:
    if settings.BEHIND_HTTPS_PROXY:
        # The proxy appends the address it saw; anything before it is the client's to forge.
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "")
        if forwarded:
            return forwarded.split(",")[-1].strip()
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def refusal_message(window: int) -> str:
    """What a person is told when a form is refused for too many submissions."""
    minutes = max(1, window // 60)
    return ngettext(
        "We received many submissions from your network in a short time. Nothing was saved; "
        "please send the form again in a minute.",
        "We received many submissions from your network in a short time. Nothing was saved; "
        "please send the form again in %(minutes)d minutes.",
        minutes,
    ) % {"minutes": minutes}


# Hits ``coalition.caching.PublicCacheMiddleware`` already counted for a request, by scope.
COUNTED = "coalition.ratelimit.counted"


def key_for(request: HttpRequest, scope: str) -> str:
    client = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{client}"


def redis_backend() -> RedisCache | None:
    backend = caches["default"]
    return backend if isinstance(backend, RedisCache) else None


def over_limit(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one hit for this client in ``scope``; True once it goes over ``limit`` a window."""
    counted = request.META.get(COUNTED, {}).pop(scope, None)
    if counted is not None:
        return counted > limit
    key = key_for(request, scope)
    try:
        backend = redis_backend()
        if backend is not None:
            hits = _redis_count(backend, key, window)
        else:
            cache.add(key, 0, timeout=window)
            hits = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this is the first hit of a new window.
        cache.set(key, 1, timeout=window)
        hits = 1
    except Exception as error:  # noqa: BLE001 - a cache outage must not take the form down
        logger.warning("Rate limit cache unavailable; letting %s through: %s", scope, error)
        return False
    return hits > limit


def count_in(pipeline: Any, backend: RedisCache, key: str, window: int) -> None:
    """Add to a Redis ``pipeline``: start the window if needed, and count the hit (two replies,
    the second the count). Django's RedisCache stores integers as they are, so ``cache.get``
    and ``cache.incr`` read these counters too."""
    full_key = backend.make_and_validate_key(key)
    pipeline.set(full_key, 0, ex=window, nx=True)
    pipeline.incr(full_key)


def _redis_count(backend: RedisCache, key: str, window: int) -> int:
    """One round trip, where ``add`` and ``incr`` (an EXISTS, then an INCR) take three; the API
    counts every request this way. (Django's cache API has no pipelines: ``_cache`` is its
    client, the one part of it used here that is not public.)"""
    pipeline = backend._cache.get_client(key, write=True).pipeline(transaction=False)
    count_in(pipeline, backend, key, window)
    _started, hits = pipeline.execute()
    return int(hits)
