"""The stacks started on 127.0.0.1, and always stopped: the benchmark's and the fault tests'.

``running_site`` (the fault and load tests): a private PostgreSQL and Redis, and gunicorn
serving N approved allies on them. ``running_stack`` (the benchmark): the same, plus the
background worker, Varnish in front of gunicorn, nginx serving each measured page's bytes as a
static file, and a second Varnish in front of nginx (``bench/front.py``). Either is removed
afterwards, whatever the measurement or the test broke.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from bench import log
from bench.client import get
from bench.front import VCL_PROBE_PATH, Nginx, Varnish
from bench.modes import Mode
from bench.pages import PAGES
from bench.servers import (
    PrivatePostgres,
    PrivateRedis,
    Site,
    Worker,
    free_port,
    postgres_bindir,
    wait_for,
)

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


@contextlib.contextmanager
def temporary_directory(prefix: str) -> Iterator[Path]:
    # Not pytest's tmp_path: the postgres, varnish and nginx users must be able to enter it.
    directory = Path(tempfile.mkdtemp(prefix=prefix))
    directory.chmod(0o755)
    try:
        yield directory
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@contextlib.contextmanager
def running_site(*, allies: int) -> Iterator[tuple[Site, PrivatePostgres, PrivateRedis]]:
    """A private PostgreSQL and Redis, and gunicorn serving ``allies`` approved allies on them;
    everything is stopped and removed afterwards, whatever the test broke."""
    with temporary_directory("coalition-faults-") as directory:
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


@contextlib.contextmanager
def running_stack(mode: Mode, vcl: str) -> Iterator[Stack]:
    """The benchmark's stack, with ``mode.allies`` allies (and a database of a tenth of them
    for counting queries), Varnish running ``vcl``."""
    with temporary_directory("coalition-bench-") as directory:
        postgres = PrivatePostgres(directory / "postgres")
        redis = PrivateRedis(directory)
        processes: list[Callable[[], None]] = []
        try:
            yield _start(directory, postgres, redis, processes, mode, vcl)
        finally:
            for stop in reversed(processes):
                try:
                    stop()
                except Exception as error:  # noqa: BLE001 - stop the rest whatever one did
                    log(f"while stopping: {error}")


def _start(
    directory: Path,
    postgres: PrivatePostgres,
    redis: PrivateRedis,
    processes: list[Callable[[], None]],
    mode: Mode,
    vcl: str,
) -> Stack:
    """Start everything, adding to ``processes`` how to stop each as soon as it runs."""
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
    main_url = postgres.createdb("coalition", template="coalition_template")
    small_url = postgres.createdb("coalition_small", template="coalition_template")
    # The public address is Varnish's: every absolute link in a rendering names it. Every
    # process that commits a change purges Varnish right after (coalition/publishing/purges.py);
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
    return stack


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
        # The bytes a browser (and Varnish) gets: the application's own gzip, when it sends one.
        compressed = get(stack.site.port, path, {"Accept-Encoding": "gzip"}, timeout=60)
        gzipped = compressed.body if compressed.headers.get("content-encoding") == "gzip" else None
        stack.nginx.add(path, page.file, answer, gzipped)
        (whitenoise / page.file).write_bytes(answer.body)
