"""Private servers for the fault and load tests: PostgreSQL, Redis and the site under gunicorn.

Each test that breaks something breaks its own copy: a throwaway PostgreSQL cluster (initdb into
a temporary directory, on a free port), a Redis without persistence, and gunicorn with the
production settings in front of them. The machine's own PostgreSQL and Redis are never touched.

These tests run with ``FAULT_TESTS=1`` (``.ci/run`` and ``make faults`` set it). Without the
tools they skip, saying what is missing, except under CI (``CI=true``), where that is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import http.client
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
ENABLED = os.getenv("FAULT_TESTS", "") not in ("", "0")
UNDER_CI = os.getenv("CI", "").lower() in ("1", "true", "yes")

needs_fault_tests = pytest.mark.skipif(
    not ENABLED, reason="fault and load tests run with FAULT_TESTS=1 (make faults, .ci/run)"
)


def postgres_bindir() -> Path | None:
    """Where initdb and pg_ctl are: Debian keeps them out of PATH."""
    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), reverse=True):
        if Path(candidate, "initdb").exists():
            return Path(candidate)
    initdb = shutil.which("initdb")
    return Path(initdb).parent if initdb else None


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


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0


def _wait(condition, what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise RuntimeError(f"timed out waiting for {what}")


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
        self._run(
            str(self.bindir / "initdb"),
            "-D",
            str(self.data),
            "-A",
            "trust",
            "-U",
            "postgres",
            "-E",
            "UTF8",
            "--no-sync",
        )

    def start(self) -> None:
        options = (
            f"-p {self.port} -k {self.directory} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        self._run(
            str(self.bindir / "pg_ctl"),
            "-D",
            str(self.data),
            "-o",
            options,
            "-l",
            str(self.directory / "postgres.log"),
            "-w",
            "start",
        )

    def stop(self) -> None:
        """Stop at once, as a crash or a failover would: every connection is cut."""
        self._run(
            str(self.bindir / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w", "stop"
        )

    def running(self) -> bool:
        return _listening(self.port)

    def createdb(self, name: str) -> str:
        self._run(
            str(self.bindir / "createdb"),
            "-h",
            "127.0.0.1",
            "-p",
            str(self.port),
            "-U",
            "postgres",
            name,
        )
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
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--daemonize",
                "yes",
                "--dir",
                str(self.directory),
                "--pidfile",
                str(self.directory / "redis.pid"),
                "--logfile",
                str(self.directory / "redis.log"),
            ],
            check=True,
            capture_output=True,
        )
        _wait(self.running, "Redis to start")

    def stop(self) -> None:
        subprocess.run(
            ["redis-cli", "-p", str(self.port), "shutdown", "nosave"], capture_output=True
        )
        _wait(lambda: not self.running(), "Redis to stop")

    def running(self) -> bool:
        return _listening(self.port)

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


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


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

    def manage(self, *args: str, timeout: float = 300) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {args[0]} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def shell(self, code: str) -> str:
        return self.manage("shell", "-c", code)

    def prepare(self, *, allies: int) -> None:
        self.manage("migrate", "--noinput")
        self.manage("load_reference_data")
        self.manage("collectstatic", "--noinput")
        self.manage("bench_seed", "--allies", str(allies))

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable,
                    "-m",
                    "gunicorn",
                    "coalition.wsgi",
                    "--bind",
                    f"127.0.0.1:{self.port}",
                    "--workers",
                    "2",
                    "--timeout",
                    "60",
                ],
                cwd=ROOT,
                env=self.env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )
        _wait(lambda: _listening(self.port), "gunicorn to start")

    def stop(self) -> None:
        if self.process is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None

    def get(self, path: str, headers: dict[str, str] | None = None, timeout: float = 20) -> Answer:
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            connection.request("GET", path, headers=headers or {})
            response = connection.getresponse()
            return Answer(response.status, dict(response.getheaders()), response.read())
        finally:
            connection.close()

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


def make_pending(site: Site, count: int, prefix: str) -> list[str]:
    """``count`` confirmed applications waiting for a reviewer; returns their names."""
    code = f"""
import json
from coalition import selectors
from coalition.models import Endorsement, Organization, Sector
campaign = selectors.campaign_default()
sector = Sector.objects.order_by("pk").first()
names = []
for n in range({count}):
    domain = "{prefix.lower().replace(" ", "-")}-%03d.example.org" % n
    organization = Organization.objects.create(
        name="{prefix} %03d" % n, website="https://" + domain + "/", domain=domain,
        country="DE", sector=sector,
    )
    Endorsement.objects.create(
        organization=organization, campaign=campaign, status=Endorsement.Status.PENDING,
        contact_name="Contact", contact_email="contact@" + domain,
        consent_authority=True, consent_publish=True,
    )
    names.append(organization.name)
print(json.dumps(names))
"""
    return json.loads(site.shell(code).strip().splitlines()[-1])


def approve_script(names: list[str], *, interval: float) -> str:
    """A ``manage.py shell`` script approving ``names`` one by one, printing, for each, a JSON
    line with the name and the time its approval had committed (and the version moved on)."""
    return f"""
import json, sys, time
from coalition import services
from coalition.models import Endorsement
for name in {names!r}:
    time.sleep({interval})
    endorsement = Endorsement.objects.get(organization__name=name)
    services.endorsement_approve(endorsement=endorsement, by=None)
    print(json.dumps({{"name": name, "committed": time.time()}}), flush=True)
"""


@contextlib.contextmanager
def temporary_directory():
    # Not pytest's tmp_path: the postgres user must be able to enter it.
    directory = Path(tempfile.mkdtemp(prefix="coalition-faults-"))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def running_stack(*, allies: int):
    """A private PostgreSQL and Redis, and gunicorn serving ``allies`` approved allies on them;
    everything is stopped and removed afterwards, whatever the test broke."""
    require_tools(postgres=True, redis=True)
    with temporary_directory() as directory:
        postgres = PrivatePostgres(directory / "postgres")
        redis = PrivateRedis(directory)
        site = None
        try:
            postgres.init()
            postgres.start()
            redis.start()
            site = Site(
                directory, database_url=postgres.createdb("coalition"), redis_url=redis.url()
            )
            site.prepare(allies=allies)
            site.start()
            yield site, postgres, redis
        finally:
            if site is not None:
                site.stop()
            if redis.running():
                redis.stop()
            if postgres.running():
                postgres.stop()
