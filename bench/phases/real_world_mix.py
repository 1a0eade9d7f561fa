"""8. The real-world mix: 256 connections over the public pages (those measured through Varnish)
as visitors reach them, with a fresh ``fbclid`` on half the requests, one of 1,000 partners'
``ref``s, random UTM values and the parameters in a shuffled order (``templates/real_world.lua``),
against the same pages with clean URLs, one right after the other. Each run has two parts under
the same load: a quiet one, whose hit ratio is what the URLs alone do to the cache, then a few
approvals, one a second, whose backend fetches per change are what a change costs with such URLs
(``varnishstat``). During the changes the hit ratio drops for either kind of URL: the requests
that wait for a purged page's fetch (``MAIN.busy_sleep``) count neither as hits nor as misses."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from bench import log, wrk
from bench.changes import Changer, make_pending
from bench.client import get
from bench.front import hit_ratio
from bench.modes import Mode
from bench.pages import BROWSER, PAGES
from bench.stack import Stack

PARTNERS = 1000
SEED = 20  # the number: any fixed seed makes two runs send the same requests
CONNECTIONS = 256
# The shortest quiet part whose hit ratio means something (see one_run).
QUIET_SECONDS = 6
# After the last change: its purge is sent again HTTP_CACHE_PURGE_REPEAT_SECONDS (2 s) later, and
# the pages it empties are fetched once more; both belong to the change.
SETTLE_SECONDS = 3.5
RAMP_SECONDS = 1.0


@dataclass
class MixRun:
    urls: str  # "clean" or "real-world"
    changes: int
    seconds: float
    requests: int  # wrk's, both parts
    rps: float
    p99_ms: float
    errors: int
    hit_ratio: float  # the quiet part: no change
    quiet_requests: int  # client requests Varnish counted in the quiet part
    quiet_sent: int  # the requests wrk sent in it
    quiet_backend_requests: int  # MAIN.backend_req during it
    changes_hit_ratio: float  # the part with the changes, until their purges settled
    waited: int  # requests of that part that waited for a fetch already under way
    backend_requests: int  # MAIN.backend_req during it
    backend_per_change: float


@dataclass
class RealWorldMix:
    pages: list[str]
    clean: MixRun
    mix: MixRun
    fetch_factor: float  # the mix's backend fetches per change over the clean URLs'
    examples: list[tuple[str, str]]  # a request of the mix as sent, and as looked up


def real_world_mix(stack: Stack, mode: Mode) -> RealWorldMix:
    paths = [page.url_path(stack.slug) for page in PAGES]
    names = iter(make_pending(stack.site, 2 * mode.mix_changes, "Aab Mix", country="DE"))
    changer = Changer(stack.site)
    try:
        changer.do("ping", "-")
        runs = {}
        for urls in ("clean", "real-world"):
            script = wrk.script(
                stack.directory,
                "real_world.lua",
                paths=wrk.lua(paths),
                tracking=wrk.lua(urls == "real-world"),
                partners=wrk.lua(PARTNERS),
                seed=wrk.lua(SEED),
                headers=wrk.lua(dict(BROWSER)),
            )
            changes = [next(names)[0] for _ in range(mode.mix_changes)]
            runs[urls] = one_run(stack, mode, urls, script, changer, changes)
            run = runs[urls]
            log(
                f"  {urls:10}: {run.rps:,.0f} req/s, hits {run.hit_ratio:.2%} "
                f"({run.quiet_backend_requests} backend requests) without changes, "
                f"{run.changes_hit_ratio:.2%} with; {run.backend_requests} backend requests "
                f"for {run.changes} changes ({run.backend_per_change:.1f} each), "
                f"p99 {run.p99_ms:.1f} ms"
            )
    finally:
        changer.close()
    clean, mix = runs["clean"], runs["real-world"]
    return RealWorldMix(
        pages=paths,
        clean=clean,
        mix=mix,
        fetch_factor=round(mix.backend_per_change / max(clean.backend_per_change, 0.1), 3),
        examples=examples(stack),
    )


def one_run(
    stack: Stack, mode: Mode, urls: str, script: Path, changer: Changer, changes: list[str]
) -> MixRun:
    """Warm every page, then load from ``script``: quiet for a while, then while ``changes``
    are approved one every ``mode.change_interval`` seconds, until their purges settled.

    Each part is a wrk run of its own, counted from before it starts to after it stops. Varnish
    adds a connection's requests to its counters when the worker thread ends its task, and a
    keep-alive connection that sends its next request at once never ends it: read while 256
    such connections were busy, the counters stood still (runs here counted 0, or 4,128, of a
    million requests), and the quiet part measured nothing."""
    for path in [page.url_path(stack.slug) for page in PAGES]:
        get(stack.varnish.port, path, dict(BROWSER))
    time.sleep(SETTLE_SECONDS)  # the last phase's purges, repeated, are over
    started = time.monotonic()
    quiet = _settled(stack)
    with wrk.Load(stack.varnish.url, script, connections=CONNECTIONS, longest=600) as load:
        time.sleep(max(2 * mode.seconds, QUIET_SECONDS))
        quiet_result = load.stop()
    before = _settled(stack)
    with wrk.Load(stack.varnish.url, script, connections=CONNECTIONS, longest=600) as load:
        time.sleep(RAMP_SECONDS)  # every connection busy before the first change
        due = time.monotonic()
        for name in changes:
            time.sleep(max(0.0, due - time.monotonic()))
            due = max(due, time.monotonic()) + mode.change_interval
            changer.do("approve", name)
        time.sleep(SETTLE_SECONDS)
        result = load.stop()
    seconds = time.monotonic() - started
    after = _settled(stack)

    def delta(name: str, start: dict[str, int], end: dict[str, int]) -> int:
        return end.get(f"MAIN.{name}", 0) - start.get(f"MAIN.{name}", 0)

    fetched = delta("backend_req", before, after)
    parts = (quiet_result, result)
    requests = sum(part["requests"] for part in parts)
    return MixRun(
        urls=urls,
        changes=len(changes),
        seconds=round(seconds, 1),
        requests=requests,
        # wrk's rate over the time it ran (not the pauses between the parts)
        rps=round(requests / sum(p["requests"] / max(p["rps"], 0.001) for p in parts), 1),
        p99_ms=round(max(part["p99_ms"] for part in parts), 2),
        errors=sum(part["non_2xx_3xx"] + part["socket_errors"] for part in parts),
        hit_ratio=round(hit_ratio(quiet, before), 4),
        quiet_requests=delta("client_req", quiet, before),
        quiet_sent=quiet_result["requests"],
        quiet_backend_requests=delta("backend_req", quiet, before),
        changes_hit_ratio=round(hit_ratio(before, after), 4),
        waited=delta("busy_sleep", before, after),
        backend_requests=fetched,
        backend_per_change=round(fetched / max(len(changes), 1), 2),
    )


def _settled(stack: Stack, timeout: float = 5) -> dict[str, int]:
    """Varnish's counters once the last connections' threads have added theirs: two reads a
    quarter of a second apart that agree on the client requests."""
    last = stack.varnish.counters()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        time.sleep(0.25)
        now = stack.varnish.counters()
        if now.get("MAIN.client_req") == last.get("MAIN.client_req"):
            return now
        last = now
    return last


def examples(stack: Stack, count: int = 4) -> list[tuple[str, str]]:
    """A few of the mix's requests as Varnish logged them: the URL the client sent and the one
    it was looked up by (Varnish logs a ReqURL each time the VCL rewrites it)."""
    command = [
        *("varnishlog", "-n", str(stack.varnish.workdir), "-d", "-g", "request"),
        *("-i", "ReqURL", "-q", 'ReqURL ~ "fbclid"', "-k", str(count)),
    ]
    output = subprocess.run(command, capture_output=True, text=True, timeout=60).stdout
    pairs, urls = [], []
    for line in [*output.splitlines(), "*"]:
        if line.startswith("*") and urls:
            pairs.append((urls[0], urls[-1]))
            urls = []
        elif "ReqURL" in line:
            urls.append(line.split("ReqURL", 1)[1].strip())
    return pairs
