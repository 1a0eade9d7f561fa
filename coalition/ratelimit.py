"""Per-client rate limits counted in the cache, so they hold across workers with Redis."""

from __future__ import annotations

import hashlib
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest

logger = logging.getLogger(__name__)


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
        cache.add(key, 0, timeout=window)
        hits = cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this is the first hit of a new window.
        cache.set(key, 1, timeout=window)
        hits = 1
    except Exception:  # a cache outage must not take the form down with it
        logger.warning("Rate limit cache unavailable; letting %s through", scope, exc_info=True)
        return False
    return hits > limit
