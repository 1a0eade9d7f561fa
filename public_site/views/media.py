"""Serving the processed logos, the only uploaded media there is.

Only names the logo pipeline makes (``logos/<2 hex>/<64 hex>-<1x|2x>.<png|webp>``) are served,
read through the default storage so that any storage backend works; anything else is a 404.
The names are content hashes, so a file never changes once written and may be cached forever,
by browsers and by a CDN in front of this view.
"""

from __future__ import annotations

import re

from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseNotModified
from django.utils.http import parse_etags
from django.views.decorators.http import require_safe

from coalition.images import logos
from coalition.publishing import cache_keys

LOGO_NAME = re.compile(
    rf"^{logos.STORAGE_DIR}/(?P<prefix>[0-9a-f]{{2}})/(?P<digest>[0-9a-f]{{64}})"
    r"-(?P<density>1x|2x)\.(?P<extension>png|webp)$"
)
# A campaign's hero image (coalition.images.heroes): ``heroes/<2 hex>/<64
# hex>-<width>w.<jpg|webp>``.
HERO_NAME = re.compile(
    r"^heroes/(?P<prefix>[0-9a-f]{2})/(?P<digest>[0-9a-f]{64})"
    r"-(?P<density>\d{2,4}w)\.(?P<extension>jpg|webp)$"
)
CONTENT_TYPES = {"png": "image/png", "webp": "image/webp", "jpg": "image/jpeg"}
# Everything a browser needs to treat the file as an image and nothing else: no sniffing, no
# scripts or styles should it ever be opened as a document.
HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'",
    "Cache-Control": "public, max-age=31536000, immutable",
    # Partner sites show logos from the API on their own pages.
    "Cross-Origin-Resource-Policy": "cross-origin",
}


def _with_headers(response: HttpResponse, etag: str) -> HttpResponse:
    for name, value in HEADERS.items():
        response[name] = value
    response["ETag"] = etag
    return response


@require_safe
def logo_file(request: HttpRequest, name: str) -> HttpResponse:
    """One file of a processed logo, with its type from its extension."""
    match = LOGO_NAME.match(name) or HERO_NAME.match(name)
    if match is None or match["prefix"] != match["digest"][:2]:
        raise Http404
    etag = f'"{match["digest"]}-{match["density"]}-{match["extension"]}"'
    if etag in parse_etags(request.headers.get("If-None-Match", "")):
        return _with_headers(HttpResponseNotModified(), etag)
    # Asked first: object stores open lazily and would fail only halfway through the response.
    if not default_storage.exists(name):
        raise Http404
    try:
        file = default_storage.open(name, "rb")
    except OSError:  # deleted in between (retention), or the storage is unreachable
        raise Http404 from None
    response = FileResponse(file, content_type=CONTENT_TYPES[match["extension"]])
    if match.re is LOGO_NAME:
        # A CDN keeps it forever: the key lets retention purge the files once it deletes the
        # logo. A hero image is never deleted, so it names no key of its own (in Varnish it
        # goes with ``site``, as everything public that names none).
        cache_keys.tag_response(response, [cache_keys.logo_key(match["digest"])])
    return _with_headers(response, etag)
