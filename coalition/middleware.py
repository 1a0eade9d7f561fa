"""Response policies that apply to every page: one Content-Security-Policy, Permissions-Policy."""

from __future__ import annotations

from collections.abc import Callable

from csp.middleware import CSPMiddleware, PolicyParts
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase


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
