"""``/campaigns/<slug>/badge/<public_id>.svg``: the badge an approved ally puts on its own site
(``coalition.campaigns.badge``).

A public rendering like the wall's pictures (``public_site.views.wall``): its parameters are read
before the cache is asked (a value that names nothing is a 400 saying so, never stored), its
campaign and ally in ``build``, and it is named after both (``cache_keys``), so that the ally's
withdrawal, removal or approved edit, or a change of the campaign, purges it. Only an approved
ally of that campaign has one: anyone else's address is the site's 404, as for an id that names
nothing.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.utils import translation
from django.views.decorators.http import require_safe

from coalition.campaigns import badge
from coalition.images import colours
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import selectors
from coalition.wall.parameters import QueryError
from public_site.views.shortcuts import campaign_or_404


@require_safe
def badge_svg(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    try:
        looks = badge.BadgeLooks.parse(request.GET)
    except QueryError as error:
        return HttpResponse(
            "\n".join(error.lines()), status=400, content_type="text/plain; charset=utf-8"
        )

    def build() -> HttpResponse:
        campaign = campaign_or_404(slug)
        ally = (
            selectors.ally_with_id(public_id=public_id)
            .filter(campaign=campaign)
            .select_related("organization")
            .first()
        )
        if ally is None:
            raise Http404
        with translation.override(looks.lang):
            drawing = badge.badge_svg(
                campaign_title=campaign.title,
                organization_name=ally.organization.name,
                organizer_name=campaign.organizer_name,
                accent=colours.accent_or_default(campaign.accent_color),
                theme=looks.theme,
            )
        response = HttpResponse(drawing, content_type="image/svg+xml; charset=utf-8")
        response["Content-Language"] = looks.lang
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign, [ally]))
        return response

    response = renderings.cached_public_response(
        request,
        namespace="badge",
        # The language is the badge's own parameter, never the visitor's.
        variant="|".join([request.path, looks.cache_key()]),
        build=build,
        scope=freshness.campaign_scope(slug),
    )
    # Put in other sites' pages: loaded from anywhere, and inert if opened on its own.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    response["Content-Security-Policy"] = "default-src 'none'"
    return response
