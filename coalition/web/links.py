"""The site's own address, for every absolute link: mail, embed snippets, the API, the feed.

``SITE_URL`` wins when it is set. When it is not (``make run`` on a laptop), links follow the
address the site is actually served on: the current request's scheme and host (which Django
has already checked against ``ALLOWED_HOSTS``), or, outside a request (the worker, a command),
``http://127.0.0.1:$PORT`` — the address ``make run`` serves.
"""

from __future__ import annotations

import contextvars
import os
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

_request_origin: contextvars.ContextVar[str] = contextvars.ContextVar("request_origin", default="")


def site_url() -> str:
    """The base of absolute links, without a trailing slash."""
    if settings.SITE_URL:
        return settings.SITE_URL
    return _request_origin.get() or f"http://127.0.0.1:{os.getenv('PORT') or '8000'}"


def absolute(path: str) -> str:
    """``path`` (``/manage/…``) as an absolute URL on this site; absolute URLs pass unchanged."""
    if path.startswith(("http://", "https://")):
        return path
    return f"{site_url()}{path}"


def site_url_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Remember the address this request came to, for links built while answering it."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if settings.SITE_URL:
            return get_response(request)
        try:
            origin = f"{request.scheme}://{request.get_host()}"
        except Exception:  # noqa: BLE001 - a disallowed Host: Django answers 400 further on
            origin = ""
        token = _request_origin.set(origin)
        try:
            return get_response(request)
        finally:
            _request_origin.reset(token)

    return middleware
