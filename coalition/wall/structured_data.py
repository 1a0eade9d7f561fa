"""The campaign page's structured data (JSON-LD, schema.org): who runs the campaign, the page,
and the allies its wall shows, for search engines and any JSON-LD processor.

Built once, here, from what the page renders already (its wall's tiles, its page of them and
its count, the organizer's logo it has read): no query of its own, and exactly the allies the
page shows, with only what their tiles show (name, website, logo) and their country. A filtered
or later page lists its own allies, positioned in the whole list.

Schema.org has no type for a campaign or a coalition: the page is a ``WebPage`` (a
``CreativeWork``) published by the organizer, whose ``mainEntity`` is the ``ItemList`` of the
allies (``docs/wall-and-embeds.md``).
"""

from __future__ import annotations

import json
from typing import Any

from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language, gettext

from coalition.models import Campaign
from coalition.wall.looks import Tile
from coalition.web import links

CONTEXT = "https://schema.org"

# What a JSON text may hold that HTML would read as the end of the script or a comment:
# written as JSON escapes, which every JSON reader turns back into the same characters (as
# Django's json_script does).
_SCRIPT_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def _organizer(campaign: Campaign, *, site_name: str, organizer_logo: Any) -> dict[str, Any]:
    """The organizer as an ``Organization``: the campaign's, else the site's own."""
    if not campaign.organizer_name:
        return {"@type": "Organization", "name": site_name, "url": links.absolute("/")}
    organizer: dict[str, Any] = {"@type": "Organization", "name": campaign.organizer_name}
    if campaign.organizer_website:
        organizer["url"] = campaign.organizer_website
    if organizer_logo is not None:
        organizer["logo"] = links.absolute(organizer_logo.png.url)
    return organizer


def _ally(tile: Tile) -> dict[str, Any]:
    ally: dict[str, Any] = {"@type": "Organization", "name": tile["name"], "url": tile["website"]}
    if tile["logo"]:
        ally["logo"] = links.absolute(tile["png_url"])
    if tile["country"]:
        ally["address"] = {"@type": "PostalAddress", "addressCountry": tile["country"]}
    return ally


def campaign_page(
    *,
    campaign: Campaign,
    canonical_url: str,
    page_url: str,
    site_name: str,
    organizer_logo: Any,
    items: list[Tile],
    first_position: int,
    total: int,
) -> dict[str, Any]:
    """The page's JSON-LD: the organizer, the page, and the allies of ``items`` (the wall's
    tiles, in its order) as an ``ItemList`` whose positions start at ``first_position`` (the
    page's first ally in the whole list) and which counts ``total`` (every ally the wall's
    filters keep, over all its pages)."""
    organizer = {
        "@id": f"{canonical_url}#organizer",
        **_organizer(campaign, site_name=site_name, organizer_logo=organizer_logo),
    }
    allies = {
        "@type": "ItemList",
        "@id": f"{page_url}#allies",
        "name": gettext("Organizations that stand together"),
        "numberOfItems": total,
        "itemListElement": [
            {"@type": "ListItem", "position": first_position + index, "item": _ally(tile)}
            for index, tile in enumerate(items)
        ],
    }
    page: dict[str, Any] = {
        "@type": "WebPage",
        "@id": page_url,
        "url": page_url,
        "name": campaign.title,
        "inLanguage": get_language() or "en",
        "publisher": {"@id": organizer["@id"]},
        "mainEntity": {"@id": allies["@id"]},
    }
    if campaign.lead:
        page["description"] = campaign.lead
    if page_url != canonical_url:
        # A filtered or later page of the wall: the campaign's own page is the canonical one.
        page["isPartOf"] = {"@type": "WebPage", "@id": canonical_url, "url": canonical_url}
    return {"@context": CONTEXT, "@graph": [organizer, page, allies]}


def script(data: dict[str, Any]) -> SafeString:
    """``data`` as a ``<script type="application/ld+json">`` element whose content no text in
    it (a name with ``</script>`` or ``<!--``) can end or turn into markup."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":")).translate(_SCRIPT_ESCAPES)
    # Safe: the only characters that HTML reads inside a script element are escaped above.
    return mark_safe(f'<script type="application/ld+json">{text}</script>')  # noqa: S308
