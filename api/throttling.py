"""Anonymous throttling, counted per client address in the shared cache (Redis in production)."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from coalition.ratelimit import RateLimit, over_limit


class AnonymousRateThrottle(SimpleRateThrottle):
    """DRF's rate syntax ("600/minute") counted with ``coalition.ratelimit``: one atomic
    increment a request, the same client address as the forms' limits, and a cache outage
    lets requests through instead of failing them."""

    scope = "anon"

    def get_rate(self) -> str | None:
        # Read at request time (not import time) so that a changed setting takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def get_cache_key(self, request, view) -> str | None:  # pragma: no cover - not used
        return None

    def limit(self) -> RateLimit | None:
        """What this throttle counts, for ``coalition.caching.PublicCacheMiddleware`` to count
        the same when it answers from the cache in the view's place."""
        if self.rate is None:
            return None
        return RateLimit(scope=f"api-{self.scope}", limit=self.num_requests, window=self.duration)

    def allow_request(self, request, view) -> bool:
        limit = self.limit()
        if limit is None:
            return True
        return not over_limit(request, scope=limit.scope, limit=limit.limit, window=limit.window)

    def wait(self) -> float:
        # A fixed window: the client may wait up to a whole one.
        return float(self.duration)
