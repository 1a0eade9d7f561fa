"""What the views of every audience share."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from coalition import selectors
from coalition.models import Campaign


def campaign_or_404(slug: str | None) -> Campaign:
    """The campaign with ``slug`` (the default one for ``None``), or the site's 404 page."""
    try:
        return selectors.campaign_get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the site's own page, in the visitor's language, never Django's
    debug page. Django has already logged the reason."""
    response = render(request, "403_csrf.html", {}, status=403)
    patch_cache_control(response, private=True, no_store=True)
    return response
