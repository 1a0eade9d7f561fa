"""Load benchmark: the public pages through Varnish and straight from gunicorn, measured with wrk.

    .venv/bin/python bench/run.py            # 1,000 allies, every figure of issue 13 (make bench)
    .venv/bin/python bench/run.py --quick    # 300 allies, short runs, gross regressions only (CI)

Everything runs on 127.0.0.1 and is started, and always stopped, by the benchmark itself: a
private PostgreSQL cluster and Redis (``tests/faults.py``), gunicorn with the production settings
(2 sync workers), the background worker (``manage.py worker``, purging Varnish after commits),
two Varnish instances from the same VCL (``deploy/varnish/default.vcl``; only the backend's
address changed), one in front of gunicorn and one in front of Debian's nginx, and that nginx,
serving each measured page's body, saved from the application, as a static file with the same
headers. A page through Varnish is compared with the same bytes through the same Varnish
from nginx (a hit should cost what a static hit costs) and with nginx serving the file directly.

The phases, in order:

1. **Through Varnish**: each page at 64 and 256 connections, beside its static twin through the
   second Varnish and nginx directly, in interleaved rounds; hit ratios from ``varnishstat``.
2. **Direct to gunicorn**: each warm page against WhiteNoise serving the same bytes.
3. **Freshness under load**: 256 connections over every cached variant (``VARIANTS``) while
   approvals and withdrawals are committed, one a second; each is checked on its own, in every
   variant through Varnish, from its commit until it shows (or is gone).
4. **Faults behind Varnish**: under load, gunicorn stopped with a change committed meanwhile,
   then PostgreSQL stopped with every copy purged; every variant must keep answering 200;
   after the restarts the next change must show within 1 s.
5. **Varnish restarted**, with a change committed while it was down: its first answers must
   be the application's current ones, and it refills.
6. **Cold and warm, queries**: the API page of 500 with the cache emptied before each request
   against the same warm, every variant rendered afresh (what a change costs the backend), and
   the database queries each page makes with N and N/10 allies.

Results go to bench/results/ as Markdown and JSON. The quick mode (CI) fails only on a gross
regression: a ratio under 0.3 (0.1 direct), an error, a change not shown within 5 s, more
queries with more allies. wrk, Varnish, nginx, gunicorn and PostgreSQL share the machine's
cores; the ratios are taken between measurements made one right after the other, so other load
on the machine moves both sides of a ratio alike.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import queue
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import traceback
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.faults import (  # noqa: E402 - the private servers of the fault tests, reused
    PrivatePostgres,
    PrivateRedis,
    Site,
    free_port,
    postgres_bindir,
)

RESULTS = ROOT / "bench" / "results"
DEFAULT_VCL = ROOT / "deploy" / "varnish" / "default.vcl"
PYTHON = sys.executable
# What the shipped VCL names as its backend: the one line a deployment changes.
VCL_BACKEND_PORT = re.compile(r'(\.port\s*=\s*)"8000"')
VCL_BACKEND_HOST = re.compile(r'\.host\s*=\s*"127\.0\.0\.1"')
# The backend's health probe: nginx answers it too, or Varnish would think it down.
VCL_PROBE_PATH = re.compile(r'"(?:GET|HEAD) (/\S*) HTTP/1\.[01]"')
FRESH_PREFIX = "Aaa Fresh"  # sorts before every seeded ally: on the first page of each variant
SEEDED_FIRST = "Bench Ally 00000"  # the first seeded ally by name, and the newest approved


@dataclass(frozen=True)
class Page:
    """A page measured through Varnish and directly, beside a static file of the same bytes."""

    name: str
    path: str  # "{slug}": the default campaign
    file: str  # its static twin's file name

    def url_path(self, slug: str) -> str:
        return self.path.format(slug=slug)


PAGES = [
    Page("wall", "/", "wall.html"),
    Page("embed", "/embed/{slug}/", "embed.html"),
    Page("API list (500)", "/api/v1/allies/?page_size=500", "allies.json"),
    Page("facets", "/api/v1/facets/", "facets.json"),
    Page("wall.svg", "/campaigns/{slug}/wall.svg", "wall.svg"),
]


@dataclass(frozen=True)
class Variant:
    """A cached variant checked for freshness: ``check`` is "names" (the ally's name is in the
    body) or "country" (the facets list the ally's country, where it is the only ally)."""

    name: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    check: str = "names"

    def url_path(self, slug: str) -> str:
        return self.path.format(slug=slug)


VARIANTS = [
    Variant("wall", "/"),
    Variant("wall (fr)", "/fr/"),
    Variant("wall (de)", "/de/"),
    Variant("embed", "/embed/{slug}/"),
    Variant("embed, Accept-Language: fr", "/embed/{slug}/", (("Accept-Language", "fr"),)),
    Variant("embed, language cookie de", "/embed/{slug}/", (("Cookie", "coalition_language=de"),)),
    Variant("embed ?lang=de&theme=dark", "/embed/{slug}/?lang=de&theme=dark"),
    Variant("API list (500)", "/api/v1/allies/?page_size=500"),
    Variant("API list (50)", "/api/v1/allies/"),
    Variant("API list ?lang=fr", "/api/v1/allies/?lang=fr"),
    Variant("facets", "/api/v1/facets/", check="country"),
    Variant("facets ?lang=de", "/api/v1/facets/?lang=de", check="country"),
    Variant("wall.svg", "/campaigns/{slug}/wall.svg"),
    Variant("wall.svg ?theme=dark", "/campaigns/{slug}/wall.svg?theme=dark"),
    Variant("feed", "/campaigns/{slug}/feed/"),
]


@dataclass(frozen=True)
class Mode:
    quick: bool
    allies: int
    seconds: int  # each wrk measurement
    rounds: int
    connections: tuple[int, ...]
    direct_connections: int
    approvals: int
    withdrawals: int
    change_interval: float  # seconds between two changes
    fault_seconds: int
    sequential: int  # cold and warm samples
    # Targets (full) or gross-regression thresholds (quick).
    varnish_ratio: float
    direct_ratio: float
    p99_ms: float | None
    hit_ratio: float
    fresh_seconds: float
    cold_factor: float


FULL = Mode(
    quick=False,
    allies=1000,
    seconds=3,
    rounds=2,
    connections=(64, 256),
    direct_connections=32,
    approvals=50,
    withdrawals=10,
    change_interval=1.0,
    fault_seconds=30,
    sequential=25,
    varnish_ratio=0.9,
    direct_ratio=0.3,
    p99_ms=25.0,
    hit_ratio=0.99,
    fresh_seconds=1.0,
    cold_factor=10.0,
)
QUICK = Mode(
    quick=True,
    allies=300,
    seconds=1,
    rounds=1,
    connections=(64, 256),
    direct_connections=32,
    approvals=5,
    withdrawals=1,
    change_interval=1.0,
    fault_seconds=5,
    sequential=8,
    varnish_ratio=0.3,
    direct_ratio=0.1,
    p99_ms=None,
    hit_ratio=0.9,
    fresh_seconds=5.0,
    cold_factor=60.0,
)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


# Tools ------------------------------------------------------------------------------------------

PACKAGES = {"wrk": "wrk", "varnishd": "varnish", "nginx": "nginx"}


def ensure_tools() -> None:
    """Install wrk, Varnish (with its modules: the VCL uses xkey) and nginx when missing."""
    missing = [package for tool, package in PACKAGES.items() if not shutil.which(tool)]
    if not list(Path("/usr/lib").glob("*/varnish/vmods/libvmod_xkey.so")):
        missing.append("varnish-modules")
    if missing:
        log(f"installing {' '.join(missing)} from Debian's packages")
        env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
        command = ["apt-get", "install", "-y", "-qq", *missing]
        if subprocess.run(command, env=env).returncode != 0:
            subprocess.run(["apt-get", "update", "-qq"], env=env, check=True)
            subprocess.run(command, env=env, check=True)
    if postgres_bindir() is None or not shutil.which("redis-server"):
        raise SystemExit("bench: needs PostgreSQL's server binaries and redis-server (apt-get)")


# HTTP -------------------------------------------------------------------------------------------


@dataclass
class Answer:
    status: int  # 0: no answer
    headers: dict[str, str]  # names in lower case
    body: bytes
    raw_headers: list[tuple[str, str]] = field(default_factory=list)  # as sent


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Answer:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        raw = response.getheaders()
        return Answer(response.status, {k.lower(): v for k, v in raw}, response.read(), raw)
    except (OSError, http.client.HTTPException):
        return Answer(0, {}, b"")
    finally:
        connection.close()


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


# Servers ----------------------------------------------------------------------------------------


class Varnish:
    """One varnishd of our own, in the foreground, from the VCL with its backend moved."""

    def __init__(self, directory: Path, name: str, vcl: str, backend_port: int) -> None:
        self.workdir = directory / f"varnish-{name}"
        self.workdir.mkdir(parents=True, exist_ok=True)
        self.workdir.chmod(0o755)
        self.vcl = directory / f"{name}.vcl"
        self.vcl.write_text(VCL_BACKEND_PORT.sub(rf'\g<1>"{backend_port}"', vcl, count=1))
        self.vcl.chmod(0o644)
        self.port = free_port()
        self.log = directory / f"varnish-{name}.log"
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> None:
        with self.log.open("ab") as log_file:
            self.process = subprocess.Popen(
                [
                    "varnishd",
                    "-F",
                    "-n",
                    str(self.workdir),
                    "-a",
                    f"127.0.0.1:{self.port}",
                    "-T",
                    f"127.0.0.1:{free_port()}",
                    "-f",
                    str(self.vcl),
                    "-s",
                    "malloc,256m",
                ],
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )
        wait_for(lambda: listening(self.port) or self.process.poll() is not None, "Varnish")
        if self.process.poll() is not None:
            raise RuntimeError(f"varnishd did not start:\n{self.log.read_text()[-3000:]}")

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None

    def healthy(self) -> bool:
        """Whether the VCL's health probe finds the backend up (a sick one gets no fetches)."""
        listing = subprocess.run(
            ["varnishadm", "-n", str(self.workdir), "backend.list"],
            capture_output=True,
            text=True,
            timeout=15,
        ).stdout
        return bool(re.search(r"\b(healthy|Healthy)\b", listing)) and "sick" not in listing

    def wait_healthy(self, timeout: float = 30) -> None:
        wait_for(self.healthy, "Varnish to find its backend healthy", timeout)

    def counters(self) -> dict[str, int]:
        output = subprocess.run(
            ["varnishstat", "-n", str(self.workdir), "-1", "-j"],
            capture_output=True,
            text=True,
            timeout=15,
        ).stdout
        data = json.loads(output or "{}")
        table = data.get("counters", data)
        return {
            name: value["value"]
            for name, value in table.items()
            if isinstance(value, dict) and "value" in value
        }


def hit_ratio(before: dict[str, int], after: dict[str, int]) -> float:
    """Hits (grace hits included) over client requests between two ``counters()``."""
    requests = after.get("MAIN.client_req", 0) - before.get("MAIN.client_req", 0)
    hits = after.get("MAIN.cache_hit", 0) - before.get("MAIN.cache_hit", 0)
    return hits / requests if requests else 0.0


# Headers a static twin must not copy: nginx makes its own, or they describe one response only.
_NOT_COPIED = frozenset(
    (
        "date",
        "server",
        "content-length",
        "content-type",
        "connection",
        "keep-alive",
        "transfer-encoding",
        "etag",
        "last-modified",
        "accept-ranges",
        "age",
        "via",
        "x-varnish",
        "x-cache",
        "set-cookie",
    )
)


def _nginx_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Nginx:
    """Debian's nginx, serving each page's saved body at the page's own path with the page's
    own headers, from a configuration in a temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "nginx"
        self.files = self.directory / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        for part in (self.directory, self.files):
            part.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.locations: list[str] = []

    def add(self, path: str, file: str, answer: Answer) -> None:
        body, headers, raw_headers = answer.body, answer.headers, answer.raw_headers
        (self.files / file).write_bytes(body)
        (self.files / file).chmod(0o644)
        lines = [
            f"location = {path.split('?', 1)[0]} {{",
            "  types { }",
            f"  default_type {_nginx_quoted(headers.get('content-type', 'text/html'))};",
        ]
        for name, value in raw_headers:
            # nginx would read a "$" as a variable, and has no escape for it.
            if name.lower() not in _NOT_COPIED and "$" not in value:
                lines.append(f"  add_header {name} {_nginx_quoted(value)} always;")
        lines += [f"  try_files /{file} =404;", "}"]
        self.locations.append("\n".join(lines))

    def start(self) -> None:
        temp = self.directory / "temp"
        temp.mkdir(exist_ok=True)
        config = self.directory / "nginx.conf"
        locations = "\n".join(self.locations)
        config.write_text(
            f"""daemon off;
worker_processes 2;
pid {self.directory}/nginx.pid;
error_log {self.directory}/error.log warn;
events {{ worker_connections 4096; }}
http {{
  access_log off;
  sendfile on;
  tcp_nopush on;
  keepalive_requests 1000000;
  client_body_temp_path {temp}/body;
  proxy_temp_path {temp}/proxy;
  fastcgi_temp_path {temp}/fastcgi;
  uwsgi_temp_path {temp}/uwsgi;
  scgi_temp_path {temp}/scgi;
  server {{
    listen 127.0.0.1:{self.port} backlog=4096;
    root {self.files};
{locations}
  }}
}}
"""
        )
        with (self.directory / "stderr.log").open("ab") as log_file:
            self.process = subprocess.Popen(
                [
                    "nginx",
                    "-c",
                    str(config),
                    "-p",
                    str(self.directory),
                    "-e",
                    str(self.directory / "error.log"),
                ],
                stdout=subprocess.DEVNULL,
                stderr=log_file,
                start_new_session=True,
            )
        wait_for(lambda: listening(self.port) or self.process.poll() is not None, "nginx")
        if self.process.poll() is not None:
            raise RuntimeError(
                "nginx did not start:\n" + (self.directory / "stderr.log").read_text()
            )

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


class Worker:
    """``manage.py worker``: does the purges (and the mail) after each commit."""

    def __init__(self, site: Site) -> None:
        self.env = site.env
        self.log = site.directory / "worker.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("ab") as log_file:
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", "worker"],
                cwd=ROOT,
                env=self.env,
                stdout=log_file,
                stderr=log_file,
                start_new_session=True,
            )

    def stop(self) -> None:
        stop_process(self.process)
        self.process = None


# wrk --------------------------------------------------------------------------------------------

_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def wrk_command(url: str, *, connections: int, seconds: int, script: Path | None) -> list[str]:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    if script is not None:
        command += ["-s", str(script)]
    return [*command, url]


def parse_wrk(output: str) -> dict:
    def number(pattern: str, default: float = 0.0) -> float:
        match = re.search(pattern, output, re.MULTILINE)
        return float(match.group(1)) if match else default

    # Anchored: the "+/- Stdev" columns end in "%" too.
    latency = {
        quantile: _ms(match.group(1))
        for quantile in ("50", "99")
        if (match := re.search(rf"^\s+{quantile}%\s+(\S+)", output, re.MULTILINE))
    }
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    if "Requests/sec" not in output:
        raise RuntimeError(f"wrk gave no result:\n{output}")
    return {
        "rps": number(r"Requests/sec:\s+([\d.]+)"),
        "requests": int(number(r"(\d+) requests in")),
        "p50_ms": latency.get("50", float("nan")),
        "p99_ms": latency.get("99", float("nan")),
        "non_2xx_3xx": int(number(r"Non-2xx or 3xx responses: (\d+)")),
        "socket_errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def wrk(url: str, *, connections: int, seconds: int) -> dict:
    command = wrk_command(url, connections=connections, seconds=seconds, script=None)
    result = subprocess.run(command, capture_output=True, text=True, timeout=seconds + 30)
    return parse_wrk(result.stdout)


def mixed_script(directory: Path, slug: str) -> Path:
    """A wrk script going round every cached variant, each connection from its own start."""
    specs = []
    for variant in VARIANTS:
        headers = ", ".join(f'["{name}"] = "{value}"' for name, value in variant.headers)
        specs.append(f'  {{ "{variant.url_path(slug)}", {{ {headers} }} }},')
    script = directory / "mixed.lua"
    script.write_text(
        "local specs = {\n"
        + "\n".join(specs)
        + """
}
local requests = {}
local turn = 0
init = function(args)
  for i, spec in ipairs(specs) do
    local headers = {}
    for name, value in pairs(spec[2]) do headers[name] = value end
    requests[i] = wrk.format("GET", spec[1], headers)
  end
  turn = math.random(#requests)
end
request = function()
  turn = turn % #requests + 1
  return requests[turn]
end
"""
    )
    return script


class Load:
    """wrk over every variant, in the background, until ``stop()`` (SIGINT: wrk then reports)."""

    def __init__(self, url: str, script: Path, *, connections: int, longest: int) -> None:
        self.command = wrk_command(url, connections=connections, seconds=longest, script=script)
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Load:
        self.process = subprocess.Popen(
            self.command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
        )
        return self

    def stop(self) -> dict:
        assert self.process is not None
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGINT)
        try:
            output, _errors = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            output, _errors = self.process.communicate()
        return parse_wrk(output)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()


# The stack --------------------------------------------------------------------------------------


@dataclass
class Stack:
    directory: Path
    postgres: PrivatePostgres
    redis: PrivateRedis
    site: Site
    small_database_url: str
    worker: Worker
    varnish: Varnish  # in front of gunicorn
    static_varnish: Varnish  # in front of nginx
    nginx: Nginx
    slug: str = ""


CHANGER = r"""
import json, sys, time
from django.db import transaction
from coalition import services
from coalition.models import Endorsement
for line in sys.stdin:
    action, name = line.rstrip("\n").split(" ", 1)
    stamp = []
    with transaction.atomic():
        # Registered first, so it runs first on commit: before the service's own callbacks
        # (the version bump, the purge), which the measured delay includes.
        transaction.on_commit(lambda: stamp.append(time.time()))
        if action == "approve":
            endorsement = Endorsement.objects.get(organization__name=name)
            services.endorsement_approve(endorsement=endorsement, by=None)
        elif action == "withdraw":
            endorsement = Endorsement.objects.get(organization__name=name)
            services.endorsement_withdraw(endorsement=endorsement)
    print("COMMITTED", json.dumps({"name": name, "committed": stamp[0]}), flush=True)
"""


class Changer:
    """One ``manage.py shell`` approving and withdrawing on request: no start-up per change.
    Each answer is the time the change had committed."""

    TIMEOUT = 60  # seconds for one change, Django's start-up included

    def __init__(self, site: Site) -> None:
        with (site.directory / "changer.log").open("ab") as log_file:
            self.process = subprocess.Popen(
                [PYTHON, "manage.py", "shell", "-c", CHANGER],
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
            if line.startswith("COMMITTED "):  # the shell may print other things first
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


def createdb_from(postgres: PrivatePostgres, template: str, name: str) -> str:
    """A copy of the migrated template database: one migration for every data set."""
    command = ["createdb", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres"]
    subprocess.run([*command, "-T", template, name], check=True, capture_output=True)
    return f"postgres://postgres@127.0.0.1:{postgres.port}/{name}"


@contextlib.contextmanager
def running_stack(mode: Mode, vcl: str) -> Iterator[Stack]:
    directory = Path(tempfile.mkdtemp(prefix="coalition-bench-"))
    directory.chmod(0o755)  # the postgres, varnish and nginx users enter it
    postgres = PrivatePostgres(directory / "postgres")
    redis = PrivateRedis(directory)
    processes: list[Callable[[], None]] = []
    try:
        log(f"private PostgreSQL and Redis in {directory}")
        postgres.init()
        postgres.start()
        processes.append(lambda: postgres.running() and postgres.stop())
        redis.start()
        processes.append(lambda: redis.running() and redis.stop())
        varnish_port = free_port()
        template = Site(
            directory, database_url=postgres.createdb("coalition_template"), redis_url=redis.url(2)
        )
        log("migrating the template database, collecting static files")
        template.manage("migrate", "--noinput")
        template.manage("load_reference_data")
        template.manage("collectstatic", "--noinput")
        main_url = createdb_from(postgres, "coalition_template", "coalition")
        small_url = createdb_from(postgres, "coalition_template", "coalition_small")
        # The public address is Varnish's: every absolute link in a rendering names it.
        # Every process that commits a change purges Varnish right after (coalition/purge.py);
        # the worker retries what failed.
        public = {
            "SITE_URL": f"http://127.0.0.1:{varnish_port}",
            "HTTP_CACHE_PURGE_URLS": f"http://127.0.0.1:{varnish_port}",
            "API_THROTTLE_PER_MINUTE": "100000000",
        }
        site = Site(directory, database_url=main_url, redis_url=redis.url(0), **public)
        small = Site(directory, database_url=small_url, redis_url=redis.url(1), **public)
        log(site.manage("bench_seed", "--allies", str(mode.allies)).strip())
        small.manage("bench_seed", "--allies", str(mode.allies // 10))
        start_gunicorn(site)
        processes.append(site.stop)
        varnish = Varnish(directory, "app", vcl, site.port)
        varnish.port = varnish_port
        varnish.start()
        processes.append(varnish.stop)
        worker = Worker(site)
        worker.start()
        processes.append(worker.stop)
        nginx = Nginx(directory)
        stack = Stack(
            directory=directory,
            postgres=postgres,
            redis=redis,
            site=site,
            small_database_url=small_url,
            worker=worker,
            varnish=varnish,
            static_varnish=Varnish(directory, "static", vcl, nginx.port),
            nginx=nginx,
        )
        campaigns = json.loads(get(site.port, "/api/v1/campaigns/").body)
        stack.slug = (
            campaigns[0]["slug"] if isinstance(campaigns, list) else campaigns["results"][0]["slug"]
        )
        probe = VCL_PROBE_PATH.search(vcl)
        save_static_twins(stack, probe.group(1) if probe else None)
        nginx.start()
        processes.append(nginx.stop)
        stack.static_varnish.start()
        processes.append(stack.static_varnish.stop)
        # WhiteNoise finds the new files in STATIC_ROOT when it starts.
        restart_gunicorn(site)
        varnish.wait_healthy()
        stack.static_varnish.wait_healthy()
        yield stack
    finally:
        for stop in reversed(processes):
            try:
                stop()
            except Exception as error:  # noqa: BLE001 - stop the rest whatever one did
                log(f"while stopping: {error}")
        shutil.rmtree(directory, ignore_errors=True)


def start_gunicorn(site: Site) -> None:
    """Start gunicorn and wait for its workers to answer, not just for its socket."""
    site.start()
    wait_for(lambda: get(site.port, "/api/v1/campaigns/").status == 200, "gunicorn", 60)


def restart_gunicorn(site: Site) -> None:
    site.stop()
    start_gunicorn(site)


def save_static_twins(stack: Stack, probe: str | None) -> None:
    """Each page's body and headers as the application serves it: a file for nginx (at the
    page's own path) and one for WhiteNoise (under /static/bench/); and the file the VCL's
    health probe asks for."""
    if probe is not None:
        answer = get(stack.site.port, probe)
        if answer.status != 200:
            raise RuntimeError(f"the VCL's probe path {probe} answered {answer.status}")
        stack.nginx.add(probe, "probe" + Path(probe).suffix, answer)
    whitenoise = Path(stack.site.env["STATIC_ROOT"]) / "bench"
    whitenoise.mkdir(parents=True, exist_ok=True)
    for page in PAGES:
        path = page.url_path(stack.slug)
        answer = get(stack.site.port, path, timeout=60)
        if answer.status != 200:
            raise RuntimeError(f"{path} answered {answer.status}")
        stack.nginx.add(path, page.file, answer)
        (whitenoise / page.file).write_bytes(answer.body)


# 1. Through Varnish -----------------------------------------------------------------------------


@dataclass
class Figure:
    page: str
    path: str
    bytes: int
    connections: int
    rps: float  # through Varnish from the application, median over the rounds
    static_rps: float  # the same bytes through the same Varnish from nginx
    nginx_rps: float  # nginx serving the file directly
    ratio_static: float  # rps / static_rps, median of the rounds' ratios
    ratio_nginx: float
    static_ratio_nginx: float  # Varnish's own ceiling: static_rps / nginx_rps
    p50_ms: float
    p99_ms: float
    static_p99_ms: float
    hit_ratio: float  # the application's Varnish during its runs (lowest round)
    static_hit_ratio: float
    errors: int  # non-2xx/3xx and socket errors, every round, the three targets
    rounds: list[dict] = field(default_factory=list)


def through_varnish(stack: Stack, mode: Mode) -> list[Figure]:
    targets = {
        "app": (stack.varnish, stack.varnish.port),
        "static": (stack.static_varnish, stack.static_varnish.port),
        "nginx": (None, stack.nginx.port),
    }
    sizes = {}
    for page in PAGES:
        path = page.url_path(stack.slug)
        for name, (_varnish, port) in targets.items():
            answer = get(port, path)  # fills the caches
            if answer.status != 200:
                raise RuntimeError(f"{path} ({name}, port {port}) answered {answer.status}")
            sizes[page.name] = len(answer.body)
    # Varnish grows its thread pools for 256 connections once, before anything is measured.
    for _varnish, port in targets.values():
        wrk(f"http://127.0.0.1:{port}{PAGES[1].url_path(stack.slug)}", connections=256, seconds=1)
    samples: dict[tuple[str, int], list[dict]] = {}
    for number in range(1, mode.rounds + 1):
        # The order alternates between rounds, so that a drift in the machine's load favours
        # neither side of a ratio.
        order = ["app", "static", "nginx"] if number % 2 else ["nginx", "static", "app"]
        for connections in mode.connections:
            for page in PAGES:
                path = page.url_path(stack.slug)
                result: dict[str, dict] = {}
                for name in order:
                    varnish, port = targets[name]
                    before = varnish.counters() if varnish else {}
                    result[name] = wrk(
                        f"http://127.0.0.1:{port}{path}",
                        connections=connections,
                        seconds=mode.seconds,
                    )
                    if varnish:
                        result[name]["hit_ratio"] = hit_ratio(before, varnish.counters())
                samples.setdefault((page.name, connections), []).append(result)
                log(
                    f"  round {number} {page.name:15} c={connections:3}: "
                    f"app {result['app']['rps']:7.0f}/s, static {result['static']['rps']:7.0f}/s, "
                    f"nginx {result['nginx']['rps']:7.0f}/s "
                    f"({result['app']['rps'] / max(result['static']['rps'], 1):.2f}× static); "
                    f"app p99 {result['app']['p99_ms']:.1f} ms, "
                    f"hits {result['app']['hit_ratio']:.1%}"
                )
    figures = []
    for page in PAGES:
        for connections in mode.connections:
            rounds = samples[(page.name, connections)]

            def median(target: str, key: str, rounds: list[dict] = rounds) -> float:
                return statistics.median(r[target][key] for r in rounds)

            def ratio(a: str, b: str, rounds: list[dict] = rounds) -> float:
                return statistics.median(r[a]["rps"] / max(r[b]["rps"], 1) for r in rounds)

            figures.append(
                Figure(
                    page=page.name,
                    path=page.url_path(stack.slug),
                    bytes=sizes[page.name],
                    connections=connections,
                    rps=round(median("app", "rps"), 1),
                    static_rps=round(median("static", "rps"), 1),
                    nginx_rps=round(median("nginx", "rps"), 1),
                    ratio_static=round(ratio("app", "static"), 3),
                    ratio_nginx=round(ratio("app", "nginx"), 3),
                    static_ratio_nginx=round(ratio("static", "nginx"), 3),
                    p50_ms=round(median("app", "p50_ms"), 2),
                    p99_ms=round(median("app", "p99_ms"), 2),
                    static_p99_ms=round(median("static", "p99_ms"), 2),
                    hit_ratio=round(min(r["app"]["hit_ratio"] for r in rounds), 4),
                    static_hit_ratio=round(min(r["static"]["hit_ratio"] for r in rounds), 4),
                    errors=sum(
                        r[t]["non_2xx_3xx"] + r[t]["socket_errors"] for r in rounds for t in r
                    ),
                    rounds=rounds,
                )
            )
    return figures


# 2. Direct to gunicorn --------------------------------------------------------------------------


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
                result[name] = wrk(
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


# 3. Freshness -----------------------------------------------------------------------------------

PENDING = r"""
import json
from django_countries import countries
from coalition import selectors
from coalition.models import Endorsement, Organization, Sector
campaign = selectors.campaign_default()
sector = Sector.objects.order_by("pk").first()
taken = set(Organization.objects.values_list("country", flat=True))
free = [code for code, _name in countries if code not in taken]
made = []
for n in range(COUNT):
    name = "%s %03d" % (PREFIX, n)
    domain = "%s-%03d.example.org" % (PREFIX.lower().replace(" ", "-"), n)
    organization = Organization.objects.create(
        name=name, website="https://" + domain + "/", domain=domain, country=free[n],
        sector=sector,
    )
    Endorsement.objects.create(
        organization=organization, campaign=campaign, status=Endorsement.Status.PENDING,
        contact_name="Contact", contact_email="contact@" + domain,
        consent_authority=True, consent_publish=True,
    )
    made.append([name, free[n]])
print("PENDING", json.dumps(made))
"""


def make_pending(stack: Stack, count: int, prefix: str) -> list[tuple[str, str]]:
    """``count`` applications waiting for a reviewer, each from a country no other ally is in
    (so that the facets show it by its country alone); their names and countries."""
    code = PENDING.replace("COUNT", str(count)).replace("PREFIX", repr(prefix))
    output = stack.site.shell(code)
    line = next(line for line in output.splitlines() if line.startswith("PENDING "))
    return [(name, country) for name, country in json.loads(line.split(" ", 1)[1])]


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
    fresh = make_pending(stack, mode.approvals, FRESH_PREFIX)
    check_variants(stack)
    checker = Checker(stack, timeout=max(5.0, mode.fresh_seconds * 2))
    changer = Changer(stack.site)
    changer.do("ping", "-")
    changes: list[Change] = []
    running: dict[int, list[Future]] = {}
    script = mixed_script(stack.directory, stack.slug)
    steps = plan(mode.approvals, mode.withdrawals)
    before = stack.varnish.counters()
    try:
        with Load(stack.varnish.url, script, connections=256, longest=600) as load:
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


# 4. Faults behind Varnish -----------------------------------------------------------------------


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


def purge(stack: Stack, keys: list[str]) -> int:
    """What the worker sends after a change (coalition/purge.py): a soft purge by xkey."""
    connection = http.client.HTTPConnection("127.0.0.1", stack.varnish.port, timeout=10)
    try:
        connection.request("PURGE", "/", headers={"xkey-purge": " ".join(keys)})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def faults(stack: Stack, mode: Mode) -> Faults:
    """Under load, gunicorn stopped with a change committed meanwhile (Varnish is purged: every
    copy is stale and the backend down), then PostgreSQL stopped with every copy purged
    (gunicorn answers from its own last good copies, or fails); then one more change."""
    pending = make_pending(stack, 2, "Aaa Faults")
    # "site" names every public response (coalition/cache_keys.py).
    keys = cache_keys(stack) or ["site"]
    script = mixed_script(stack.directory, stack.slug)
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
        with Load(stack.varnish.url, script, connections=64, longest=600) as load:
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
                lambda: f" (answered {purge(stack, keys)})",
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


# 5. Varnish restarted ---------------------------------------------------------------------------


@dataclass
class Restart:
    change_while_down: str
    first_answers_current: bool  # every variant's first answer is the application's current one
    stale: list[str]  # variants whose first answer was not
    refilled_seconds: float | None  # until every variant was answered from the cache
    refill_hit_ratio: float  # a burst of load right after


def varnish_restart(stack: Stack, mode: Mode) -> Restart:
    change = Change("approve", *make_pending(stack, 1, "Aaa While Down")[0])
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
    wrk(
        stack.varnish.url,
        connections=64,
        seconds=max(1, mode.seconds // 2),
    )  # "/" alone
    refill = hit_ratio(before, stack.varnish.counters())
    return Restart(
        change_while_down=f"approve {change.name}",
        first_answers_current=not stale,
        stale=stale,
        refilled_seconds=refilled_at,
        refill_hit_ratio=round(refill, 4),
    )


# 6. Cold and warm, queries ----------------------------------------------------------------------

QUERY_COUNTER = r"""
import json
from django.core.cache import cache
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
client = Client(HTTP_HOST="127.0.0.1")
counts = {}
for path in PATHS:
    cache.clear()
    with CaptureQueriesContext(connection) as cold:
        status = client.get(path).status_code
    assert status == 200, (path, status)
    with CaptureQueriesContext(connection) as warm:
        client.get(path)
    counts[path] = {"cold": len(cold), "warm": len(warm)}
print(json.dumps(counts))
"""


@dataclass
class ColdWarm:
    allies: int
    cold_p50_ms: float
    warm_p50_ms: float
    factor: float
    queries: dict[str, dict[str, dict[str, int]]]  # allies -> path -> cold/warm
    queries_constant: bool
    # Every variant rendered afresh, one after another, as after a change: what a change costs
    # the backend before it shows everywhere (median of three).
    rerender_ms: dict[str, float] = field(default_factory=dict)


def cold_and_queries(stack: Stack, mode: Mode) -> ColdWarm:
    import redis  # the application's own client, from the virtualenv

    path = PAGES[2].url_path(stack.slug)
    client = redis.Redis(host="127.0.0.1", port=stack.redis.port, db=0)
    cold, warm = [], []
    for _ in range(mode.sequential):
        client.flushdb()
        started = time.perf_counter()
        answer = get(stack.site.port, path, timeout=60)
        cold.append((time.perf_counter() - started) * 1000)
        started = time.perf_counter()
        answer = get(stack.site.port, path, timeout=60)
        warm.append((time.perf_counter() - started) * 1000)
        assert answer.status == 200, answer.status
    rerender: dict[str, list[float]] = {variant.name: [] for variant in VARIANTS}
    for _ in range(3):
        client.flushdb()
        for variant in VARIANTS:
            started = time.perf_counter()
            get(stack.site.port, variant.url_path(stack.slug), dict(variant.headers), timeout=60)
            rerender[variant.name].append((time.perf_counter() - started) * 1000)
    client.close()
    paths = [page.url_path(stack.slug) for page in PAGES]
    code = QUERY_COUNTER.replace("PATHS", repr(paths))
    queries = {}
    for allies, database_url, db in (
        (mode.allies, stack.site.env["DATABASE_URL"], 0),
        (mode.allies // 10, stack.small_database_url, 1),
    ):
        site = Site(
            stack.directory,
            database_url=database_url,
            redis_url=stack.redis.url(db),
            SITE_URL=stack.site.env["SITE_URL"],
        )
        queries[str(allies)] = json.loads(site.shell(code).strip().splitlines()[-1])
    counts = list(queries.values())
    return ColdWarm(
        allies=mode.allies,
        cold_p50_ms=round(statistics.median(cold), 2),
        warm_p50_ms=round(statistics.median(warm), 2),
        factor=round(statistics.median(cold) / max(statistics.median(warm), 0.001), 1),
        queries=queries,
        queries_constant=counts[0] == counts[1],
        rerender_ms={name: round(statistics.median(times), 1) for name, times in rerender.items()},
    )


# Verdicts and the report ------------------------------------------------------------------------


@dataclass
class ImageSizes:
    """The sizes of ``wall.svg`` and ``wall.png`` with every ally the images draw."""

    drawn: int  # allies drawn (the images stop at their cap)
    bytes: dict[str, int]  # path -> body size


# What newsletters and README image proxies carry well (issue 16).
IMAGE_MAX_BYTES = 1_000_000


def image_sizes(stack: Stack, mode: Mode) -> ImageSizes:
    sizes: dict[str, int] = {}
    drawn = 0
    for path in (
        "/campaigns/{slug}/wall.svg",
        "/campaigns/{slug}/wall.png",
        "/campaigns/{slug}/wall.svg?theme=dark",
        "/campaigns/{slug}/wall.png?theme=campaign",
    ):
        answer = get(stack.site.port, path.format(slug=stack.slug), timeout=60)
        assert answer.status == 200, (path, answer.status)
        sizes[path.format(slug="<slug>")] = len(answer.body)
        if path.endswith("wall.svg"):
            # One group a tile: what the image draws, up to its cap.
            tree = ET.fromstring(answer.body)  # noqa: S314 - our own application's output
            drawn = len(tree.findall("{http://www.w3.org/2000/svg}g"))
    return ImageSizes(drawn=drawn, bytes=sizes)


@dataclass
class Report:
    when: str
    kind: str
    machine: str
    seconds: float = 0.0
    vcl: str = ""
    allies: int = 0
    varnish: list[Figure] = field(default_factory=list)
    direct: list[DirectFigure] = field(default_factory=list)
    freshness: Freshness | None = None
    faults: Faults | None = None
    restart: Restart | None = None
    cold: ColdWarm | None = None
    images: ImageSizes | None = None
    failures: list[str] = field(default_factory=list)  # phases that could not finish
    checks: list[tuple[str, bool]] = field(default_factory=list)


def verdicts(report: Report, mode: Mode) -> list[tuple[str, bool]]:
    checks: list[tuple[str, bool]] = [
        (f"finished: {failure}", False) for failure in report.failures
    ]
    for f in report.varnish:
        label = f"{f.page} through Varnish, c={f.connections}"
        checks.append(
            (
                f"{label}: ≥ {mode.varnish_ratio}× static through Varnish ({f.ratio_static:.2f}×)",
                f.ratio_static >= mode.varnish_ratio,
            )
        )
        if mode.p99_ms is not None and f.connections == max(mode.connections):
            checks.append(
                (f"{label}: p99 ≤ {mode.p99_ms:g} ms ({f.p99_ms:.1f} ms)", f.p99_ms <= mode.p99_ms)
            )
        checks.append(
            (
                f"{label}: hit ratio ≥ {mode.hit_ratio:.0%} ({f.hit_ratio:.2%})",
                f.hit_ratio >= mode.hit_ratio,
            )
        )
        checks.append((f"{label}: no errors ({f.errors})", f.errors == 0))
    for d in report.direct:
        checks.append(
            (
                f"{d.page} direct: ≥ {mode.direct_ratio}× WhiteNoise ({d.ratio:.2f}×)",
                d.ratio >= mode.direct_ratio,
            )
        )
        checks.append((f"{d.page} direct: no errors ({d.errors})", d.errors == 0))
    if report.freshness is not None:
        fr = report.freshness
        worst = "never" if fr.worst_seconds is None else f"{fr.worst_seconds:.2f} s"
        checks.append(
            (
                f"freshness: every change in every variant within {mode.fresh_seconds:g} s "
                f"(worst {worst})",
                fr.worst_seconds is not None and fr.worst_seconds <= mode.fresh_seconds,
            )
        )
        errors = fr.load["non_2xx_3xx"] + fr.load["socket_errors"] + sum(fr.bad_statuses.values())
        checks.append((f"freshness: no errors under load ({errors})", errors == 0))
        checks.append(("freshness: the final state shows everywhere", fr.final_state_ok))
    if report.faults is not None:
        fa = report.faults
        for p in fa.phases:
            checks.append(
                (
                    f"{p.name}: every page answers 200 ({sum(p.not_200.values())} did not)",
                    not p.not_200,
                )
            )
        errors = fa.load["non_2xx_3xx"] + fa.load["socket_errors"]
        checks.append((f"faults: no errors under load ({errors})", errors == 0))
        after = fa.change_after_restart_seconds
        checks.append(
            (
                f"after the restarts the next change shows within {mode.fresh_seconds:g} s "
                f"({'never' if after is None else f'{after:.2f} s'})",
                after is not None and after <= mode.fresh_seconds,
            )
        )
    if report.restart is not None:
        r = report.restart
        checks.append(
            (
                f"Varnish restarted: nothing stale served ({', '.join(r.stale) or 'none'})",
                r.first_answers_current,
            )
        )
        checks.append(
            (
                "Varnish restarted: it refills (every variant a hit within 10 s)",
                r.refilled_seconds is not None,
            )
        )
    if report.cold is not None:
        c = report.cold
        checks.append(
            (
                f"cold API page ≤ {mode.cold_factor:g}× warm ({c.factor:.1f}×)",
                c.factor <= mode.cold_factor,
            )
        )
        checks.append(("queries per request constant in N", c.queries_constant))
    if report.images is not None:
        for path, size in report.images.bytes.items():
            checks.append(
                (
                    f"{path} with {report.images.drawn} allies < 1 MB ({size:,} bytes)",
                    size < IMAGE_MAX_BYTES,
                )
            )
    return checks


def freshness_summary(fr: Freshness, mode: Mode) -> str:
    target = mode.fresh_seconds
    seen = [t for c in fr.changes for t in c.seconds.values() if t is not None]
    every = [t for c in fr.changes for t in c.seconds.values()]
    within = sum(1 for c in fr.changes if c.worst is not None and c.worst <= target)
    never = sum(1 for t in every if t is None)
    return (
        f"{within} of {len(fr.changes)} changes showed in every variant within {target:g} s, "
        f"and {sum(t <= target for t in seen) / max(len(every), 1):.0%} of the "
        f"{len(every)} (change, variant) pairs; the slowest pair that showed took "
        f"{max(seen, default=0.0):.2f} s; {never} never showed within the check's "
        f"{max(5.0, target * 2):g} s."
    )


def markdown(report: Report, mode: Mode) -> str:
    lines = [
        f"## Benchmark {report.when} ({report.kind}, {report.machine}, {report.seconds:.0f} s, "
        f"{report.allies:,} allies, VCL {report.vcl})",
        "",
        f"### Through Varnish (wrk, 2 threads, {mode.rounds}×{mode.seconds} s a figure)",
        "",
        "| page | bytes | conns | req/s | × static via Varnish | × nginx direct "
        "| static via Varnish × nginx | p50 ms | p99 ms | static p99 ms | hit ratio | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for f in report.varnish:
        lines.append(
            f"| {f.page} | {f.bytes:,} | {f.connections} | {f.rps:,.0f} | {f.ratio_static:.2f}× "
            f"| {f.ratio_nginx:.2f}× | {f.static_ratio_nginx:.2f}× | {f.p50_ms:.2f} "
            f"| {f.p99_ms:.2f} | {f.static_p99_ms:.2f} | {f.hit_ratio:.2%} | {f.errors} |"
        )
    lines += [
        "",
        f"### Direct to gunicorn (2 sync workers, {mode.direct_connections} connections)",
        "",
        "| page | req/s | WhiteNoise, same bytes | ratio | p99 ms | errors |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for d in report.direct:
        lines.append(
            f"| {d.page} | {d.rps:,.0f} | {d.static_rps:,.0f} | {d.ratio:.2f}× | {d.p99_ms:.2f} "
            f"| {d.errors} |"
        )
    if report.cold is not None:
        c = report.cold
        lines += [
            "",
            f"Cold API page of 500 (cache emptied before each request, one at a time): p50 "
            f"{c.cold_p50_ms:.1f} ms against {c.warm_p50_ms:.1f} ms warm ({c.factor:.1f}×).",
            "",
            f"Every variant rendered afresh, one after another (what a change costs the backend "
            f"before it shows everywhere): {sum(c.rerender_ms.values()):,.0f} ms in all; "
            + ", ".join(f"{name} {ms:.0f}" for name, ms in c.rerender_ms.items())
            + " ms.",
            "",
            "Queries per request (cold / warm): "
            + "; ".join(
                f"{allies} allies: "
                + ", ".join(f"`{path}` {q['cold']}/{q['warm']}" for path, q in counts.items())
                for allies, counts in c.queries.items()
            )
            + ".",
        ]
    if report.images is not None:
        im = report.images
        lines += [
            "",
            f"Images that travel, with {im.drawn} allies drawn (the benchmark's invented logos; "
            "`tests/test_wall_images.py` checks 200 distinct anti-aliased ones): "
            + ", ".join(f"`{path}` {size:,} bytes" for path, size in im.bytes.items())
            + ".",
        ]
    if report.freshness is not None:
        fr = report.freshness
        approvals = sum(1 for c in fr.changes if c.action == "approve")
        withdrawals = len(fr.changes) - approvals
        worst = "never" if fr.worst_seconds is None else f"{fr.worst_seconds:.2f} s"
        lines += [
            "",
            "### Freshness under load",
            "",
            f"{approvals} approvals and {withdrawals} withdrawals, one every "
            f"{fr.interval_seconds:g} s, while wrk "
            f"sent {fr.load['rps']:,.0f} req/s over {len(VARIANTS)} cached variants through "
            f"Varnish (256 connections, p99 {fr.load['p99_ms']:.1f} ms, hit ratio "
            f"{fr.hit_ratio:.1%}). Time from the commit until every variant showed the change "
            f"(or no longer showed the withdrawn ally): worst {worst} ({fr.worst_variant}), "
            f"median {fr.median_seconds:.2f} s; the first variant to show each change did "
            f"after {fr.median_first_seconds:.2f} s (median). {freshness_summary(fr, mode)} "
            f"Errors: "
            f"{fr.load['non_2xx_3xx'] + fr.load['socket_errors']} under load, "
            f"{sum(fr.bad_statuses.values())} seen by the checker. Final state everywhere: "
            f"{'yes' if fr.final_state_ok else 'NO'}.",
            "",
            "Variants: " + ", ".join(f"`{v.name}`" for v in VARIANTS) + ".",
        ]
        if fr.stuck:
            lines += ["", "Never shown within the check's time:", ""]
            lines += [f"- {note}" for note in fr.stuck]
    if report.faults is not None:
        fa = report.faults
        after = fa.change_after_restart_seconds
        lines += [
            "",
            "### Faults behind Varnish (64 connections of load throughout)",
            "",
            "| fault | meanwhile | seconds | probes | not 200 | 200, marked stale |",
            "| --- | --- | ---: | ---: | ---: | ---: |",
        ]
        for p in fa.phases:
            lines.append(
                f"| {p.name} | {p.what} | {p.seconds:.0f} | {p.answers} "
                f"| {sum(p.not_200.values())} | {p.stale_marked} |"
            )
        lines += [
            "",
            f"Load during the faults: {fa.load['requests']:,} requests, "
            f"{fa.load['non_2xx_3xx']} non-2xx/3xx, {fa.load['socket_errors']} socket errors, "
            f"p99 {fa.load['p99_ms']:.1f} ms. The next change after both restarts showed in every "
            f"variant after {'never' if after is None else f'{after:.2f} s'}.",
        ]
    if report.restart is not None:
        r = report.restart
        lines += [
            "",
            "### Varnish restarted",
            "",
            f"A change committed while Varnish was down ({r.change_while_down}): every variant's "
            f"first answer after the restart was the application's current one: "
            f"{'yes' if r.first_answers_current else 'NO: ' + ', '.join(r.stale)}; every variant "
            f"answered from the cache "
            + (
                "NOT within 10 s"
                if r.refilled_seconds is None
                else f"{r.refilled_seconds:.1f} s after the restart"
            )
            + f"; hit ratio of a burst of load on the wall right after: {r.refill_hit_ratio:.1%}.",
        ]
    lines += ["", "### Checks", ""]
    lines += [f"- {'✅' if ok else '❌'} {label}" for label, ok in report.checks]
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and short: for CI")
    parser.add_argument("--vcl", type=Path, default=DEFAULT_VCL, help="the VCL to run")
    args = parser.parse_args()
    mode = QUICK if args.quick else FULL
    # Debian puts varnishd and nginx in /usr/sbin, outside a user's PATH.
    os.environ["PATH"] = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
    ensure_tools()
    args.vcl = args.vcl.resolve()
    if not args.vcl.exists():
        raise SystemExit(f"bench: no VCL at {args.vcl}")
    vcl = args.vcl.read_text()
    if len(VCL_BACKEND_PORT.findall(vcl)) != 1 or not VCL_BACKEND_HOST.search(vcl):
        raise SystemExit(f'bench: {args.vcl} must name its backend as "127.0.0.1", port "8000"')
    # A SIGTERM (CI's timeout) unwinds like Ctrl-C: every server started is stopped.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(143))

    started = time.monotonic()
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    report = Report(
        when=stamp,
        kind="quick" if mode.quick else "full",
        machine=f"{os.cpu_count()} cores, Python {sys.version.split()[0]}",
        vcl=str(args.vcl.relative_to(ROOT) if args.vcl.is_relative_to(ROOT) else args.vcl),
        allies=mode.allies,
    )
    phases: list[tuple[str, str, Callable[[Stack, Mode], object]]] = [
        ("varnish", "1. through Varnish", through_varnish),
        ("direct", "2. direct to gunicorn", direct),
        ("freshness", "3. freshness under load", freshness),
        ("faults", "4. faults behind Varnish", faults),
        ("restart", "5. Varnish restarted", varnish_restart),
        ("cold", "6. cold and warm, queries per request", cold_and_queries),
        ("images", "7. the sizes of the images", image_sizes),
    ]
    try:
        with running_stack(mode, vcl) as stack:
            for attribute, title, measure in phases:
                log(title)
                try:
                    setattr(report, attribute, measure(stack, mode))
                except Exception as error:  # noqa: BLE001 - the other phases still run
                    traceback.print_exc()
                    report.failures.append(f"{title}: {type(error).__name__}: {error}")
    except Exception as error:  # noqa: BLE001 - reported, and a failure
        traceback.print_exc()
        report.failures.append(f"setting up: {type(error).__name__}: {error}")
    report.seconds = round(time.monotonic() - started, 1)
    report.checks = verdicts(report, mode)

    RESULTS.mkdir(parents=True, exist_ok=True)
    # Full runs are kept, one file per run; quick runs (CI) overwrite one file.
    name = "latest-quick" if mode.quick else f"{stamp}-full"
    text = markdown(report, mode)
    (RESULTS / f"{name}.md").write_text(text)
    (RESULTS / f"{name}.json").write_text(json.dumps(asdict(report), indent=2) + "\n")
    print(text)
    failed = [label for label, ok in report.checks if not ok]
    if failed:
        print(
            ("Gross regressions:\n  " if mode.quick else "Targets missed:\n  ")
            + "\n  ".join(failed)
        )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
