"""6. Cold and warm, queries: the API page of 500 with the cache emptied before each request
against the same warm, every variant rendered afresh (what a change costs the backend), and the
database queries each page makes with N and N/10 allies (``python -m bench.count_queries``)."""

from __future__ import annotations

import json
import statistics
import time
from dataclasses import dataclass, field

from bench.client import get
from bench.modes import Mode
from bench.pages import PAGES, VARIANTS
from bench.servers import Site
from bench.stack import Stack


@dataclass
class ColdWarm:
    allies: int
    cold_p50_ms: float
    warm_p50_ms: float
    factor: float
    queries: dict[str, dict[str, dict[str, int]]]  # allies -> path -> cold/warm
    queries_constant: bool
    # Every variant rendered afresh, one after another, as after a change: what a change costs
    # the backend before it shows everywhere (median of three).
    rerender_ms: dict[str, float] = field(default_factory=dict)


def cold_and_queries(stack: Stack, mode: Mode) -> ColdWarm:
    import redis  # the application's own client, from the virtualenv

    path = PAGES[2].url_path(stack.slug)
    client = redis.Redis(host="127.0.0.1", port=stack.redis.port, db=0)
    cold, warm = [], []
    for _ in range(mode.sequential):
        client.flushdb()
        started = time.perf_counter()
        answer = get(stack.site.port, path, timeout=60)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        answer = get(stack.site.port, path, timeout=60)
        warm.append((time.perf_counter() - started) * 1000)
        assert answer.status == 200, answer.status
    rerender: dict[str, list[float]] = {variant.name: [] for variant in VARIANTS}
    for _ in range(3):
        client.flushdb()
        for variant in VARIANTS:
            started = time.perf_counter()
            get(stack.site.port, variant.url_path(stack.slug), dict(variant.headers), timeout=60)
            rerender[variant.name].append((time.perf_counter() - started) * 1000)
    client.close()
    paths = [page.url_path(stack.slug) for page in PAGES]
    queries = {}
    for allies, database_url, db in (
        (mode.allies, stack.site.env["DATABASE_URL"], 0),
        (mode.allies // 10, stack.small_database_url, 1),
    ):
        site = Site(
            stack.directory,
            database_url=database_url,
            redis_url=stack.redis.url(db),
            SITE_URL=stack.site.env["SITE_URL"],
        )
        output = site.run_module("bench.count_queries", *paths)
        queries[str(allies)] = json.loads(output.strip().splitlines()[-1])
    counts = list(queries.values())
    return ColdWarm(
        allies=mode.allies,
        cold_p50_ms=round(statistics.median(cold), 2),
        warm_p50_ms=round(statistics.median(warm), 2),
        factor=round(statistics.median(cold) / max(statistics.median(warm), 0.001), 1),
        queries=queries,
        queries_constant=counts[0] == counts[1],
        rerender_ms={name: round(statistics.median(times), 1) for name, times in rerender.items()},
    )
