"""Per-client rate limits counted in the cache, so they hold across workers with Redis."""

from __future__ import annotations

import hashlib
import logging
from typing import NamedTuple

from django.conf import settings
from django.core.cache import cache, caches
from django.core.cache.backends.redis import RedisCache
from django.http import HttpRequest

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


def over_limit(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one hit for this client in ``scope``; True once it goes over ``limit`` a window."""
    client = hashlib.sha256(client_ip(request).encode()).hexdigest()[:32]
    key = f"ratelimit:{scope}:{client}"
    try:
        backend = caches["default"]
        if isinstance(backend, RedisCache):
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


def _redis_count(backend: RedisCache, key: str, window: int) -> int:
    """Start the window if needed and count the hit in one round trip, where ``add`` and
    ``incr`` (an EXISTS, then an INCR) take three; the API counts every request this way."""
    full_key = backend.make_and_validate_key(key)
    client = backend._cache.get_client(full_key, write=True)
    pipeline = client.pipeline(transaction=False)
    pipeline.set(full_key, 0, ex=window, nx=True)
    pipeline.incr(full_key)
    _started, hits = pipeline.execute()
    return int(hits)
