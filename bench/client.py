"""One HTTP request at a time to a server on 127.0.0.1, its answer read whole."""

from __future__ import annotations

import http.client
import socket
import time
from dataclasses import dataclass
from email.message import Message


@dataclass
class Answer:
    status: int  # 0: no answer
    headers: Message  # looked up by any case; ``items()`` as sent
    body: bytes

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")


def fetch(
    port: int, path: str, headers: dict[str, str] | None = None, *, timeout: float = 20
) -> Answer:
    """GET ``path``; a connection error or timeout raises."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return Answer(response.status, response.msg, response.read())
    finally:
        connection.close()


def get(port: int, path: str, headers: dict[str, str] | None = None, timeout: float = 10) -> Answer:
    """GET ``path``; no answer (a connection error, a timeout) is status 0."""
    try:
        return fetch(port, path, headers, timeout=timeout)
    except (OSError, http.client.HTTPException):
        return Answer(0, Message(), b"")


def purge(port: int, keys: list[str]) -> int:
    """What the application sends Varnish after a change (coalition's purger): a soft purge by
    xkey; the status Varnish answers."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("PURGE", "/", headers={"xkey-purge": " ".join(keys)})
        response = connection.getresponse()
        response.read()
        return response.status
    finally:
        connection.close()


def paced(
    port: int, path: str, headers: dict[str, str], *, seconds: float, interval: float
) -> list[float]:
    """One visitor: a request every ``interval`` seconds on one kept-alive connection (not as
    fast as the server answers, as wrk does: its own load would be part of what it measures);
    each one's latency in ms, ``inf`` for one that failed."""
    latencies: list[float] = []
    connection: http.client.HTTPConnection | None = None
    due = time.monotonic()
    deadline = due + seconds
    while due < deadline:
        time.sleep(max(0.0, due - time.monotonic()))
        due += interval
        started = time.perf_counter()
        try:
            if connection is None:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            ok = response.status == 200
        except (OSError, http.client.HTTPException):
            ok = False
        if not ok and connection is not None:
            connection.close()
            connection = None
        latencies.append((time.perf_counter() - started) * 1000 if ok else float("inf"))
    if connection is not None:
        connection.close()
    return latencies


def wire_bytes(port: int, path: str, headers: dict[str, str]) -> tuple[int, bytes]:
    """GET ``path`` on a connection of its own, closed by the server after the answer: the
    bytes on the wire (status line, headers and body as sent) and the header block."""
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{port}", "Connection: close"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    received = bytearray()
    with socket.create_connection(("127.0.0.1", port), timeout=20) as connection:
        connection.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))
        while chunk := connection.recv(65536):
            received += chunk
    head, _, _ = bytes(received).partition(b"\r\n\r\n")
    return len(received), head
