"""Helpers for the browser tests: Debian's Chromium driven by Playwright, a second origin, axe."""

from __future__ import annotations

import contextlib
import http.server
import json
import os
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent.parent
CHROMIUM = os.getenv("CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"


def in_ci() -> bool:
    return os.getenv("CI", "").strip().lower() in {"1", "true", "yes"}


def browser_missing() -> str:
    """Why the browser tests cannot run here, or ``""`` when they can."""
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "Playwright is not installed (pip install -r requirements-dev.txt)"
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        return f"no Chromium at {CHROMIUM} (apt-get install chromium, or set CHROMIUM)"
    return ""


def axe_missing() -> str:
    if AXE.exists():
        return ""
    return f"axe-core is not installed at {AXE.relative_to(ROOT)} (run: npm ci --ignore-scripts)"


def run_axe(page) -> list[dict]:
    """axe-core's violations on the page as it is now, in a form that reads well in a failure."""
    # The site's Content-Security-Policy allows scripts from its own origin only, never inline:
    # axe is handed to the page as if the site served it.
    origin = "/".join(page.url.split("/", 3)[:3])
    axe_url = f"{origin}/__axe-core.js"
    page.route(
        axe_url,
        lambda route: route.fulfill(
            body=AXE.read_text(), content_type="text/javascript; charset=utf-8"
        ),
    )
    page.add_script_tag(url=axe_url)
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']}))")
    return [
        {
            "id": violation["id"],
            "impact": violation["impact"],
            "help": violation["help"],
            "nodes": [node["target"] for node in violation["nodes"]][:5],
        }
        for violation in result["violations"]
    ]


def describe(violations: list[dict]) -> str:
    return json.dumps(violations, indent=2)


class _Pages(http.server.BaseHTTPRequestHandler):
    pages: dict[str, str] = {}

    def do_GET(self) -> None:
        body = self.pages.get(self.path.split("?")[0])
        if body is None:
            self.send_error(404)
            return
        content = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        self.wfile.write(content)

    def log_message(self, format: str, *args) -> None:  # quiet in test output
        pass


@contextlib.contextmanager
def second_origin(pages: dict[str, str]) -> Iterator[str]:
    """Serve ``pages`` (path → HTML) from 127.0.0.1 on a free port: another origin than the
    live server's. Yields the base URL."""
    handler = type("Pages", (_Pages,), {"pages": pages})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
