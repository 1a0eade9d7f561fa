"""Per-client rate limits counted in the cache, so they hold across workers with Redis."""

from __future__ import annotations

import functools
import hashlib
import ipaddress
import logging

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest
from django.utils.translation import ngettext
from django_redis import get_redis_connection

logger = logging.getLogger(__name__)


def client_ip(request: HttpRequest) -> str:
    """The visitor's address: the connection's, or, when the connection comes from one of the
    site's own proxies (``TRUSTED_PROXIES``: Varnish, the TLS proxy), the address that proxy
    appended to ``X-Forwarded-For``. Anything before it is the client's to forge, and a header
    from anyone else is ignored."""
    remote = request.META.get("REMOTE_ADDR", "")
    if _is_trusted_proxy(remote):
        forwarded = request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")[-1].strip()
        if forwarded:
            return forwarded
    return remote or "unknown"


def _is_trusted_proxy(address: str) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in _trusted_networks(tuple(settings.TRUSTED_PROXIES)))


@functools.lru_cache(maxsize=8)
def _trusted_networks(
    entries: tuple[str, ...],
) -> list[ipaddress.IPv4Network | ipaddress.IPv6Network]:
    return [ipaddress.ip_network(entry, strict=False) for entry in entries if entry]


def client_key(request: HttpRequest) -> str:
    """What address-based limits count by: the client's address, or for IPv6 its /64, the
    network one subscriber usually has whole (counting single IPv6 addresses, one machine
    would have 2^64 tries)."""
    address = client_ip(request)
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is None:
        return str(ipaddress.ip_network(f"{ip}/64", strict=False))
    return str(ip.ipv4_mapped or ip) if isinstance(ip, ipaddress.IPv6Address) else str(ip)


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


def key_for(request: HttpRequest, scope: str) -> str:
    client = hashlib.sha256(client_key(request).encode()).hexdigest()[:32]
    return f"ratelimit:{scope}:{client}"


def over_limit(request: HttpRequest, *, scope: str, limit: int, window: int) -> bool:
    """Count one hit for this client in ``scope``; True once it goes over ``limit`` a window."""
    key = key_for(request, scope)
    try:
        hits = count_hit(key, window)
    except Exception as error:  # noqa: BLE001 - a cache outage must not take the form down
        logger.warning("Rate limit cache unavailable; letting %s through: %s", scope, error)
        return False
    return hits > limit


def count_hit(key: str, window: int) -> int:
    """Count a hit under ``key``, in a window of ``window`` seconds that the first hit starts."""
    try:
        redis = get_redis_connection()
    except NotImplementedError:  # not django-redis: the local-memory cache of development
        return _count_with_cache_api(key, window)
    # One round trip where the cache API takes two (``add``, then ``incr``): the API counts
    # every request. Integers are stored as they are, so ``cache.get(key)`` reads the count.
    full_key = cache.make_key(key)
    pipeline = redis.pipeline(transaction=False)
    pipeline.set(full_key, 0, ex=window, nx=True)
    pipeline.incr(full_key)
    _started, hits = pipeline.execute()
    return int(hits)


def _count_with_cache_api(key: str, window: int) -> int:
    if cache.add(key, 1, timeout=window):
        return 1
    try:
        return cache.incr(key)
    except ValueError:
        # The key expired between add and incr: this is the first hit of a new window.
        cache.set(key, 1, timeout=window)
        return 1
