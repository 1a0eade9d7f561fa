"""Public text compressed on its way out, for clients that accept it: the pages, the API's JSON
and CSV, the images drawn as SVG, the feed, ``embed.js``, static files under ``make run``.

Only what the app marks public (``Cache-Control: public``: the same bytes for everyone who asks
for the same URL in the same language), and never a response that sets a cookie, that used this
visitor's CSRF token, or that answers a signed-in person: compressing a secret beside text an
attacker can put in the page lets them guess it from the sizes (BREACH). Whatever is private
goes out as it is.

Brotli for clients that take it, else gzip. Varnish asks for gzip only, stores that one copy
and unzips it for a client that takes neither (see ``deploy/varnish/default.vcl``). Static files
are compressed once, by WhiteNoise at ``collectstatic`` (``.gz`` and ``.br``); under ``make
run`` WhiteNoise serves them from the source folders, and they are compressed here instead.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable

import brotli
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import cc_delim_re, patch_vary_headers
from django.utils.text import compress_sequence, compress_string

# The text types on the public path. deploy/varnish/default.vcl gzips the same ones (a test
# checks that it names this very pattern).
TEXT_TYPES = (
    r"^(?:text/|application/(?:json|javascript|ecmascript|xml|[-.\w]+\+(?:json|xml))"
    r"|image/svg\+xml)"
)
_TEXT = re.compile(TEXT_TYPES, re.IGNORECASE)
# Shorter than this, the headers cost more than compression saves.
MIN_LENGTH = 200
# Brotli's quality 5 packs about as fast as gzip's default level, 15–25% smaller.
BROTLI_QUALITY = 5
# A warm page is the same bytes request after request: its compressed form is kept (per process,
# the latest this many, keyed by the bytes themselves), so a hit costs a hash of its bytes
# (0.4 ms for 350 KB) rather than compressing them again (3–4 ms).
MEMO_SIZE = 32
_CODING = re.compile(r"^\s*([\w*-]+)\s*(?:;\s*q\s*=\s*([0-9.]+))?\s*$")


def is_public(request: HttpRequest, response: HttpResponse) -> bool:
    """Whether ``response`` is the same for every visitor who sends this request: marked public
    and nothing in it is this visitor's own."""
    directives = {
        directive.split("=", 1)[0].strip().lower()
        for directive in cc_delim_re.split(response.get("Cache-Control", ""))
    }
    return (
        "public" in directives
        and not directives & {"private", "no-store", "no-cache"}
        and not response.cookies
        # The page holds a CSRF token (Django sets this whenever one is put in a page).
        and not request.META.get("CSRF_COOKIE_NEEDS_UPDATE")
        and settings.SESSION_COOKIE_NAME not in request.COOKIES
    )


def accepted(header: str) -> set[str]:
    """The content codings an ``Accept-Encoding`` header accepts (``q=0`` refuses one)."""
    codings = set()
    for part in header.split(","):
        match = _CODING.match(part)
        if match is None:
            continue
        try:
            quality = float(match.group(2)) if match.group(2) else 1.0
        except ValueError:
            continue
        if quality > 0:
            codings.add(match.group(1).lower())
    return codings


@functools.lru_cache(maxsize=MEMO_SIZE)
def compressed(content: bytes, coding: str) -> bytes:
    """``content`` in ``coding`` (``br`` or ``gzip``)."""
    if coding == "br":
        return brotli.compress(content, quality=BROTLI_QUALITY)
    return compress_string(content)


def _compressible(request: HttpRequest, response: HttpResponse) -> bool:
    return (
        response.status_code == 200
        and not response.has_header("Content-Encoding")
        and _TEXT.match(response.get("Content-Type", "")) is not None
        and not getattr(response, "is_async", False)
        and (response.streaming or len(response.content) >= MIN_LENGTH)
        and is_public(request, response)
    )


def public_compression_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Compresses public text for clients that accept it (see the module's docstring)."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not _compressible(request, response):
            return response
        # Whoever keeps a copy must know that it depends on the header.
        patch_vary_headers(response, ("Accept-Encoding",))
        codings = accepted(request.headers.get("Accept-Encoding", ""))
        if response.streaming:
            if "gzip" not in codings:
                return response
            response.streaming_content = compress_sequence(response.streaming_content)
            coding = "gzip"
            del response["Content-Length"]
        else:
            coding = "br" if "br" in codings else "gzip" if "gzip" in codings else ""
            if not coding:
                return response
            packed = compressed(response.content, coding)
            if len(packed) >= len(response.content):
                return response
            response.content = packed
            response["Content-Length"] = str(len(packed))
        response["Content-Encoding"] = coding
        # Other bytes than the uncompressed response's: a strong ETag would claim they are the
        # same. A weak one still answers If-None-Match with a 304 (RFC 9110, 8.8.1).
        etag = response.get("ETag", "")
        if etag.startswith('"'):
            response["ETag"] = f"W/{etag}"
        return response

    return middleware
