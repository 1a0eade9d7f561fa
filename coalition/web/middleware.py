"""Response policies that apply to every page: one Content-Security-Policy, Permissions-Policy,
and ``Cache-Control: private`` on whatever sets a cookie. (The browser told to drop its copies
after its own request changed the public pages: ``coalition.publishing.freshness``.)"""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import cc_delim_re, patch_cache_control


def embed_frame_ancestors() -> list[str]:
    """Who may frame an embed: everyone, unless ``EMBED_FRAME_ANCESTORS`` names the sites."""
    allowed = list(getattr(settings, "EMBED_FRAME_ANCESTORS", []))
    return ["'self'", *allowed] if allowed else ["*"]


class ContentSecurityPolicyMiddleware(CSPMiddleware):
    """django-csp's policy (``CONTENT_SECURITY_POLICY``), with ``frame-ancestors 'none'`` except
    on responses whose view may be framed (``@xframe_options_exempt``: the embeds), which get
    ``EMBED_FRAME_ANCESTORS`` instead. One header, so the two can never disagree.

    A response that already carries its own policy (a logo, the wall's SVG) keeps it.
    """

    def get_policy_parts(
        self, request: HttpRequest, response: HttpResponseBase, report_only: bool = False
    ) -> PolicyParts:
        parts = super().get_policy_parts(request, response, report_only)
        if not report_only and getattr(response, "xframe_options_exempt", False):
            parts.replace = {**(parts.replace or {}), "frame-ancestors": embed_frame_ancestors()}
        return parts


def permissions_policy_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """``Permissions-Policy`` (``PERMISSIONS_POLICY``): no page here uses the camera, location
    and the like, so no page, nor anything framed in one, may ask for them."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        policy = getattr(settings, "PERMISSIONS_POLICY", "")
        if policy:
            response.headers.setdefault("Permissions-Policy", policy)
        return response

    return middleware


def private_when_setting_cookies_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A response that sets a cookie (the CSRF token of a form page, the language choice, a
    session) is meant for one browser: ``Cache-Control: private`` keeps shared caches from
    storing it and handing the cookie to everyone else. First in ``MIDDLEWARE``, so that it
    sees the cookies every other middleware sets on the way out."""

    def middleware(request: HttpRequest) -> HttpResponse:
        response = get_response(request)
        if response.cookies:
            _make_private(response)
        return response

    return middleware


def _make_private(response: HttpResponseBase) -> None:
    directives = [
        directive.strip()
        for directive in cc_delim_re.split(response.get("Cache-Control", ""))
        if directive.strip()
    ]
    names = {directive.split("=", 1)[0].strip().lower() for directive in directives}
    if names & {"private", "no-store"}:
        return
    # A shared cache may never hold it: whatever allowed one to goes.
    kept = [
        directive
        for directive in directives
        if directive.split("=", 1)[0].strip().lower() not in {"public", "s-maxage"}
    ]
    if kept:
        response["Cache-Control"] = ", ".join(kept)
    elif "Cache-Control" in response:
        del response["Cache-Control"]
    patch_cache_control(response, private=True)
