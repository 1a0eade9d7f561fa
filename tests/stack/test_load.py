"""Under load, with approvals coming in: no errors, nothing stale after a change, flat memory.

64 concurrent clients for a minute (``LOAD_SECONDS``) against the wall, the embed and the API
of the site under gunicorn (production settings, two workers, private PostgreSQL and Redis; see
``bench/stack.py``), while a reviewer approves a dozen organizations one after another.
Runs with ``FAULT_TESTS=1``.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from bench.changes import make_pending
from bench.servers import ROOT, Site
from tests import faults

CLIENTS = 64
SECONDS = int(os.getenv("LOAD_SECONDS", "60"))
APPROVALS = 12


@dataclass
class Sample:
    path: str
    started: float
    status: int  # 0: no answer (connection error or timeout)
    names: frozenset[str]  # the approved names the response shows
    total: int | None  # facets: the number of allies


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    with faults.running_stack(allies=300) as (running_site, _postgres, _redis):
        yield running_site


def _load(site: Site, paths: list[str], names: list[str], stop: threading.Event) -> list[Sample]:
    samples: list[Sample] = []
    lock = threading.Lock()

    def client(index: int) -> None:
        mine: list[Sample] = []
        turn = index
        while not stop.is_set():
            path = paths[turn % len(paths)]
            turn += 1
            started = time.time()
            try:
                connection = http.client.HTTPConnection("127.0.0.1", site.port, timeout=30)
                connection.request("GET", path)
                response = connection.getresponse()
                body = response.read()
                connection.close()
            except (OSError, http.client.HTTPException):
                mine.append(Sample(path, started, 0, frozenset(), None))
                continue
            text = body.decode("utf-8", "replace")
            total = (
                json.loads(body)["total"] if "facets" in path and response.status == 200 else None
            )
            shown = frozenset(name for name in names if name in text)
            mine.append(Sample(path, started, response.status, shown, total))
        with lock:
            samples.extend(mine)

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return samples


@faults.needs_fault_tests
def test_under_load_with_approvals_nothing_fails_nothing_is_stale_and_memory_stays_flat(site):
    slug = json.loads(site.get("/api/v1/campaigns/").body)[0]["slug"]
    pending = make_pending(site, APPROVALS, "AAA Load", country="DE")
    names = [name for name, _country in pending]
    total_before = json.loads(site.get("/api/v1/facets/").body)["total"]
    # Where the newest approvals must show (first), and pages that are simply read a lot.
    watched = [
        "/api/v1/allies/?ordering=-approved_at&page_size=20",
        "/?order=newest",
        f"/embed/{slug}/?order=newest",
    ]
    paths = [*watched, "/api/v1/facets/", "/api/v1/allies/?page_size=100", "/", f"/embed/{slug}/"]

    stop = threading.Event()
    samples: list[Sample] = []
    loader = threading.Thread(target=lambda: samples.extend(_load(site, paths, names, stop)))
    load_started = time.time()
    loader.start()
    try:
        time.sleep(min(10, SECONDS / 6))  # warm-up
        warm_rss = site.worker_rss_mb()
        approver = subprocess.Popen(
            [
                *(sys.executable, "-m", "bench.approve"),
                *("--interval", str((SECONDS * 0.6) / APPROVALS), *names),
            ],
            cwd=ROOT,
            env=site.env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        out, err = approver.communicate(timeout=SECONDS * 2)
        assert approver.returncode == 0, err
        # Keep the load on after the last change, to check that every later answer has it.
        time.sleep(max(5.0, load_started + SECONDS - time.time()))
    finally:
        stop.set()
        loader.join(timeout=60)
    end_rss = site.worker_rss_mb()

    commits = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
    assert [commit["name"] for commit in commits] == names

    failed = [s for s in samples if s.status != 200]
    assert not failed, f"{len(failed)} of {len(samples)} failed: {failed[:5]}"
    stale = []
    for sample in samples:
        committed = [c for c in commits if c["committed"] < sample.started]
        if sample.path in watched:
            missing = {c["name"] for c in committed} - sample.names
            if missing:
                stale.append((sample.path, sample.started, sorted(missing)))
        elif sample.total is not None and sample.total < total_before + len(committed):
            stale.append((sample.path, sample.started, sample.total))
    assert not stale, f"{len(stale)} stale answers after a change: {stale[:5]}"
    after_last = [s for s in samples if s.started > commits[-1]["committed"]]
    assert len(after_last) > 50, "the load ended too soon after the last approval"
    assert len(samples) > CLIENTS * 10

    # Memory: each worker ends within 20 MB (or 15%) of what it used after the warm-up (the
    # renderings are kept in Redis, not in the workers).
    assert set(end_rss) == set(warm_rss), "a worker was restarted"
    for pid, warm in warm_rss.items():
        assert end_rss[pid] <= warm + max(20.0, warm * 0.15), (pid, warm, end_rss[pid])
    assert "Internal Server Error" not in site.log_text()
    print(
        f"\n{len(samples)} answers in about {SECONDS} s ({len(samples) / SECONDS:.0f}/s) with "
        f"{CLIENTS} clients; worker memory {warm_rss} MB after warm-up, {end_rss} MB at the end"
    )
