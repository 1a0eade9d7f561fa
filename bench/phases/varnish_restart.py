"""5. Varnish restarted, with a change committed while it was down: its first answers must be
the application's current ones, and it refills."""

from __future__ import annotations

import time
from dataclasses import dataclass

from bench import wrk
from bench.changes import Change, Changer, make_pending, shows
from bench.client import get
from bench.front import hit_ratio
from bench.modes import Mode
from bench.pages import BROWSER, VARIANTS
from bench.stack import Stack


@dataclass
class Restart:
    change_while_down: str
    first_answers_current: bool  # every variant's first answer is the application's current one
    stale: list[str]  # variants whose first answer was not
    refilled_seconds: float | None  # until every variant was answered from the cache
    refill_hit_ratio: float  # a burst of load right after


def varnish_restart(stack: Stack, mode: Mode) -> Restart:
    change = Change("approve", *make_pending(stack.site, 1, "Aaa While Down")[0])
    stack.varnish.stop()
    changer = Changer(stack.site)
    try:
        changer.do("approve", change.name)  # its purge fails: nothing is listening
    finally:
        changer.close()
    stack.varnish.start()
    restarted = time.monotonic()
    stale = []
    for variant in VARIANTS:
        path = variant.url_path(stack.slug)
        through = get(stack.varnish.port, path, dict(variant.headers))
        origin = get(stack.site.port, path, dict(variant.headers))
        current = through.status == 200 and through.body == origin.body
        current = current and shows(variant, through, change)
        if not current:
            stale.append(variant.name)
    # Refilled: every variant answered from the cache. The purge that failed while Varnish was
    # down is retried by the worker and may empty it once more meanwhile: a few rounds, bounded.
    refilled_at = None
    for _ in range(20):
        # A hit names two transactions in X-Varnish: this one and the one that fetched the copy.
        if all(
            len(
                get(stack.varnish.port, variant.url_path(stack.slug), dict(variant.headers))
                .headers.get("x-varnish", "")
                .split()
            )
            == 2
            for variant in VARIANTS
        ):
            refilled_at = round(time.monotonic() - restarted, 2)
            break
        time.sleep(0.5)
    before = stack.varnish.counters()
    # "/" alone
    wrk.run(stack.varnish.url, connections=64, seconds=max(1, mode.seconds // 2), headers=BROWSER)
    refill = hit_ratio(before, stack.varnish.counters())
    return Restart(
        change_while_down=f"approve {change.name}",
        first_answers_current=not stale,
        stale=stale,
        refilled_seconds=refilled_at,
        refill_hit_ratio=round(refill, 4),
    )
