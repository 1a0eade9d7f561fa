"""10. Bytes on the wire: ``/``, the API list of 500 and ``embed.js``, each asked for with and
without compression (``Accept-Encoding`` none, gzip, br, a browser's), through Varnish (a hit)
and straight from gunicorn: what goes out (status line, headers and body as sent), beside the
body's own size."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bench.client import get, wire_bytes
from bench.modes import Mode
from bench.pages import WIRE_ENCODINGS, WIRE_PATHS
from bench.stack import Stack


@dataclass
class Wire:
    path: str
    body_bytes: int  # the body itself, uncompressed
    accept_encoding: str  # "" when none was sent
    varnish_bytes: int  # through Varnish: everything the client received
    varnish_header_bytes: int  # of which the status line and headers
    varnish_encoding: str  # Content-Encoding ("" for none)
    varnish_cache: str  # X-Cache
    direct_bytes: int  # straight from gunicorn
    direct_header_bytes: int
    direct_encoding: str


def _header(head: bytes, name: str) -> str:
    match = re.search(rb"^" + name.encode() + rb":\s*(.*?)\s*$", head, re.I | re.M)
    return match.group(1).decode("latin-1") if match else ""


def bytes_on_wire(stack: Stack, mode: Mode) -> list[Wire]:
    figures = []
    for path in WIRE_PATHS:
        body = get(stack.site.port, path).body
        for encoding in WIRE_ENCODINGS:
            headers = {"Accept-Encoding": encoding} if encoding else {}
            get(stack.varnish.port, path, headers)  # a hit next
            through, through_head = wire_bytes(stack.varnish.port, path, headers)
            direct, direct_head = wire_bytes(stack.site.port, path, headers)
            figures.append(
                Wire(
                    path=path,
                    body_bytes=len(body),
                    accept_encoding=encoding,
                    varnish_bytes=through,
                    varnish_header_bytes=len(through_head) + 4,
                    varnish_encoding=_header(through_head, "Content-Encoding"),
                    varnish_cache=_header(through_head, "X-Cache"),
                    direct_bytes=direct,
                    direct_header_bytes=len(direct_head) + 4,
                    direct_encoding=_header(direct_head, "Content-Encoding"),
                )
            )
    return figures
