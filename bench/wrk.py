"""wrk: one measurement of one URL, or load from a script (``templates/*.lua``) until stopped."""

from __future__ import annotations

import json
import re
import signal
import subprocess
from pathlib import Path
from string import Template

from bench.pages import BROWSER, VARIANTS

TEMPLATES = Path(__file__).resolve().parent / "templates"
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    return float(match.group(1)) * _UNITS[match.group(2)] if match else float("nan")


def command(
    url: str,
    *,
    connections: int,
    seconds: int,
    script: Path | None,
    headers: tuple[tuple[str, str], ...] = (),
) -> list[str]:
    wrk = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency", "--timeout", "5s"]
    for name, value in headers:
        wrk += ["-H", f"{name}: {value}"]
    if script is not None:
        wrk += ["-s", str(script)]
    return [*wrk, url]


def parse(output: str) -> dict:
    """wrk's report as figures: requests per second, p50 and p99 in ms, errors."""

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


def run(
    url: str, *, connections: int, seconds: int, headers: tuple[tuple[str, str], ...] = ()
) -> dict:
    """One measurement of ``url``, sending ``headers`` (``pages.BROWSER``: as browsers do)."""
    wrk = command(url, connections=connections, seconds=seconds, script=None, headers=headers)
    result = subprocess.run(wrk, capture_output=True, text=True, timeout=seconds + 30)
    return parse(result.stdout)


def lua(value: str | int | bool | list | dict) -> str:
    """``value`` written as Lua: a string (JSON's escapes are Lua's), a number, a boolean, or a
    list or a dict of them as a table."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "{\n" + "".join(f"  {lua(item)},\n" for item in value) + "}"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"[{lua(k)}] = {lua(v)}" for k, v in value.items()) + " }"
    return json.dumps(value, ensure_ascii=True)


def script(directory: Path, template: str, **values: str) -> Path:
    """``templates/<template>`` with its ``$names`` filled in, written to ``directory``."""
    text = Template((TEMPLATES / template).read_text()).substitute(values)
    path = directory / template
    path.write_text(text)
    return path


def mixed_script(directory: Path, slug: str) -> Path:
    """A wrk script going round every cached variant (``templates/mixed.lua``), each sent as a
    browser sends it (``pages.BROWSER``) with the variant's own headers."""
    specs = []
    for variant in VARIANTS:
        headers = {**dict(BROWSER), **dict(variant.headers)}
        specs.append(f"  {{ {lua(variant.url_path(slug))}, {lua(headers)} }},")
    return script(directory, "mixed.lua", specs="\n".join(specs))


class Load:
    """wrk from a script, in the background, until ``stop()`` (SIGINT: wrk then reports)."""

    def __init__(self, url: str, script: Path, *, connections: int, longest: int) -> None:
        self.command = command(url, connections=connections, seconds=longest, script=script)
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
        return parse(output)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait()
