from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render

from coalition import selectors
from coalition.models import Campaign


def campaign_detail(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    try:
        campaign = selectors.campaign_get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None
    allies = selectors.ally_list(campaign=campaign)
    return render(
        request,
        "coalition/campaign_detail.html",
        {"campaign": campaign, "allies": allies, "ally_count": len(allies)},
    )
