"""The servers in front: Varnish from the shipped VCL, and nginx serving static twins.

Two Varnish instances run from the same VCL (``deploy/varnish/default.vcl``; only the backend's
port changed), one in front of gunicorn and one in front of nginx, which serves each measured
page's body, saved from the application, as a static file with the same headers: a hit on the
application's Varnish should cost what a hit on a static file costs.
"""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from string import Template

from bench.client import Answer
from bench.servers import free_port, listening, stop_process, wait_for

TEMPLATES = Path(__file__).resolve().parent / "templates"
# What the shipped VCL names as its backend: the one line a deployment changes.
VCL_BACKEND_PORT = re.compile(r'(\.port\s*=\s*)"8000"')
VCL_BACKEND_HOST = re.compile(r'\.host\s*=\s*"127\.0\.0\.1"')
# The backend's health probe: nginx answers it too, or Varnish would think it down.
VCL_PROBE_PATH = re.compile(r'"(?:GET|HEAD) (/\S*) HTTP/1\.[01]"')


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
                    *("varnishd", "-F", "-n", str(self.workdir)),
                    *("-a", f"127.0.0.1:{self.port}", "-T", f"127.0.0.1:{free_port()}"),
                    *("-f", str(self.vcl), "-s", "malloc,256m"),
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
        *("date", "server", "content-length", "content-type", "connection", "keep-alive"),
        *("transfer-encoding", "etag", "last-modified", "accept-ranges", "age", "via"),
        *("x-varnish", "x-cache", "set-cookie"),
    )
)


def _nginx_quoted(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


class Nginx:
    """Debian's nginx, serving each page's saved body at the page's own path with the page's
    own headers, from a configuration (``templates/nginx.conf``) in a temporary directory."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory / "nginx"
        self.files = self.directory / "files"
        self.files.mkdir(parents=True, exist_ok=True)
        for part in (self.directory, self.files):
            part.chmod(0o755)
        self.port = free_port()
        self.process: subprocess.Popen | None = None
        self.locations: list[str] = []

    def add(self, path: str, file: str, answer: Answer, gzipped: bytes | None = None) -> None:
        """Serve ``answer`` at ``path``; and ``gzipped``, the application's own compressed
        bytes, to a client that accepts gzip (Varnish always does), as the application does."""
        for name, body in ((file, answer.body), (f"{file}.gz", gzipped)):
            if body is not None:
                (self.files / name).write_bytes(body)
                (self.files / name).chmod(0o644)
        content_type = answer.headers.get("content-type", "text/html")
        lines = [
            f"location = {path.split('?', 1)[0]} {{",
            "  types { }",
            f"  default_type {_nginx_quoted(content_type)};",
            f"  gzip_static {'on' if gzipped is not None else 'off'};",
        ]
        for name, value in answer.headers.items():
            # nginx would read a "$" as a variable, and has no escape for it.
            if name.lower() not in _NOT_COPIED and "$" not in value:
                lines.append(f"  add_header {name} {_nginx_quoted(value)} always;")
        lines += [f"  try_files /{file} =404;", "}"]
        self.locations.append("\n".join(lines))

    def start(self) -> None:
        temp = self.directory / "temp"
        temp.mkdir(exist_ok=True)
        config = self.directory / "nginx.conf"
        template = Template((TEMPLATES / "nginx.conf").read_text())
        config.write_text(
            template.substitute(
                directory=self.directory,
                temp=temp,
                port=self.port,
                files=self.files,
                locations="\n".join(self.locations),
            )
        )
        with (self.directory / "stderr.log").open("ab") as log_file:
            self.process = subprocess.Popen(
                [
                    *("nginx", "-c", str(config), "-p", str(self.directory)),
                    *("-e", str(self.directory / "error.log")),
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
