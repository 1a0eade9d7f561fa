"""Changes to the public wall, and watching them show through Varnish.

Applications are made waiting (``python -m bench.pending``), then approved and withdrawn by one
long-running ``python -m bench.decide``, which answers with the time each change committed; a
``Checker`` polls every cached variant through Varnish from that moment until it shows.
"""

from __future__ import annotations

import contextlib
import json
import queue
import subprocess
import sys
import threading
import time
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

from bench.client import Answer, get
from bench.pages import VARIANTS, Variant
from bench.servers import ROOT, Site
from bench.stack import Stack


def make_pending(
    site: Site, count: int, prefix: str, *, country: str | None = None
) -> list[tuple[str, str]]:
    """``count`` applications waiting for a reviewer, each from a country no other ally is in
    (so that the facets show it by its country alone) unless ``country`` is given; their names
    and countries."""
    options = ["--count", str(count), "--prefix", prefix]
    if country is not None:
        options += ["--country", country]
    output = site.run_module("bench.pending", *options)
    line = next(line for line in output.splitlines() if line.startswith("PENDING "))
    return [(name, country) for name, country in json.loads(line.split(" ", 1)[1])]


class Changer:
    """One ``python -m bench.decide`` approving and withdrawing on request: no start-up per
    change. Each answer is the time the change had committed."""

    TIMEOUT = 60  # seconds for one change, Django's start-up included

    def __init__(self, site: Site) -> None:
        with (site.directory / "changer.log").open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "bench.decide"],
                cwd=ROOT,
                env=site.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=log_file,
                text=True,
            )
        self.answers: queue.Queue[str | None] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("COMMITTED "):  # anything else printed is not an answer
                self.answers.put(line.split(" ", 1)[1])
        self.answers.put(None)  # it ended

    def do(self, action: str, name: str) -> float:
        assert self.process.stdin is not None
        self.process.stdin.write(f"{action} {name}\n")
        self.process.stdin.flush()
        try:
            answer = self.answers.get(timeout=self.TIMEOUT)
        except queue.Empty:
            raise RuntimeError(f"no answer from the changer in {self.TIMEOUT} s") from None
        if answer is None:
            raise RuntimeError(f"the changer died ({action} {name}); see changer.log")
        return json.loads(answer)["committed"]

    def close(self) -> None:
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()


@dataclass
class Change:
    action: str  # "approve" or "withdraw"
    name: str
    country: str  # the only ally from there: the facets show it, or not
    committed: float = 0.0  # time.time() once the change had committed
    seconds: dict[str, float | None] = field(default_factory=dict)  # per variant; None: never

    @property
    def worst(self) -> float | None:
        values = list(self.seconds.values())
        return None if any(v is None for v in values) else max(values, default=0.0)

    @property
    def first(self) -> float | None:
        """When the first variant showed it: the purge and one rendering."""
        return min((v for v in self.seconds.values() if v is not None), default=None)


def shows(variant: Variant, answer: Answer, change: Change) -> bool:
    """Whether ``answer`` (of ``variant``) shows the ally ``change`` is about."""
    if variant.check == "country":
        countries = json.loads(answer.body)["countries"]
        return any(entry["code"] == change.country for entry in countries)
    return change.name.encode() in answer.body


class Checker:
    """Polls every variant through Varnish until each shows a change; changes are checked
    independently of each other, so that they may follow each other faster than they show."""

    def __init__(self, stack: Stack, *, timeout: float) -> None:
        self.stack = stack
        self.timeout = timeout
        # Enough for every change still being checked at one a second: a check waiting for a
        # thread would start late and measure the wait.
        self.pool = ThreadPoolExecutor(max_workers=len(VARIANTS) * 8)
        self.bad_statuses: dict[str, int] = {}
        self.lock = threading.Lock()

    def _poll(self, variant: Variant, change: Change) -> float | None:
        wanted = change.action == "approve"
        path = variant.url_path(self.stack.slug)
        while time.time() < change.committed + self.timeout:
            answer = get(self.stack.varnish.port, path, dict(variant.headers))
            if answer.status != 200:
                with self.lock:
                    self.bad_statuses[variant.name] = self.bad_statuses.get(variant.name, 0) + 1
            elif shows(variant, answer, change) is wanted:
                return round(time.time() - change.committed, 3)
            time.sleep(0.02)
        return None

    def start(self, change: Change) -> list[Future]:
        return [self.pool.submit(self._poll, variant, change) for variant in VARIANTS]

    def finish(self, change: Change, futures: list[Future]) -> None:
        results = [future.result(timeout=self.timeout + 30) for future in futures]
        change.seconds = dict(zip((v.name for v in VARIANTS), results, strict=True))

    def check(self, change: Change) -> None:
        self.finish(change, self.start(change))

    def close(self) -> None:
        self.pool.shutdown(wait=True)
