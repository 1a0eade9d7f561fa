"""How much the benchmark measures, and what it must reach: the full run and the quick one (CI).

The full run's thresholds are the targets of issues 13 and 20; the quick run's catch only a gross
regression: a ratio under 0.3 (0.1 direct), a p99 over 3× the static file's, an error, a change
not shown within 5 s, a real-world mix under 90% hits, a flood reaching the backend for more than
5% of its requests or slowing a clean visitor 3× more than as many clean connections do.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Mode:
    quick: bool
    allies: int
    seconds: int  # each wrk measurement
    rounds: int
    connections: tuple[int, ...]
    direct_connections: int
    approvals: int
    withdrawals: int
    change_interval: float  # seconds between two changes
    fault_seconds: int
    sequential: int  # cold and warm samples
    mix_changes: int  # approvals during each run of the real-world mix
    flood_seconds: int  # the clean client's each measurement, alone and under the flood
    # Targets (full) or gross-regression thresholds (quick).
    varnish_ratio: float
    direct_ratio: float
    p99_ratio: float  # a page's p99 over its static twin's, at the most connections
    hit_ratio: float
    fresh_seconds: float
    cold_factor: float
    mix_hit_ratio: float
    mix_fetch_factor: float  # backend fetches per change, real-world mix over clean URLs
    flood_backend_share: float  # backend requests over the flood's requests
    # The clean visitor's p99 under the flood over its p99 alone (the target), or over its p99
    # under as many clean connections (quick: the cache's part only, not the shared cores').
    flood_p99_alone: float | None
    flood_p99_clean_load: float | None


FULL = Mode(
    quick=False,
    allies=1000,
    seconds=3,
    rounds=2,
    connections=(64, 256),
    direct_connections=32,
    approvals=50,
    withdrawals=10,
    change_interval=1.0,
    fault_seconds=30,
    sequential=25,
    mix_changes=10,
    flood_seconds=8,
    varnish_ratio=0.9,
    direct_ratio=0.3,
    p99_ratio=1.2,
    hit_ratio=0.99,
    fresh_seconds=1.0,
    cold_factor=10.0,
    mix_hit_ratio=0.99,
    mix_fetch_factor=1.0,
    flood_backend_share=0.01,
    flood_p99_alone=2.0,
    flood_p99_clean_load=None,
)
QUICK = Mode(
    quick=True,
    allies=300,
    seconds=1,
    # Three one-second rounds: the p99 of a single second at 256 connections is its slowest few
    # hundred requests, which one stall of the shared machine moves fivefold (CI once read 55.7
    # ms against 10.6 for a page Varnish served from memory). Rates are judged by the median of
    # the rounds, the p99 against the static file's by the best round (bench/report.py).
    rounds=3,
    connections=(64, 256),
    direct_connections=32,
    approvals=5,
    withdrawals=1,
    change_interval=1.0,
    fault_seconds=5,
    sequential=8,
    mix_changes=3,
    flood_seconds=4,
    varnish_ratio=0.3,
    direct_ratio=0.1,
    p99_ratio=3.0,
    hit_ratio=0.9,
    fresh_seconds=5.0,
    cold_factor=60.0,
    mix_hit_ratio=0.9,
    mix_fetch_factor=3.0,
    flood_backend_share=0.05,
    flood_p99_alone=None,
    flood_p99_clean_load=3.0,
)
