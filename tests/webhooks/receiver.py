"""A partner's webhook receiver on loopback: a real HTTP server in a thread that checks every
delivery's signature with the ``standardwebhooks`` library (the specification's own, not our
code), and can be down, answer 503, redirect, trickle or flood, as real endpoints do."""

from __future__ import annotations

import http.server
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from standardwebhooks import Webhook, WebhookVerificationError

METADATA_URL = "http://169.254.169.254/latest/meta-data/"


@dataclass
class Received:
    at: float  # time.monotonic()
    headers: dict[str, str]
    body: bytes
    # The verified, parsed payload; None when the signature did not verify.
    payload: Any | None
    error: str = ""


@dataclass
class Receiver:
    """``mode``: "ok" (204), "503", "redirect" (302 to the metadata address), "slow" (the
    status line a byte every half second), "huge" (a 500 with 50 MB of body)."""

    secret: str
    mode: str = "ok"
    received: list[Received] = field(default_factory=list)
    port: int = 0
    _server: http.server.ThreadingHTTPServer | None = None
    _thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/coalition"

    @property
    def verified(self) -> list[Received]:
        return [item for item in self.received if item.payload is not None]

    def start(self) -> Receiver:
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format, *args):
                pass

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                headers = {name.lower(): value for name, value in self.headers.items()}
                try:
                    payload, error = Webhook(receiver.secret).verify(body, headers), ""
                except WebhookVerificationError as failure:
                    payload, error = None, str(failure)
                receiver.received.append(Received(time.monotonic(), headers, body, payload, error))
                mode = receiver.mode
                if mode == "slow":
                    for byte in b"HTTP/1.1 200 OK\r\n":
                        try:
                            self.wfile.write(bytes([byte]))
                            self.wfile.flush()
                        except OSError:
                            return
                        time.sleep(0.5)
                    return
                if mode == "huge":
                    self.send_response(500)
                    self.send_header("Content-Length", str(50 * 1024 * 1024))
                    self.end_headers()
                    try:
                        for _chunk in range(50 * 16):
                            self.wfile.write(b"x" * 65536)
                    except OSError:
                        pass  # the client hung up after what it wanted: as it should
                    return
                if mode == "503":
                    self._answer(503, b"busy, come back later")
                elif mode == "redirect":
                    self.send_response(302)
                    self.send_header("Location", METADATA_URL)
                    self.send_header("Content-Length", "0")
                    self.end_headers()
                else:
                    self._answer(204, b"")

            def _answer(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        server.daemon_threads = True
        self.port = server.server_address[1]
        self._server = server
        self._thread = threading.Thread(target=server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Down: the port refuses connections until ``start`` again (same port)."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
