"""Real servers on loopback for the domain-proof tests: a DNS server (dnslib's) answering from a
zone the test fills in, and an HTTP server answering by Host and path."""

from __future__ import annotations

import contextlib
import http.server
import shutil
import socket
import ssl
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from dnslib import QTYPE, RCODE, RR, TXT, A
from dnslib.server import BaseResolver, DNSLogger, DNSServer


@dataclass
class Zone(BaseResolver):
    """Names and their records; any other name is NXDOMAIN."""

    txt: dict[str, list[str]] = field(default_factory=dict)
    a: dict[str, list[str]] = field(default_factory=dict)
    asked: list[tuple[str, str]] = field(default_factory=list)

    def resolve(self, request, handler):
        reply = request.reply()
        name = str(request.q.qname).rstrip(".").lower()
        kind = QTYPE[request.q.qtype]
        self.asked.append((name, kind))
        if name not in self.txt and name not in self.a:
            reply.header.rcode = RCODE.NXDOMAIN
        elif kind == "TXT":
            for value in self.txt.get(name, []):
                reply.add_answer(RR(name, QTYPE.TXT, rdata=TXT(value), ttl=60))
        elif kind == "A":
            for address in self.a.get(name, []):
                reply.add_answer(RR(name, QTYPE.A, rdata=A(address), ttl=60))
        return reply


@contextlib.contextmanager
def dns_server(zone: Zone) -> Iterator[str]:
    """Serve ``zone`` over UDP on loopback; yields ``127.0.0.1:<port>``."""
    quiet = DNSLogger("-recv,-send,-request,-reply,-truncated,-error,-data", logf=lambda _: None)
    server = DNSServer(zone, address="127.0.0.1", port=0, logger=quiet)
    server.start_thread()
    try:
        yield f"127.0.0.1:{server.server.server_address[1]}"
    finally:
        server.stop()
        server.server.server_close()


@contextlib.contextmanager
def silent_dns_server() -> Iterator[str]:
    """A UDP port that takes queries and never answers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    sock.bind(("127.0.0.1", 0))
    try:
        yield f"127.0.0.1:{sock.getsockname()[1]}"
    finally:
        sock.close()


@dataclass
class Site:
    """What the HTTP server answers: ``routes[(host, path)] = (status, headers, body)``, where
    ``body`` may be an int: that many bytes of padding after ``prefix``."""

    routes: dict[tuple[str, str], tuple[int, dict[str, str], bytes | int]] = field(
        default_factory=dict
    )
    prefix: bytes = b""
    port: int = 0
    # The names clients asked for in TLS (SNI), when served over HTTPS.
    sni: list[str | None] = field(default_factory=list)
    requests: list[dict[str, str]] = field(default_factory=list)
    # How many bytes of the big body went out before the client hung up.
    sent: list[int] = field(default_factory=list)

    def file(self, host: str, body: bytes | int, *, status: int = 200, **headers: str) -> None:
        self.routes[(host, "/.well-known/coalition-verification.txt")] = (status, headers, body)


def _handler(site: Site) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            host = (self.headers.get("Host") or "").split(":")[0].lower()
            site.requests.append({"path": self.path, **dict(self.headers.items())})
            status, headers, body = site.routes.get((host, self.path), (404, {}, b"Not Found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name.replace("_", "-"), value)
            length = body if isinstance(body, int) else len(body)
            self.send_header("Content-Type", "text/plain")
            self.send_header(
                "Content-Length", str(length + (len(site.prefix) if isinstance(body, int) else 0))
            )
            self.end_headers()
            if not isinstance(body, int):
                self.wfile.write(body)
                return
            sent = 0
            try:
                self.wfile.write(site.prefix)
                chunk = b"x" * 65536
                while sent < body:
                    self.wfile.write(chunk[: body - sent])
                    sent += min(len(chunk), body - sent)
            except OSError:
                pass
            finally:
                site.sent.append(sent)

        def log_message(self, format, *args) -> None:
            pass

    return Handler


def certificates(directory: Path, names: list[str]) -> tuple[Path, Path, Path]:
    """A test CA and a certificate it signed for ``names`` (made with the openssl command):
    the CA's file, the certificate's and its key's."""
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is needed to make test certificates")
    ca_key, ca, key, csr, cert = (
        directory / name for name in ("ca.key", "ca.pem", "leaf.key", "leaf.csr", "leaf.pem")
    )
    extensions = directory / "leaf.ext"
    extensions.write_text(
        "basicConstraints=CA:FALSE\n"
        "keyUsage=critical,digitalSignature,keyEncipherment\n"
        "extendedKeyUsage=serverAuth\n"
        "authorityKeyIdentifier=keyid\n"
        f"subjectAltName={','.join(f'DNS:{name}' for name in names)}\n"
    )
    run = lambda *args: subprocess.run(["openssl", *args], check=True, capture_output=True)  # noqa: E731
    run(
        *("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2"),
        *("-keyout", str(ca_key), "-out", str(ca), "-subj", "/CN=Domain proof test CA"),
        *("-addext", "basicConstraints=critical,CA:TRUE"),
        *("-addext", "keyUsage=critical,keyCertSign,cRLSign"),
    )
    run(
        *("req", "-newkey", "rsa:2048", "-nodes", "-keyout", str(key), "-out", str(csr)),
        *("-subj", f"/CN={names[0]}"),
    )
    run(
        *("x509", "-req", "-in", str(csr), "-CA", str(ca), "-CAkey", str(ca_key)),
        *("-CAcreateserial", "-days", "2", "-out", str(cert), "-extfile", str(extensions)),
    )
    return ca, cert, key


@contextlib.contextmanager
def web_server(site: Site, *, tls: tuple[Path, Path] | None = None) -> Iterator[int]:
    """Serve ``site`` over HTTP on loopback (over HTTPS with ``tls``: certificate and key);
    yields the port."""
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(site))
    if tls is not None:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(str(tls[0]), str(tls[1]))
        context.sni_callback = lambda _socket, name, _context: site.sni.append(name)
        server.socket = context.wrap_socket(server.socket, server_side=True)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    site.port = server.server_address[1]
    try:
        yield site.port
    finally:
        server.shutdown()
        server.server_close()
