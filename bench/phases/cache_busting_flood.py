"""9. The cache-busting flood: 256 connections over the public pages, each request with ``?x=`` or
``?ref=`` and a value never sent before (``templates/flood.lua``), while one clean visitor asks
for ``/`` every 5 ms: its latency alone, then under the flood; and, for reference, under as many
connections asking for the same pages with clean URLs (what sharing two cores with 256 busy
connections costs, whatever the cache does). The flood and the clean load take turns, a few
rounds each: one round's p99 is its few slowest requests, and on shared cores one stall of the
visitor's own process moves it tenfold. Each flood round is compared with the clean round right
after it; the report gives the median of these ratios, and the quick benchmark's gate reads the
best of them, since a flood that really slows the visitor slows it in every round (CI once read
10.2, 22.4 and 35.4 ms under the flood against 3.4, 2.1 and 41.9 under clean load).
The backend's share of the flood is ``MAIN.backend_req`` over the flood's requests."""

from __future__ import annotations

import math
import statistics
import time
from dataclasses import dataclass
from pathlib import Path

from bench import log, wrk
from bench.client import get, paced
from bench.modes import Mode
from bench.pages import BROWSER, PAGES
from bench.stack import Stack

SEED = 20
CONNECTIONS = 256
# The clean visitor: one request every 5 ms on one connection, its p99 over a few seconds.
INTERVAL = 0.005
RAMP_SECONDS = 1.0  # the flood reaches its pace before the visitor is measured under it
ROUNDS = 3  # the flood and the clean load in turns


@dataclass
class Visitor:
    requests: int
    failed: int
    p50_ms: float
    p99_ms: float


@dataclass
class Flood:
    pages: list[str]
    alone: Visitor  # the clean visitor without the flood
    flooded: Visitor  # the same, right after, under the cache-busting flood
    clean_load: Visitor  # the same, under 256 connections of the same pages with clean URLs
    p99_factor: float  # flooded p99 over alone p99
    p99_factor_clean_load: float  # median of the flood's rounds' p99 over the clean load's
    round_factors: list[float]  # each flood round's p99 over the clean round's after it
    flood: dict  # wrk's figures of the flood (its rounds together)
    clean: dict  # wrk's figures of the clean load (its rounds together)
    flooded_round_p99_ms: list[float]
    clean_load_round_p99_ms: list[float]
    backend_requests: int  # MAIN.backend_req from the flood's start to its end
    backend_share: float  # backend_requests over the flood's requests
    hit_ratio: float


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, math.floor(len(ordered) * fraction))]


def summary(latencies: list[float]) -> Visitor:
    return Visitor(
        requests=len(latencies),
        failed=sum(1 for ms in latencies if ms == math.inf),
        p50_ms=round(percentile(latencies, 0.5), 2),
        p99_ms=round(percentile(latencies, 0.99), 2),
    )


def visit(stack: Stack, seconds: float) -> list[float]:
    return paced(stack.varnish.port, "/", dict(BROWSER), seconds=seconds, interval=INTERVAL)


@dataclass
class Rounds:
    """The clean visitor's latencies under one kind of load, round after round, and wrk's."""

    latencies: list[float]
    round_p99_ms: list[float]
    results: list[dict]

    def wrk(self) -> dict:
        return {
            "requests": sum(r["requests"] for r in self.results),
            "rps": statistics.mean(r["rps"] for r in self.results),
            "p99_ms": max(r["p99_ms"] for r in self.results),
            "non_2xx_3xx": sum(r["non_2xx_3xx"] for r in self.results),
            "socket_errors": sum(r["socket_errors"] for r in self.results),
        }


def under(stack: Stack, script: Path, seconds: float, rounds: Rounds) -> None:
    """One round of the clean visitor under load from ``script``."""
    with wrk.Load(stack.varnish.url, script, connections=CONNECTIONS, longest=600) as load:
        time.sleep(RAMP_SECONDS)
        latencies = visit(stack, seconds)
        result = load.stop()
    if not result.get("requests"):
        raise RuntimeError(f"wrk sent nothing from {script.name}: no load to measure under")
    rounds.latencies += latencies
    rounds.round_p99_ms.append(round(percentile(latencies, 0.99), 2))
    rounds.results.append(result)


def cache_busting_flood(stack: Stack, mode: Mode) -> Flood:
    paths = [page.url_path(stack.slug) for page in PAGES]
    for path in paths:
        get(stack.varnish.port, path, dict(BROWSER))  # warm: the clean pages are hits
    values = {"paths": wrk.lua(paths), "seed": wrk.lua(SEED), "headers": wrk.lua(dict(BROWSER))}
    flood_script = wrk.script(stack.directory, "flood.lua", **values)
    clean_script = wrk.script(
        stack.directory,
        "real_world.lua",
        tracking=wrk.lua(False),
        partners=wrk.lua(0),
        **values,
    )
    alone = summary(visit(stack, mode.flood_seconds))
    flooded, clean = Rounds([], [], []), Rounds([], [], [])
    fetched = requests = hits = 0
    for _round in range(ROUNDS):
        before = stack.varnish.counters()
        under(stack, flood_script, mode.flood_seconds, flooded)
        after = stack.varnish.counters()
        for name in ("MAIN.backend_req", "MAIN.client_req", "MAIN.cache_hit"):
            change = after.get(name, 0) - before.get(name, 0)
            if name == "MAIN.backend_req":
                fetched += change
            elif name == "MAIN.client_req":
                requests += change
            else:
                hits += change
        under(stack, clean_script, mode.flood_seconds, clean)
    result = flooded.wrk()
    flood_p99 = statistics.median(flooded.round_p99_ms)
    clean_p99 = statistics.median(clean.round_p99_ms)
    flood = Flood(
        pages=paths,
        alone=alone,
        flooded=summary(flooded.latencies),
        clean_load=summary(clean.latencies),
        p99_factor=round(flood_p99 / max(alone.p99_ms, 0.001), 3),
        p99_factor_clean_load=round(flood_p99 / max(clean_p99, 0.001), 3),
        flood=result,
        clean=clean.wrk(),
        round_factors=[
            round(f / max(c, 0.001), 3)
            for f, c in zip(flooded.round_p99_ms, clean.round_p99_ms, strict=True)
        ],
        flooded_round_p99_ms=flooded.round_p99_ms,
        clean_load_round_p99_ms=clean.round_p99_ms,
        backend_requests=fetched,
        backend_share=round(fetched / max(result["requests"], 1), 5),
        hit_ratio=round(hits / requests, 4) if requests else 0.0,
    )
    log(
        f"  flood {result['rps']:,.0f} req/s, {fetched} backend requests for "
        f"{result['requests']:,} ({flood.backend_share:.3%}); the visitor's p99 alone "
        f"{alone.p99_ms:.2f} ms; its rounds' p99 flooded {flooded.round_p99_ms} ms, under "
        f"clean load ({flood.clean['rps']:,.0f} req/s) {clean.round_p99_ms} ms: "
        f"{flood.p99_factor_clean_load:.2f}× (each round {flood.round_factors})"
    )
    return flood
