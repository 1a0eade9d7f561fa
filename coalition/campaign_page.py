"""What a campaign's page shows above its wall: who runs it, its lead, its counts, the newest
allies, the map, and what social sites show of a link to it (Open Graph, Twitter cards).

Read inside the page's ``build`` (``coalition.views.wall.campaign_detail``), from the wall's own
context, in a fixed number of queries: the newest allies (one), and the organizer's logo and the
hero image when the campaign has them (one each).
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils.safestring import mark_safe
from django.utils.translation import gettext

from coalition import colours, links, selectors, worldmap
from coalition.display import tile_rows, wall_tiles
from coalition.models import Campaign
from coalition.queries import AllyQuery

NEWEST_ALLIES = 8


def site_name() -> str:
    """``SITE_NAME``, or the product's name in the active language."""
    return getattr(settings, "SITE_NAME", "") or gettext("Coalition Registry")


def country_link(path: str, query: AllyQuery, code: str, *, fragment: str = "") -> str:
    """``path`` showing the wall of ``query``'s campaign filtered to country ``code`` (its other
    filters dropped, its order kept)."""
    only = replace(query.unfiltered(), countries=(code,), page=1)
    return f"{path}?{urlencode(only.to_params())}{fragment}"


def counts_by_country(wall: dict[str, Any]) -> dict[str, int]:
    """Allies per country, all filters aside, from a wall's context (its country facet)."""
    return {option.value: option.count for option in wall["country_options"] if option.count}


def page_context(
    *, path: str, campaign: Campaign, query: AllyQuery, wall: dict[str, Any]
) -> dict[str, Any]:
    """The campaign page's own context, beside the wall's (``wall_context``)."""
    by_country = counts_by_country(wall)
    newest_first = replace(query.unfiltered(), order="newest")
    newest = tile_rows(selectors.ally_list(newest_first))[:NEWEST_ALLIES]
    accent = colours.accent_or_default(campaign.accent_color)
    ally_map = worldmap.world_map(
        counts=by_country,
        url_for=lambda code: country_link(path, query, code, fragment="#wall-heading"),
        accent=accent,
        title=campaign.title,
        # The table beside the map holds the same numbers and links, for everyone.
        beside_table=True,
    )
    slug = campaign.slug
    return {
        "site_name": site_name(),
        "organizer_logo": campaign.organizer_logo if campaign.organizer_logo_id else None,
        "hero_image": campaign.hero_image if campaign.hero_image_id else None,
        "theme_url": reverse("campaign-theme", args=[campaign.accent_hex])
        if campaign.accent_hex
        else "",
        "country_count": len(by_country),
        "newest_items": wall_tiles(newest),
        # Built with ElementTree, which escaped every name and attribute.
        "map_markup": mark_safe(ally_map.markup),  # noqa: S308
        "map_rows": ally_map.rows,
        "map_svg_url": reverse("campaign-map", args=[slug]),
        "page_url": links.absolute(path),
        "share_image_url": links.absolute(reverse("campaign-share", args=[slug])),
        "share_image_size": (1200, 630),
    }
