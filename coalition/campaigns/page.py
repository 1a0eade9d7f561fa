"""What a campaign's page shows above its wall: who runs it, its lead, its counts (against its
goal), its deadline and timeline, the newest allies, the map, and what social sites show of a
link to it (Open Graph, Twitter cards).

Read inside the page's ``build`` (``public_site.views.wall.campaign_detail``), from the wall's own
context, in a fixed number of queries: the newest allies (one), the newest statements (one), the
timeline (one), and the organizer's logo and the hero image when the campaign has them (one
each). The count of allies against the goal is the wall's own (``ally_count``), never counted
again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.safestring import mark_safe
from django.utils.translation import get_language, gettext, ngettext, pgettext_lazy

from coalition.campaigns import worldmap
from coalition.campaigns.sharing import share_links
from coalition.images import colours
from coalition.models import Campaign
from coalition.wall import oembed, selectors
from coalition.wall.looks import tile_rows, wall_tiles
from coalition.wall.queries import AllyQuery
from coalition.web import links

NEWEST_ALLIES = 8
# "Why they signed": a few, the newest; every ally's own is on its tile.
STATEMENTS_SHOWN = 4


def site_name() -> str:
    """``SITE_NAME``, or the product's name in the active language."""
    return getattr(settings, "SITE_NAME", "") or gettext("Coalition Registry")


def country_link(path: str, query: AllyQuery, code: str, *, fragment: str = "") -> str:
    """``path`` showing the wall of ``query``'s campaign filtered to country ``code`` (its other
    filters dropped, its order kept)."""
    only = replace(query.unfiltered(), countries=(code,), page=1)
    return f"{path}?{urlencode(only.to_params())}{fragment}"


def counts_by_country(wall: dict[str, Any]) -> dict[str, int]:
    """Allies per country, all filters aside, from a wall's context (its ``country_counts``;
    a wall that could not be shown has only its country facet, unfiltered)."""
    if "country_counts" in wall:
        return {code: count for code, count in wall["country_counts"].items() if count}
    return {option.value: option.count for option in wall["country_options"] if option.count}


def canonical_url(campaign: Campaign) -> str:
    """The one address of the campaign's page in the active language: the site's root for the
    default campaign (also served at ``/campaigns/<slug>/``), else its own."""
    if campaign.is_default:
        return links.absolute(reverse("home"))
    return links.absolute(reverse("campaign-detail", args=[campaign.slug]))


# Open Graph names a locale with its territory; ours are the languages' usual ones.
OG_LOCALES = {"en": "en_GB", "fr": "fr_FR", "de": "de_DE"}


def og_locales() -> tuple[str, list[str]]:
    """``og:locale`` of the active language, and the ``og:locale:alternate`` of the others."""
    current = (get_language() or settings.LANGUAGE_CODE).split("-")[0]
    codes = [code for code, _name in settings.LANGUAGES]
    locale = OG_LOCALES.get(current, current)
    return locale, [OG_LOCALES.get(code, code) for code in codes if code != current]


# How the campaign's dates are written, as Django date formats each catalog sets: the order of day
# and month and the month's name are the language's ("31 March 2027", "31 mars 2027",
# "31. März 2027"); a 24-hour time, never "p.m.", which doubles the period ending a sentence.
DAY_FORMAT = pgettext_lazy("Django date format: a day of a campaign's timeline", "j F Y")
MOMENT_FORMAT = pgettext_lazy("Django date format: a campaign's deadline", "j F Y, H:i")


def day_text(value: date) -> str:
    """A date of the timeline, in the active language."""
    return formats.date_format(value, str(DAY_FORMAT))


def moment_text(campaign: Campaign, moment: datetime) -> str:
    """``moment`` as the campaign's people read it: in its time zone (named after it, since a
    visitor may be elsewhere), in the active language."""
    local = timezone.localtime(moment, campaign.zone)
    return f"{formats.date_format(local, str(MOMENT_FORMAT))} ({campaign.zone.key})"


@dataclass(frozen=True)
class Deadline:
    """The campaign's deadline for applications, as its pages say it."""

    closes_at: datetime
    closed: bool
    text: str


def deadline(campaign: Campaign, now: datetime | None = None) -> Deadline | None:
    """What the campaign's pages say of its deadline: when applications close, or closed; None
    when it has none."""
    if campaign.closes_at is None:
        return None
    when = moment_text(campaign, campaign.closes_at)
    if campaign.is_closed(now):
        text = gettext("Applications closed on %(when)s.") % {"when": when}
        return Deadline(campaign.closes_at, True, text)
    text = gettext("Applications close on %(when)s.") % {"when": when}
    return Deadline(campaign.closes_at, False, text)


def takes_applications(campaign: Campaign, now: datetime | None = None) -> bool:
    """Whether the campaign's form takes applications now: it was not closed by hand, and its
    deadline (if any) has not passed."""
    return campaign.accepts_applications and not campaign.is_closed(now)


@dataclass(frozen=True)
class Goal:
    """The count of allies against the goal, for a progress bar and its words."""

    count: int
    goal: int
    text: str

    @property
    def shown(self) -> int:
        """The bar's value: a campaign past its goal shows a full bar (its words say how far)."""
        return min(self.count, self.goal)

    @property
    def percent(self) -> int:
        return round(100 * self.shown / self.goal)


def goal_progress(campaign: Campaign, ally_count: int) -> Goal | None:
    """``ally_count`` (the wall's count of approved allies) against the campaign's goal, or
    None when it has none."""
    if not campaign.goal:
        return None
    text = ngettext(
        "%(count)s of %(goal)s organization",
        "%(count)s of %(goal)s organizations",
        campaign.goal,
    ) % {"count": formats.localize(ally_count), "goal": formats.localize(campaign.goal)}
    return Goal(count=ally_count, goal=campaign.goal, text=text)


@dataclass(frozen=True)
class Step:
    """A milestone of the timeline, in the active language."""

    date: date
    date_text: str
    title: str
    link: str


def timeline(campaign: Campaign) -> list[Step]:
    """The campaign's milestones by date (one query), their titles and links in the active
    language (django-modeltranslation falls back as for every translated field)."""
    return [
        Step(
            date=milestone.date,
            date_text=day_text(milestone.date),
            title=milestone.title,
            link=milestone.link,
        )
        for milestone in selectors.milestone_list(campaign=campaign)
    ]


def dates_context(campaign: Campaign, *, ally_count: int) -> dict[str, Any]:
    """The goal, the deadline and the timeline as the campaign's page shows them."""
    return {
        "goal": goal_progress(campaign, ally_count),
        "deadline": deadline(campaign),
        "takes_applications": takes_applications(campaign),
        "timeline": timeline(campaign),
    }


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
    canonical = canonical_url(campaign)
    filters = replace(query, page=1).to_params()
    og_locale, og_locale_alternates = og_locales()
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
        "canonical_url": canonical,
        # oEmbed's discovery: the wall as this page shows it, filters and all, from its start.
        "oembed_urls": {
            format_: oembed.discovery_url(
                canonical + (f"?{urlencode(filters)}" if filters else ""), format_=format_
            )
            for format_ in oembed.FORMATS
        },
        "oembed_title": oembed.discovery_title(campaign),
        "og_locale": og_locale,
        "og_locale_alternates": og_locale_alternates,
        "share_links": share_links(url=canonical, title=campaign.title),
        "statements": selectors.ally_statements(query, limit=STATEMENTS_SHOWN),
        **dates_context(campaign, ally_count=wall["ally_count"]),
    }
