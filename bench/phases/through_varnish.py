"""1. Through Varnish: each page beside its static twin through the second Varnish, and nginx
serving the same file directly, at each number of connections, in interleaved rounds; every
request asks as a browser does (``pages.BROWSER``), so the twin's bytes are the application's
gzip, served by nginx's gzip_static."""

from __future__ import annotations

import statistics
from dataclasses import dataclass, field

from bench import log, wrk
from bench.client import get
from bench.front import hit_ratio
from bench.modes import Mode
from bench.pages import BROWSER, PAGES
from bench.stack import Stack


@dataclass
class Figure:
    page: str
    path: str
    bytes: int
    connections: int
    rps: float  # through Varnish from the application, median over the rounds
    static_rps: float  # the same bytes through the same Varnish from nginx
    nginx_rps: float  # nginx serving the file directly
    ratio_static: float  # rps / static_rps, median of the rounds' ratios
    ratio_nginx: float
    static_ratio_nginx: float  # Varnish's own ceiling: static_rps / nginx_rps
    p50_ms: float
    p99_ms: float
    static_p99_ms: float
    p99_ratio_static: float  # p99 / static p99, median of the rounds' ratios
    hit_ratio: float  # the application's Varnish during its runs (lowest round)
    static_hit_ratio: float
    errors: int  # non-2xx/3xx and socket errors, every round, the three targets
    rounds: list[dict] = field(default_factory=list)


def through_varnish(stack: Stack, mode: Mode) -> list[Figure]:
    targets = {
        "app": (stack.varnish, stack.varnish.port),
        "static": (stack.static_varnish, stack.static_varnish.port),
        "nginx": (None, stack.nginx.port),
    }
    sizes = {}
    for page in PAGES:
        path = page.url_path(stack.slug)
        for name, (_varnish, port) in targets.items():
            answer = get(port, path, dict(BROWSER))  # fills the caches
            if answer.status != 200:
                raise RuntimeError(f"{path} ({name}, port {port}) answered {answer.status}")
        sizes[page.name] = len(get(stack.varnish.port, path).body)  # uncompressed
    # Varnish grows its thread pools for 256 connections once, before anything is measured.
    for _varnish, port in targets.values():
        wrk.run(
            f"http://127.0.0.1:{port}{PAGES[1].url_path(stack.slug)}",
            connections=256,
            seconds=1,
            headers=BROWSER,
        )
    samples: dict[tuple[str, int], list[dict]] = {}
    for number in range(1, mode.rounds + 1):
        # The order alternates between rounds, so that a drift in the machine's load favours
        # neither side of a ratio.
        order = ["app", "static", "nginx"] if number % 2 else ["nginx", "static", "app"]
        for connections in mode.connections:
            for page in PAGES:
                path = page.url_path(stack.slug)
                result: dict[str, dict] = {}
                for name in order:
                    varnish, port = targets[name]
                    before = varnish.counters() if varnish else {}
                    result[name] = wrk.run(
                        f"http://127.0.0.1:{port}{path}",
                        connections=connections,
                        seconds=mode.seconds,
                        headers=BROWSER,
                    )
                    if varnish:
                        result[name]["hit_ratio"] = hit_ratio(before, varnish.counters())
                samples.setdefault((page.name, connections), []).append(result)
                log(
                    f"  round {number} {page.name:15} c={connections:3}: "
                    f"app {result['app']['rps']:7.0f}/s, static {result['static']['rps']:7.0f}/s, "
                    f"nginx {result['nginx']['rps']:7.0f}/s "
                    f"({result['app']['rps'] / max(result['static']['rps'], 1):.2f}× static); "
                    f"app p99 {result['app']['p99_ms']:.1f} ms "
                    f"(static {result['static']['p99_ms']:.1f}), "
                    f"hits {result['app']['hit_ratio']:.1%}"
                )
    figures = []
    for page in PAGES:
        for connections in mode.connections:
            rounds = samples[(page.name, connections)]

            def median(target: str, key: str, rounds: list[dict] = rounds) -> float:
                return statistics.median(r[target][key] for r in rounds)

            def ratio(a: str, b: str, key: str = "rps", rounds: list[dict] = rounds) -> float:
                return statistics.median(r[a][key] / max(r[b][key], 1e-9) for r in rounds)

            figures.append(
                Figure(
                    page=page.name,
                    path=page.url_path(stack.slug),
                    bytes=sizes[page.name],
                    connections=connections,
                    rps=round(median("app", "rps"), 1),
                    static_rps=round(median("static", "rps"), 1),
                    nginx_rps=round(median("nginx", "rps"), 1),
                    ratio_static=round(ratio("app", "static"), 3),
                    ratio_nginx=round(ratio("app", "nginx"), 3),
                    static_ratio_nginx=round(ratio("static", "nginx"), 3),
                    p50_ms=round(median("app", "p50_ms"), 2),
                    p99_ms=round(median("app", "p99_ms"), 2),
                    static_p99_ms=round(median("static", "p99_ms"), 2),
                    p99_ratio_static=round(ratio("app", "static", "p99_ms"), 3),
                    hit_ratio=round(min(r["app"]["hit_ratio"] for r in rounds), 4),
                    static_hit_ratio=round(min(r["static"]["hit_ratio"] for r in rounds), 4),
                    errors=sum(
                        r[t]["non_2xx_3xx"] + r[t]["socket_errors"] for r in rounds for t in r
                    ),
                    rounds=rounds,
                )
            )
    return figures
