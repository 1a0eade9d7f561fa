"""What the fault and load tests add to the benchmark's stack (``bench/stack.py``): they run
only with ``FAULT_TESTS=1`` (``.ci/run`` and ``make faults`` set it), and without the servers
they start they skip, saying what is missing, except under CI (``CI=true``), where that is a
failure.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator

import pytest

from bench import stack
from bench.servers import PrivatePostgres, PrivateRedis, Site, free_port, postgres_bindir

# tests/jobs/test_worker.py and tests/publishing/test_purge.py take a port nothing listens on from
# here.
__all__ = ["free_port", "needs_fault_tests", "require_tools", "running_stack"]

ENABLED = os.getenv("FAULT_TESTS", "") not in ("", "0")
UNDER_CI = os.getenv("CI", "").lower() in ("1", "true", "yes")

needs_fault_tests = pytest.mark.skipif(
    not ENABLED, reason="fault and load tests run with FAULT_TESTS=1 (make faults, .ci/run)"
)


def require_tools(*, postgres: bool = False, redis: bool = False) -> None:
    """Skip (or fail, under CI) when a server these tests start is not installed."""
    missing = []
    if postgres and postgres_bindir() is None:
        missing.append("PostgreSQL server binaries (initdb, pg_ctl: apt-get install postgresql)")
    if redis and not (shutil.which("redis-server") and shutil.which("redis-cli")):
        missing.append("redis-server and redis-cli (apt-get install redis-server)")
    if missing:
        message = "missing " + "; ".join(missing)
        if UNDER_CI:
            pytest.fail(f"CI: {message}", pytrace=False)
        pytest.skip(message)


@contextlib.contextmanager
def running_stack(*, allies: int) -> Iterator[tuple[Site, PrivatePostgres, PrivateRedis]]:
    """``bench.stack.running_site``, once the servers it starts are known to be installed."""
    require_tools(postgres=True, redis=True)
    with stack.running_site(allies=allies) as running:
        yield running
