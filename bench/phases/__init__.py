"""The benchmark's phases, in the order they run: each measures the running stack and returns
its figures, which the report keeps under the name given here."""

from __future__ import annotations

from collections.abc import Callable

from bench.modes import Mode
from bench.phases.bytes_on_wire import bytes_on_wire
from bench.phases.cache_busting_flood import cache_busting_flood
from bench.phases.cold_and_queries import cold_and_queries
from bench.phases.direct import direct
from bench.phases.faults_behind_varnish import faults
from bench.phases.freshness import freshness
from bench.phases.image_sizes import image_sizes
from bench.phases.real_world_mix import real_world_mix
from bench.phases.through_varnish import through_varnish
from bench.phases.varnish_restart import varnish_restart
from bench.stack import Stack

# (the report's field, the title logged, the measurement)
PHASES: list[tuple[str, str, Callable[[Stack, Mode], object]]] = [
    ("varnish", "1. through Varnish", through_varnish),
    ("direct", "2. direct to gunicorn", direct),
    ("freshness", "3. freshness under load", freshness),
    ("faults", "4. faults behind Varnish", faults),
    ("restart", "5. Varnish restarted", varnish_restart),
    ("cold", "6. cold and warm, queries per request", cold_and_queries),
    ("images", "7. the sizes of the images", image_sizes),
    ("mix", "8. real-world mix: tracking parameters, partners' refs", real_world_mix),
    ("flood", "9. cache-busting flood", cache_busting_flood),
    ("wire", "10. bytes on the wire", bytes_on_wire),
]
