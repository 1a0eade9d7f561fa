"""What the views of every audience share."""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_cache_control

from coalition.campaigns import dates
from coalition.models import Campaign
from coalition.wall import selectors


def campaign_or_404(slug: str | None) -> Campaign:
    """The campaign with ``slug`` (the default one for ``None``), or the site's 404 page."""
    try:
        return selectors.campaign_get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


def campaign_to_apply_to_or_404(request: HttpRequest, slug: str | None) -> tuple[Campaign, bool]:
    """The campaign of the form at ``slug`` (``selectors.campaign_to_apply_to``): a public one,
    or one still under embargo opened by its private link, whose key comes in the form's hidden
    field or the link's ``?preview=``; with whether it is such a preview. The site's 404
    otherwise, the same as for a slug that names nothing."""
    key = request.POST.get(dates.PREVIEW_PARAMETER) or request.GET.get(dates.PREVIEW_PARAMETER)
    try:
        return selectors.campaign_to_apply_to(slug=slug, preview_key=key)
    except Campaign.DoesNotExist:
        raise Http404 from None


def private_preview(response: HttpResponse) -> HttpResponse:
    """Mark a response of a campaign still under embargo, seen through a private link or by its
    team: kept by no cache (browser, Varnish, a proxy), its address (which may carry the key)
    sent to no other site, and indexed by no search engine."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


def csrf_failure(request: HttpRequest, reason: str = "") -> HttpResponse:
    """``CSRF_FAILURE_VIEW``: the site's own page, in the visitor's language, never Django's
    debug page. Django has already logged the reason."""
    response = render(request, "403_csrf.html", {}, status=403)
    patch_cache_control(response, private=True, no_store=True)
    return response
