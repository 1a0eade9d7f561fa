"""3. Freshness under load: approvals and withdrawals, one a second, under 256 connections over
every cached variant; each change checked in every variant through Varnish until it shows."""

from __future__ import annotations

import statistics
import time
from concurrent.futures import Future
from dataclasses import dataclass, field

from bench import wrk
from bench.changes import Change, Changer, Checker, make_pending, shows
from bench.client import get
from bench.front import hit_ratio
from bench.modes import Mode
from bench.pages import FRESH_PREFIX, SEEDED_FIRST, VARIANTS
from bench.stack import Stack


@dataclass
class Freshness:
    changes: list[Change]
    interval_seconds: float
    worst_seconds: float | None
    worst_variant: str
    median_seconds: float
    median_first_seconds: float  # the first variant to show each change: purge and one render
    load: dict
    hit_ratio: float
    bad_statuses: dict[str, int]
    final_state_ok: bool
    stuck: list[str] = field(default_factory=list)  # what never showed, and why


def plan(approvals: int, withdrawals: int) -> list[str]:
    """Approvals with a withdrawal after every few, evenly."""
    every = max(1, approvals // max(withdrawals, 1))
    steps: list[str] = []
    for index in range(approvals):
        steps.append("approve")
        if (index + 1) % every == 0 and steps.count("withdraw") < withdrawals:
            steps.append("withdraw")
    return steps


def freshness(stack: Stack, mode: Mode) -> Freshness:
    """Changes one every ``mode.change_interval`` seconds under 256 connections; each is
    checked in every variant until it shows. A withdrawal takes back the oldest approval of
    the run that already shows everywhere: it is on the first page of every variant, so "gone"
    is a real test."""
    fresh = make_pending(stack.site, mode.approvals, FRESH_PREFIX)
    check_variants(stack)
    checker = Checker(stack, timeout=max(5.0, mode.fresh_seconds * 2))
    changer = Changer(stack.site)
    changer.do("ping", "-")
    changes: list[Change] = []
    running: dict[int, list[Future]] = {}
    script = wrk.mixed_script(stack.directory, stack.slug)
    steps = plan(mode.approvals, mode.withdrawals)
    before = stack.varnish.counters()
    try:
        with wrk.Load(stack.varnish.url, script, connections=256, longest=600) as load:
            time.sleep(1)
            due = time.monotonic()
            approvals = iter(fresh)
            for action in steps:
                time.sleep(max(0.0, due - time.monotonic()))
                # A change that took long delays the next: never a burst to catch up.
                due = max(due, time.monotonic()) + mode.change_interval
                if action == "approve":
                    change = Change("approve", *next(approvals))
                else:
                    change = withdrawal(changes, running, checker)
                    if change is None:
                        continue
                change.committed = changer.do(action, change.name)
                changes.append(change)
                running[id(change)] = checker.start(change)
            for change in changes:
                if id(change) in running:
                    checker.finish(change, running.pop(id(change)))
            loaded = load.stop()
    finally:
        changer.close()
    ratio = hit_ratio(before, stack.varnish.counters())
    stuck = diagnose(stack, changes)
    final_ok = final_state(stack, changes)
    checker.close()
    latencies = [c.worst for c in changes]
    worst = None if any(w is None for w in latencies) else max(latencies, default=0.0)
    worst_variant = ""
    if changes:
        slowest = max(
            ((c, v, s) for c in changes for v, s in c.seconds.items()),
            key=lambda item: float("inf") if item[2] is None else item[2],
        )
        worst_variant = f"{slowest[1]}, {slowest[0].action} {slowest[0].name}"
    shown = [w for w in latencies if w is not None]
    return Freshness(
        changes=changes,
        interval_seconds=mode.change_interval,
        worst_seconds=worst,
        worst_variant=worst_variant,
        median_seconds=round(statistics.median(shown), 3) if shown else 0.0,
        median_first_seconds=round(
            statistics.median([c.first for c in changes if c.first is not None] or [0.0]), 3
        ),
        load=loaded,
        hit_ratio=round(ratio, 4),
        bad_statuses=checker.bad_statuses,
        final_state_ok=final_ok,
        stuck=stuck,
    )


def diagnose(stack: Stack, changes: list[Change]) -> list[str]:
    """For each variant that never showed a change: what Varnish and the application serve
    now, by ETag (which names the public version a rendering was made under) and Age."""
    notes = []
    for change in changes:
        for variant in VARIANTS:
            if change.seconds.get(variant.name, 0.0) is not None:
                continue
            path = variant.url_path(stack.slug)
            through = get(stack.varnish.port, path, dict(variant.headers))
            origin = get(stack.site.port, path, dict(variant.headers))
            notes.append(
                f"{variant.name} never showed {change.action} {change.name}: Varnish serves "
                f"{through.headers.get('etag')} (Age {through.headers.get('age')}, shows it: "
                f"{shows(variant, through, change)}), the application "
                f"{origin.headers.get('etag')} (shows it: {shows(variant, origin, change)})"
            )
    return notes


def withdrawal(
    changes: list[Change], running: dict[int, list[Future]], checker: Checker
) -> Change | None:
    """The oldest approval of the run not withdrawn yet, once it shows everywhere."""
    withdrawn = {c.name for c in changes if c.action == "withdraw"}
    for change in changes:
        if change.action != "approve" or change.name in withdrawn:
            continue
        if id(change) in running:
            checker.finish(change, running.pop(id(change)))  # bounded by the check's timeout
        if change.worst is not None:
            return Change("withdraw", change.name, change.country)
    return None


def final_state(stack: Stack, changes: list[Change]) -> bool:
    """At the end, every variant shows each approval not withdrawn, and no withdrawn one."""
    withdrawn = {c.name for c in changes if c.action == "withdraw"}
    ok = True
    for variant in VARIANTS:
        answer = get(stack.varnish.port, variant.url_path(stack.slug), dict(variant.headers))
        for change in changes:
            if change.action == "approve":
                ok &= shows(variant, answer, change) is (change.name not in withdrawn)
    return ok


def check_variants(stack: Stack) -> None:
    """Each variant answers 200 through Varnish and shows the first seeded ally: the checks
    look for the right thing."""
    for variant in VARIANTS:
        answer = get(stack.varnish.port, variant.url_path(stack.slug), dict(variant.headers))
        if answer.status != 200:
            raise RuntimeError(f"variant {variant.name} answered {answer.status}")
        if variant.check == "names" and SEEDED_FIRST.encode() not in answer.body:
            raise RuntimeError(f"variant {variant.name} does not show {SEEDED_FIRST}")
