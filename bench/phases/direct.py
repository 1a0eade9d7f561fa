"""2. Direct to gunicorn: each warm page against WhiteNoise serving the same bytes, in the same
gunicorn."""

from __future__ import annotations

import statistics
from dataclasses import dataclass

from bench import log, wrk
from bench.client import get
from bench.modes import Mode
from bench.pages import PAGES
from bench.stack import Stack


@dataclass
class DirectFigure:
    page: str
    rps: float
    static_rps: float  # WhiteNoise serving the same bytes, in the same gunicorn
    ratio: float
    p99_ms: float
    errors: int


def direct(stack: Stack, mode: Mode) -> list[DirectFigure]:
    port = stack.site.port
    samples: dict[str, list[dict]] = {page.name: [] for page in PAGES}
    for number in range(1, mode.rounds + 1):
        for page in PAGES:
            urls = {
                "app": f"http://127.0.0.1:{port}{page.url_path(stack.slug)}",
                "static": f"http://127.0.0.1:{port}/static/bench/{page.file}",
            }
            order = ["app", "static"] if number % 2 else ["static", "app"]
            result = {}
            for name in order:
                get(port, urls[name].split(str(port), 1)[1])  # warm
                result[name] = wrk.run(
                    urls[name], connections=mode.direct_connections, seconds=mode.seconds
                )
            samples[page.name].append(result)
            log(
                f"  round {number} direct {page.name:15}: app {result['app']['rps']:6.0f}/s, "
                f"WhiteNoise {result['static']['rps']:6.0f}/s "
                f"({result['app']['rps'] / max(result['static']['rps'], 1):.2f}×)"
            )
    return [
        DirectFigure(
            page=name,
            rps=round(statistics.median(r["app"]["rps"] for r in rounds), 1),
            static_rps=round(statistics.median(r["static"]["rps"] for r in rounds), 1),
            ratio=round(
                statistics.median(r["app"]["rps"] / max(r["static"]["rps"], 1) for r in rounds), 3
            ),
            p99_ms=round(statistics.median(r["app"]["p99_ms"] for r in rounds), 2),
            errors=sum(r[t]["non_2xx_3xx"] + r[t]["socket_errors"] for r in rounds for t in r),
        )
        for name, rounds in samples.items()
    ]
