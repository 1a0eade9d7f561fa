"""Anonymous throttling, counted per client address in the shared cache (Redis in production)."""

from __future__ import annotations

from rest_framework.settings import api_settings
from rest_framework.throttling import SimpleRateThrottle

from coalition.web.ratelimit import over_limit


class AnonymousRateThrottle(SimpleRateThrottle):
    """DRF's rate syntax ("600/minute") counted with ``coalition.web.ratelimit``: every request
    counts (a 304 and a cached answer too), by the same client address as the forms' limits,
    and a cache outage lets requests through instead of failing them."""

    scope = "anon"

    def get_rate(self) -> str | None:
        # Read at request time (not import time) so that a changed setting takes effect.
        return api_settings.DEFAULT_THROTTLE_RATES.get(self.scope)

    def allow_request(self, request, view) -> bool:
        if self.rate is None:
            return True
        return not over_limit(
            request, scope=f"api-{self.scope}", limit=self.num_requests, window=self.duration
        )

    def wait(self) -> float:
        # A fixed window: the client may wait up to a whole one.
        return float(self.duration)
