"""``/favicon.ico``: browsers, feed readers and bookmark tools ask for it at the root of the
site, whatever the page's ``<link rel="icon">`` says, so it answers there rather than 404."""

from __future__ import annotations

import functools
import hashlib

from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.views.decorators.http import condition, require_safe

# The address is fixed (not fingerprinted like /static/), so a week rather than "immutable".
FAVICON_MAX_AGE = 7 * 24 * 3600


@functools.cache
def _icon() -> tuple[bytes, str]:
    path = finders.find("coalition/favicon.ico")
    if not path:
        raise Http404
    with open(path, "rb") as file:
        content = file.read()
    return content, f'"{hashlib.sha256(content).hexdigest()[:20]}"'


@require_safe
@condition(etag_func=lambda request: _icon()[1])
def favicon(request: HttpRequest) -> HttpResponse:
    content, _etag = _icon()
    response = HttpResponse(content, content_type="image/x-icon")
    response["Cache-Control"] = f"public, max-age={FAVICON_MAX_AGE}"
    return response
