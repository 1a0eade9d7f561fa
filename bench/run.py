"""Load benchmark: the public wall and API under production settings, measured with wrk.

    .venv/bin/python bench/run.py            # 1,000 then 10,000 allies (make bench)
    .venv/bin/python bench/run.py --quick    # a few hundred allies, short runs (CI)

For each data set it seeds a PostgreSQL database of its own, starts gunicorn (2 workers,
DEBUG off, whitenoise, Redis cache) on 127.0.0.1, and drives each endpoint with wrk. Every
figure is also given as a ratio to a static JSON file of the same size served by whitenoise, so
results compare across machines. Results go to bench/results/ as JSON and Markdown.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
PYTHON = sys.executable
PG = "postgres://postgres@127.0.0.1:5432"
REDIS_DB = 14

# name, path (relative), headers; "{slug}" is the default campaign.
ENDPOINTS = [
    ("baseline (static JSON)", "/static/bench/baseline.json", {}),
    ("api allies warm", "/api/v1/allies/?page_size=100", {}),
    ("api allies 304", "/api/v1/allies/?page_size=100", {"If-None-Match": "{etag}"}),
    ("api facets", "/api/v1/facets/", {}),
    ("wall page", "/", {}),
    ("embed page", "/embed/{slug}/", {}),
    ("wall.svg", "/campaigns/{slug}/wall.svg", {}),
]

# Targets from the issue: ratio of requests per second to the baseline, at least.
TARGETS = {
    "api allies warm": 0.8,
    "api allies 304": 1.0,
    "embed page": 0.5,
    "wall page": 0.5,
}
QUICK_TARGETS = {name: ratio / 4 for name, ratio in TARGETS.items()}


@dataclass
class Measure:
    name: str
    path: str
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    non_2xx_3xx: int
    errors: int
    ratio: float = 0.0


@dataclass
class Run:
    allies: int
    measures: list[Measure] = field(default_factory=list)
    cold_p50_ms: float = 0.0
    warm_p50_ms: float = 0.0
    worker_rss_mb: list[float] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[bench {datetime.now():%H:%M:%S}] {message}", flush=True)


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    log("wrk is missing; installing it from Debian's packages")
    subprocess.run(["apt-get", "install", "-y", "-qq", "wrk"], check=True)
    return shutil.which("wrk") or "wrk"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def environment(database: str, workdir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "DEBUG": "0",
        "SECRET_KEY": "bench-" + "k" * 60,
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": f"{PG}/{database}",
        "REDIS_URL": f"redis://127.0.0.1:6379/{REDIS_DB}",
        "CACHE_KEY_PREFIX": database,
        "SITE_URL": "http://127.0.0.1",
        "SECURE_SSL_REDIRECT": "0",
        "SESSION_COOKIE_SECURE": "0",
        "CSRF_COOKIE_SECURE": "0",
        "SECURE_HSTS_SECONDS": "0",
        "MEDIA_ROOT": str(workdir / "media"),
        "STATIC_ROOT": str(workdir / "static"),
        # The benchmark measures the application, not the throttle.
        "API_ANON_THROTTLE_RATE": "1000000/minute",
        "DB_CONN_MAX_AGE": "60",
        "LOG_LEVEL": "WARNING",
    }


def manage(env: dict[str, str], *args: str) -> str:
    result = subprocess.run(
        [PYTHON, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    if result.returncode != 0:
        raise SystemExit(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
    return result.stdout


def prepare_database(database: str, allies: int, env: dict[str, str]) -> None:
    subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database])
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", database], check=True)
    manage(env, "migrate", "--noinput")
    manage(env, "load_reference_data")
    log(manage(env, "bench_seed", "--allies", str(allies)).strip())


def write_baseline(env: dict[str, str], workdir: Path) -> int:
    """A static file as large as the allies payload, so the baseline moves the same bytes."""
    script = (
        "import django, os; django.setup();"
        "from django.test import Client;"
        "r = Client(HTTP_HOST='127.0.0.1').get('/api/v1/allies/?page_size=100');"
        "assert r.status_code == 200, r.status_code;"
        "print(len(r.content))"
    )
    env = {**env, "DJANGO_SETTINGS_MODULE": "coalition.settings"}
    size = int(
        subprocess.run(
            [PYTHON, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True, check=True
        ).stdout.strip()
    )
    target = workdir / "static" / "bench" / "baseline.json"
    target.parent.mkdir(parents=True, exist_ok=True)
    filler = "x" * max(0, size - 20)
    target.write_text(json.dumps({"padding": filler})[:size])
    return size


def start_gunicorn(env: dict[str, str], port: int) -> subprocess.Popen:
    process = subprocess.Popen(
        [
            PYTHON,
            "-m",
            "gunicorn",
            "coalition.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--access-logfile",
            "-" if os.getenv("BENCH_ACCESS_LOG") else "/dev/null",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
        start_new_session=True,
    )
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/static/bench/baseline.json", timeout=1)
            return process
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            time.sleep(0.2)
    stop(process)
    raise SystemExit("gunicorn did not start")


def stop(process: subprocess.Popen) -> None:
    try:
        os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=15)
    except (ProcessLookupError, subprocess.TimeoutExpired):
        os.killpg(process.pid, signal.SIGKILL)


def worker_rss_mb(master: subprocess.Popen) -> list[float]:
    children = subprocess.run(
        ["pgrep", "-P", str(master.pid)], capture_output=True, text=True
    ).stdout.split()
    sizes = []
    for pid in children:
        status = Path(f"/proc/{pid}/status")
        if status.exists():
            match = re.search(r"VmRSS:\s+(\d+) kB", status.read_text())
            if match:
                sizes.append(round(int(match.group(1)) / 1024, 1))
    return sizes


_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def wrk(binary: str, url: str, headers: dict[str, str], seconds: int, connections: int) -> dict:
    command = [binary, "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"50%\s+(\S+)", output).group(1))
    p99 = _ms(re.search(r"99%\s+(\S+)", output).group(1))
    non_ok = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return {
        "rps": rps,
        "p50": p50,
        "p99": p99,
        "non_ok": int(non_ok.group(1)) if non_ok else 0,
        "errors": sum(int(n) for n in socket_errors.groups()) if socket_errors else 0,
    }


def fetch(url: str) -> tuple[int, dict[str, str], float]:
    started = time.perf_counter()
    with urllib.request.urlopen(url, timeout=30) as response:
        response.read()
        return response.status, dict(response.headers), (time.perf_counter() - started) * 1000


def cold_and_warm_latency(base: str, requests: int) -> tuple[float, float]:
    """Allies list with the whole cache emptied before each request, against a warm one."""
    url = f"{base}/api/v1/allies/?page_size=100"
    cold, warm = [], []
    for _ in range(requests):
        subprocess.run(
            ["redis-cli", "-h", "127.0.0.1", "-n", str(REDIS_DB), "flushdb"],
            capture_output=True,
            check=True,
        )
        cold.append(fetch(url)[2])
        warm.append(fetch(url)[2])
    return statistics.median(cold), statistics.median(warm)


def run_dataset(allies: int, *, seconds: int, connections: int, binary: str) -> Run:
    database = f"coalition_bench_{allies}"
    workdir = Path(tempfile.mkdtemp(prefix="coalition-bench-"))
    env = environment(database, workdir)
    log(f"{allies} allies: seeding {database}")
    prepare_database(database, allies, env)
    manage(env, "collectstatic", "--noinput")
    subprocess.run(
        ["redis-cli", "-h", "127.0.0.1", "-n", str(REDIS_DB), "flushdb"], capture_output=True
    )
    size = write_baseline(env, workdir)
    log(f"allies payload and baseline file: {size:,} bytes")
    port = free_port()
    server = start_gunicorn(env, port)
    base = f"http://127.0.0.1:{port}"
    run = Run(allies=allies)
    try:
        slug = json.loads(urllib.request.urlopen(f"{base}/api/v1/campaigns/").read())["results"][0][
            "slug"
        ]
        _status, headers, _elapsed = fetch(f"{base}/api/v1/allies/?page_size=100")
        etag = headers.get("ETag", "")
        for name, path, extra in ENDPOINTS:
            url = base + path.format(slug=slug)
            fetch(url)  # warm the cache before measuring
            sent = {key: value.format(etag=etag) for key, value in extra.items()}
            result = wrk(binary, url, sent, seconds, connections)
            run.measures.append(
                Measure(
                    name=name,
                    path=path,
                    requests_per_second=result["rps"],
                    p50_ms=result["p50"],
                    p99_ms=result["p99"],
                    non_2xx_3xx=result["non_ok"],
                    errors=result["errors"],
                )
            )
            log(f"  {name:24} {result['rps']:9.0f} req/s  p50 {result['p50']:.2f} ms")
        baseline = run.measures[0].requests_per_second
        for measure in run.measures:
            measure.ratio = round(measure.requests_per_second / baseline, 3)
        run.cold_p50_ms, run.warm_p50_ms = cold_and_warm_latency(base, 20)
        log(f"  cold allies p50 {run.cold_p50_ms:.1f} ms, warm {run.warm_p50_ms:.1f} ms")
        run.worker_rss_mb = worker_rss_mb(server)
        log(f"  worker memory (RSS): {run.worker_rss_mb} MB")
    finally:
        stop(server)
        subprocess.run(["dropdb", "-h", "127.0.0.1", "-U", "postgres", "--if-exists", database])
        shutil.rmtree(workdir, ignore_errors=True)
    return run


def verdicts(run: Run, targets: dict[str, float], cold_factor: float, memory_mb: float) -> list:
    checks = []
    for measure in run.measures:
        if measure.name in targets:
            goal = targets[measure.name]
            checks.append((f"{measure.name} ≥ {goal}× baseline", measure.ratio >= goal))
        checks.append((f"{measure.name}: no non-2xx/3xx", measure.non_2xx_3xx == 0))
    if run.allies <= 1000:
        ratio = run.cold_p50_ms / max(run.warm_p50_ms, 0.001)
        checks.append((f"cold < {cold_factor}× warm ({ratio:.1f}×)", ratio < cold_factor))
    if run.allies >= 10000 or memory_mb < 150:
        checks.append(
            (f"worker memory < {memory_mb} MB", all(rss < memory_mb for rss in run.worker_rss_mb))
        )
    return checks


def markdown(runs: list[Run], checks: dict[int, list]) -> str:
    lines = []
    for run in runs:
        lines += [
            f"### {run.allies:,} allies",
            "",
            "| endpoint | req/s | ratio to baseline | p50 ms | p99 ms | non-2xx/3xx |",
            "| --- | ---: | ---: | ---: | ---: | ---: |",
        ]
        for m in run.measures:
            lines.append(
                f"| {m.name} | {m.requests_per_second:,.0f} | {m.ratio:.2f}× | {m.p50_ms:.2f} "
                f"| {m.p99_ms:.2f} | {m.non_2xx_3xx} |"
            )
        lines += [
            "",
            f"Cold allies list (cache emptied before each request): p50 {run.cold_p50_ms:.1f} ms,"
            f" warm {run.warm_p50_ms:.1f} ms. Worker memory (RSS): "
            f"{', '.join(f'{rss} MB' for rss in run.worker_rss_mb)}.",
            "",
        ]
        lines += [f"- {'✅' if ok else '❌'} {label}" for label, ok in checks[run.allies]]
        lines.append("")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small and short: for CI")
    parser.add_argument("--allies", type=int, nargs="*", help="data set sizes")
    parser.add_argument("--seconds", type=int, help="wrk duration per endpoint")
    parser.add_argument("--connections", type=int, default=32)
    args = parser.parse_args()

    sizes = args.allies or ([300] if args.quick else [1000, 10000])
    seconds = args.seconds or (3 if args.quick else 10)
    targets = QUICK_TARGETS if args.quick else TARGETS
    binary = ensure_wrk()
    started = time.monotonic()
    runs = [
        run_dataset(n, seconds=seconds, connections=args.connections, binary=binary) for n in sizes
    ]
    checks = {
        run.allies: verdicts(run, targets, 40 if args.quick else 10, 250 if args.quick else 150)
        for run in runs
    }
    elapsed = time.monotonic() - started

    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H%M%SZ")
    kind = "quick" if args.quick else "full"
    machine = f"{os.cpu_count()} cores, Python {sys.version.split()[0]}"
    report = markdown(runs, checks)
    header = f"## Benchmark {stamp} ({kind}, {machine}, {elapsed:.0f} s)\n\n"
    (RESULTS / f"{stamp}-{kind}.md").write_text(header + report)
    (RESULTS / f"{stamp}-{kind}.json").write_text(
        json.dumps(
            {
                "when": stamp,
                "kind": kind,
                "machine": machine,
                "seconds": elapsed,
                "runs": [asdict(run) for run in runs],
                "checks": {str(k): v for k, v in checks.items()},
            },
            indent=2,
        )
    )
    print(header + report)
    failed = [label for run_checks in checks.values() for label, ok in run_checks if not ok]
    if failed:
        print("Targets missed:\n  " + "\n  ".join(failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
