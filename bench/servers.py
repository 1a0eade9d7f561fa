"""Servers of our own on 127.0.0.1: PostgreSQL, Redis, the site under gunicorn and its worker.

Each is started in a temporary directory, on a free port, and never touches the machine's own
PostgreSQL or Redis: a throwaway cluster (initdb, trusting local connections, no fsync), a Redis
without persistence, gunicorn with the production settings (2 sync workers) and
``manage.py worker``. The benchmark and the fault tests start them (``bench/stack.py``).
"""

from __future__ import annotations

import contextlib
import glob
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.client import Answer, fetch

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


def stop_process(process: subprocess.Popen | None, timeout: float = 20) -> None:
    """Stop a server started in a session of its own, with its children; killed if it lingers."""
    if process is None or process.poll() is not None:
        return
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian keeps them out of PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


class PrivatePostgres:
    """A PostgreSQL cluster of our own, trusting local connections, in a temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.bindir = postgres_bindir()
        self.directory = directory
        self.data = directory / "data"
        self.port = free_port()
        # initdb and postgres refuse to run as root.
        self.as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []

    def _run(self, *command: str) -> None:
        result = subprocess.run(
            [*self.as_user, *command], capture_output=True, text=True, cwd=self.directory
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed:\n{result.stdout}\n{result.stderr}")

    def init(self) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if self.as_user:
            shutil.chown(self.directory, "postgres", "postgres")
        initdb = str(self.bindir / "initdb")
        self._run(
            initdb, "-D", str(self.data), "-A", "trust", "-U", "postgres", "-E", "UTF8", "--no-sync"
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        log = str(self.directory / "postgres.log")
        pg_ctl = str(self.bindir / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-o", options, "-l", log, "-w", "start")

    def stop(self) -> None:
        """Stop at once, as a crash or a failover would: every connection is cut."""
        pg_ctl = str(self.bindir / "pg_ctl")
        self._run(pg_ctl, "-D", str(self.data), "-m", "immediate", "-w", "stop")

    def running(self) -> bool:
        return listening(self.port)

    def createdb(self, name: str, *, template: str | None = None) -> str:
        """A new database (a copy of ``template`` when given: one migration for every data
        set); its URL."""
        copy = ["-T", template] if template else []
        createdb = str(self.bindir / "createdb")
        self._run(createdb, "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres", *copy, name)
        return f"postgres://postgres@127.0.0.1:{self.port}/{name}"


class PrivateRedis:
    """A Redis of our own: no persistence, on a free port."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.port = free_port()

    def start(self) -> None:
        subprocess.run(
            [
                "redis-server",
                *("--port", str(self.port), "--bind", "127.0.0.1"),
                *("--save", "", "--appendonly", "no", "--daemonize", "yes"),
                *("--dir", str(self.directory)),
                *("--pidfile", str(self.directory / "redis.pid")),
                *("--logfile", str(self.directory / "redis.log")),
            ],
            check=True,
            capture_output=True,
        )
        wait_for(self.running, "Redis to start")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        wait_for(lambda: not self.running(), "Redis to stop")

    def running(self) -> bool:
        return listening(self.port)

    def pid(self) -> int:
        # Asked of the server itself: its pid file may not be written yet right after a start.
        info = subprocess.run(
            ["redis-cli", "-p", str(self.port), "info", "server"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        return int(re.search(r"process_id:(\d+)", info).group(1))

    def url(self, db: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{db}"


class Site:
    """The application under gunicorn with production settings, on a free port."""

    def __init__(self, directory: Path, *, database_url: str, redis_url: str, **env: str) -> None:
        self.directory = directory
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.log = directory / "gunicorn.log"
        self.env = {
            **{key: value for key, value in os.environ.items() if key != "DJANGO_SETTINGS_MODULE"},
            "DEBUG": "0",
            "SECRET_KEY": "faults-" + "s" * 60,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "CACHE_KEY_PREFIX": "faults",
            "SITE_URL": f"http://127.0.0.1:{self.port}",
            "SECURE_SSL_REDIRECT": "0",
            "SESSION_COOKIE_SECURE": "0",
            "CSRF_COOKIE_SECURE": "0",
            "SECURE_HSTS_SECONDS": "0",
            "MEDIA_ROOT": str(directory / "media"),
            "STATIC_ROOT": str(directory / "static"),
            # Persistent connections: the case where a dead connection must be noticed.
            "DB_CONN_MAX_AGE": "60",
            "API_THROTTLE_PER_MINUTE": "1000000",
            "LOG_LEVEL": "WARNING",
            **env,
        }

    def _python(self, what: list[str], timeout: float) -> str:
        result = subprocess.run(
            [sys.executable, *what],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(what[:2])} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def manage(self, *args: str, timeout: float = 300) -> str:
        """``manage.py`` with this site's settings; its output."""
        return self._python(["manage.py", *args], timeout)

    def run_module(self, module: str, *args: str, timeout: float = 300) -> str:
        """``python -m module`` (one of the benchmark's programs) against this site's database;
        its output."""
        return self._python(["-m", module, *args], timeout)

    def prepare(self, *, allies: int) -> None:
        self.manage("migrate", "--noinput")
        self.manage("load_reference_data")
        self.manage("collectstatic", "--noinput")
        self.manage("bench_seed", "--allies", str(allies))

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "gunicorn", "coalition.wsgi"),
                    *("--bind", f"127.0.0.1:{self.port}", "--workers", "2", "--timeout", "60"),
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        wait_for(lambda: listening(self.port), "gunicorn to start")

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 20) -> Answer:
        """GET ``path`` from gunicorn; no answer raises."""
        return fetch(self.port, path, headers, timeout=timeout)

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        output = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True
        ).stdout
        return [int(pid) for pid in output.split()]

    def worker_rss_mb(self) -> dict[int, float]:
        sizes = {}
        for pid in self.worker_pids():
            with contextlib.suppress(OSError):
                status = Path(f"/proc/{pid}/status").read_text()
                match = re.search(r"VmRSS:\s+(\d+) kB", status)
                if match:
                    sizes[pid] = int(match.group(1)) / 1024
        return sizes

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


class Worker:
    """``manage.py worker``: does the purges (and the mail) after each commit."""

    def __init__(self, site: Site) -> None:
        self.env = site.env
        self.log = site.directory / "worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log_file:
            self.process = subprocess.Popen(
                [sys.executable, "manage.py", "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None
