"""A campaign's own files beside its page: the map of its allies (``map.svg``), the picture social
sites show of a link to it (``share.png``) and its colours (``/theme/<accent>.css``).

The map and the card are public renderings like the wall's (``public_site.views.wall``): named
from the request alone, read and drawn in ``build``, cached under the public version and tagged
with what they show, so that a change purges them.
"""

from __future__ import annotations

from dataclasses import replace
from urllib.parse import urlencode

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import get_language
from django.views.decorators.http import require_safe

from coalition.campaigns import share_card, worldmap
from coalition.images import colours
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import picture, selectors
from coalition.wall.queries import AllyQuery
from coalition.web import links
from public_site.views import wall
from public_site.views.shortcuts import campaign_or_404

THEME_POLICY_SECONDS = 31_536_000


def _as_image(response: HttpResponse) -> HttpResponse:
    # Like the wall's images: put on other sites and in READMEs, and inert if opened alone.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def map_svg(request: HttpRequest, slug: str) -> HttpResponse:
    """The allies of campaign ``slug`` on a world map, with the wall's filters; each country a
    link to the wall filtered to it."""
    asked = wall.read_parameters(request, slug)

    def build() -> HttpResponse:
        campaign, resolved = wall.resolve(request, slug)
        if resolved.problems:
            return _problems(resolved)
        query = resolved.query
        facets = selectors.ally_facets(query)
        page = reverse("campaign-detail", args=[campaign.slug])

        def url_for(code: str) -> str:
            only = replace(query, countries=(code,), page=1)
            return links.absolute(f"{page}?{urlencode(only.to_params())}")

        drawing = worldmap.world_map(
            counts=facets.countries,
            url_for=url_for,
            accent=colours.accent_or_default(campaign.accent_color),
            title=campaign.title,
        )
        response = HttpResponse(drawing.svg, content_type="image/svg+xml; charset=utf-8")
        response["Content-Language"] = get_language()
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign))
        return response

    if asked.problems:
        return _problems(asked)  # malformed: a 400 saying so, never stored
    response = renderings.cached_public_response(
        request,
        namespace="map-svg",
        variant=wall.variant(request, asked.query.cache_key()),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )
    response["Content-Security-Policy"] = "default-src 'none'"
    return _as_image(response)


def _problems(asked: wall.WallParameters) -> HttpResponse:
    return HttpResponse(
        "\n".join(asked.problems), status=400, content_type="text/plain; charset=utf-8"
    )


@require_safe
def share_png(request: HttpRequest, slug: str) -> HttpResponse:
    """The 1200 × 630 card of ``og:image``: title, counts and the newest logos."""

    def build() -> HttpResponse:
        campaign = campaign_or_404(slug)
        query = AllyQuery(campaign=campaign.slug, order="newest")
        facets = selectors.ally_facets(query)
        newest = list(selectors.ally_list(query)[: share_card.MAX_LOGOS])
        card = share_card.Card(
            title=campaign.title,
            organizer=campaign.organizer_name,
            total=facets.total,
            countries=len(facets.countries),
            items=picture.wall_items(newest),
            accent=colours.accent_or_default(campaign.accent_color),
        )
        response = HttpResponse(share_card.render(card), content_type="image/png")
        response["Content-Language"] = get_language()
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign, newest))
        return response

    response = renderings.cached_public_response(
        request,
        namespace="share-png",
        variant=wall.variant(request),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )
    return _as_image(response)


@require_safe
def theme_css(request: HttpRequest, accent: str) -> HttpResponse:
    """The custom properties of a campaign's accent, for pages with ``class="theme-campaign"``.

    Made from its name alone (the colour), so it never changes and needs no database; only
    colours that pass the campaign's contrast check have one."""
    rgb = colours.parse_hex(accent)
    if (
        rgb is None
        or colours.to_hex(rgb) != f"#{accent}"
        or colours.page_contrast(rgb) < colours.MIN_CONTRAST
    ):
        raise Http404
    properties = "".join(
        f"  {name}: {value};\n" for name, value in colours.theme_variables(rgb).items()
    )
    response = HttpResponse(
        f"/* A campaign's accent (coalition/images/colours.py). */\n"
        f".theme-campaign {{\n{properties}}}\n",
        content_type="text/css; charset=utf-8",
    )
    response["Cache-Control"] = f"public, max-age={THEME_POLICY_SECONDS}, immutable"
    return response
