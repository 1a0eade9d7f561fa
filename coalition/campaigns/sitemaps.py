"""What search engines are told to read (``/sitemap.xml``): each public campaign's page, letter and
verify page, and the proof page of each of its current allies, in every language of the site, each
naming its translations (``hreflang``), so that a search for an organization's name can lead to
the page that shows it signed.

Only what the public may see: campaigns whose embargo is over, approved allies (an ally who left
keeps a proof page, which the log links to, but is not offered to search engines). Built on
Django's sitemaps framework; the views (``public_site.views.seo``) give it the site's address from
``SITE_URL``, as every absolute link is (``coalition.web.links``).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.sitemaps import Sitemap
from django.urls import reverse

from coalition.campaigns.page import canonical_url
from coalition.wall import selectors
from coalition.web import links

# Of each campaign: its page, its letter to lawmakers and how to verify its list.
CAMPAIGN_PAGES = ("page", "letter", "verify")


class _Translated(Sitemap):
    """Each item in every language, with its translations and the unprefixed English as
    x-default."""

    i18n = True
    alternates = True
    x_default = True
    # URLs per sitemap page (each language of an item is one, with four links): a page of proof
    # pages is built in well under a second, far below the protocol's 50,000.
    limit = 2000


class CampaignPages(_Translated):
    def items(self) -> list[tuple[Any, str]]:
        return [
            (campaign, kind)
            for campaign in selectors.campaigns_public().order_by("pk")
            for kind in CAMPAIGN_PAGES
        ]

    def location(self, item: tuple[Any, str]) -> str:
        campaign, kind = item
        if kind == "page":
            # The address the page itself names as canonical: the root for the default one.
            return canonical_url(campaign).removeprefix(links.site_url())
        name = "letter" if kind == "letter" else "campaign-verify"
        return reverse(name, args=[campaign.slug])


class AllyPages(_Translated):
    def items(self) -> list[tuple[str, str]]:
        return list(
            selectors.ally_list_public().order_by("pk").values_list("campaign__slug", "public_id")
        )

    def location(self, item: tuple[str, str]) -> str:
        slug, public_id = item
        return reverse("campaign-ally-proof", args=[slug, public_id])


SECTIONS: dict[str, type[Sitemap]] = {"campaigns": CampaignPages, "allies": AllyPages}


@dataclass(frozen=True)
class Site:
    """The ``site`` Django's sitemaps take: the host (and any path) of ``SITE_URL``."""

    domain: str


def site_and_protocol() -> tuple[Site, str]:
    protocol, _, domain = links.site_url().partition("://")
    return Site(domain), protocol
