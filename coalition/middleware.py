"""Small response policies that apply to every page."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


def frame_ancestors_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """No page may be framed by another site (CSP ``frame-ancestors 'none'``, next to
    X-Frame-Options: DENY) unless its view says otherwise, as the embeds do."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if not getattr(response, "xframe_options_exempt", False):
            response.headers.setdefault("Content-Security-Policy", "frame-ancestors 'none'")
        return response

    return middleware
