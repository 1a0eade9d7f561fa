"""4. Faults behind Varnish: under load, gunicorn stopped with a change committed meanwhile,
then PostgreSQL stopped with every copy purged; every variant must keep answering 200, and the
next change after the restarts must show."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from bench import log, wrk
from bench.changes import Change, Changer, Checker, make_pending
from bench.client import get, purge
from bench.modes import Mode
from bench.pages import VARIANTS
from bench.stack import Stack, start_gunicorn


@dataclass
class FaultPhase:
    name: str
    what: str  # what made the cached copies stale during it
    seconds: float = 0.0
    answers: int = 0  # the prober's, one variant after another
    not_200: dict[str, int] = field(default_factory=dict)
    stale_marked: int = 0  # 200s marked stale (X-Cache … STALE, or X-Coalition-Stale)


@dataclass
class Faults:
    phases: list[FaultPhase]
    load: dict
    change_after_restart_seconds: float | None
    change_variant_seconds: dict[str, float | None]


class Prober:
    """One request after another over every variant through Varnish, tallied per phase."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.phase: FaultPhase | None = None
        self.stopped = threading.Event()
        self.thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        turn = 0
        while not self.stopped.is_set():
            variant = VARIANTS[turn % len(VARIANTS)]
            turn += 1
            answer = get(
                self.stack.varnish.port, variant.url_path(self.stack.slug), dict(variant.headers)
            )
            phase = self.phase
            if phase is not None:
                phase.answers += 1
                if answer.status != 200:
                    phase.not_200[variant.name] = phase.not_200.get(variant.name, 0) + 1
                elif "stale" in answer.headers.get("x-cache", "").lower() or (
                    "x-coalition-stale" in answer.headers
                ):
                    phase.stale_marked += 1
            time.sleep(0.02)


def cache_keys(stack: Stack) -> list[str]:
    """Every xkey the variants are tagged with, as the application sends them."""
    keys: set[str] = set()
    for variant in VARIANTS:
        answer = get(stack.site.port, variant.url_path(stack.slug), dict(variant.headers))
        keys.update(answer.headers.get("xkey", "").split())
    return sorted(keys)


def describe(keys: list[str]) -> str:
    """``keys`` in short: the allies' own are only counted."""
    allies = [key for key in keys if key.startswith("ally-")]
    named = [key for key in keys if key not in allies]
    return " ".join(named) + (f" and {len(allies)} ally keys" if allies else "")


def faults(stack: Stack, mode: Mode) -> Faults:
    """Under load, gunicorn stopped with a change committed meanwhile (Varnish is purged: every
    copy is stale and the backend down), then PostgreSQL stopped with every copy purged
    (gunicorn answers from its own last good copies, or fails); then one more change."""
    pending = make_pending(stack.site, 2, "Aaa Faults")
    # "site" names every public response (coalition/publishing/cache_keys.py).
    keys = cache_keys(stack) or ["site"]
    script = wrk.mixed_script(stack.directory, stack.slug)
    phases: list[FaultPhase] = []
    prober = Prober(stack)
    prober.thread.start()

    def phase(
        current: FaultPhase,
        stop: Callable[[], None],
        during: Callable[[], str],
        start: Callable[[], None],
    ) -> None:
        prober.phase = current
        stop()
        stopped = time.monotonic()
        current.what += during()
        time.sleep(max(0.0, mode.fault_seconds - (time.monotonic() - stopped)))
        current.seconds = round(time.monotonic() - stopped, 1)
        start()
        # Varnish's probe sees the backend back within a few seconds: still the same tally.
        stack.varnish.wait_healthy()
        phases.append(current)
        log(
            f"  {current.name} ({current.seconds:.0f} s): {current.answers} probes, not 200: "
            f"{sum(current.not_200.values())}, marked stale: {current.stale_marked}"
        )

    changer = Changer(stack.site)
    changer.do("ping", "-")
    try:
        with wrk.Load(stack.varnish.url, script, connections=64, longest=600) as load:
            time.sleep(1)
            phase(
                FaultPhase("gunicorn stopped", f"{pending[0][0]} approved, Varnish purged"),
                stack.site.stop,
                lambda: changer.do("approve", pending[0][0]) and "",
                lambda: start_gunicorn(stack.site),
            )
            changer.close()
            phase(
                FaultPhase("PostgreSQL stopped", f"soft purge of {describe(keys)}"),
                stack.postgres.stop,
                lambda: f" (answered {purge(stack.varnish.port, keys)})",
                stack.postgres.start,
            )
            prober.phase = None
            loaded = load.stop()
    finally:
        changer.close()
        prober.stopped.set()
        prober.thread.join(timeout=15)
    # The next change after both restarts.
    change = Change("approve", *pending[1])
    changer = Changer(stack.site)
    checker = Checker(stack, timeout=max(5.0, mode.fresh_seconds * 2))
    try:
        change.committed = changer.do("approve", change.name)
        checker.check(change)
    finally:
        changer.close()
        checker.close()
    return Faults(
        phases=phases,
        load=loaded,
        change_after_restart_seconds=change.worst,
        change_variant_seconds=change.seconds,
    )
