"""The Atom feed of a campaign's newest allies.

Atom titles are plain text, so names go in as they are and the XML writer escapes them; the
summary is HTML (``type="html"``), so statements are HTML-escaped first and a reader shows them as
text, never as markup.
"""

from __future__ import annotations

from datetime import datetime

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from coalition import cache_keys, links, selectors
from coalition.images import xml_safe
from coalition.models import Campaign, Endorsement
from coalition.queries import AllyQuery

FEED_SIZE = 50


class AlliesFeed(Feed):
    feed_type = Atom1Feed

    def get_object(self, request: HttpRequest, slug: str) -> Campaign:
        return selectors.campaign_get(slug=slug)

    def title(self, campaign: Campaign) -> str:
        return xml_safe(
            _("%(title)s: organizations that stand together") % {"title": campaign.title}
        )

    def subtitle(self, campaign: Campaign) -> str:
        return xml_safe(campaign.statement)

    # The feed's link, its self link and its entries' ids on one base (``links.site_url()``):
    # left relative, Django would complete the links from the request and the ids would differ.
    def link(self, campaign: Campaign) -> str:
        return links.absolute(reverse("campaign-detail", args=[campaign.slug]))

    def feed_url(self, campaign: Campaign) -> str:
        return links.absolute(reverse("feed", args=[campaign.slug]))

    # RFC 4287 requires an author for the feed when its entries have none. The campaign speaks
    # here, never an applicant (whose contact details stay private).
    def author_name(self, campaign: Campaign) -> str:
        return xml_safe(campaign.title)

    def author_link(self, campaign: Campaign) -> str:
        return self.link(campaign)

    def items(self, campaign: Campaign) -> list[Endorsement]:
        newest = AllyQuery(campaign=campaign.slug, order="newest")
        # Kept, to name the allies listed in the response's cache keys.
        self.listed = list(selectors.ally_list(newest)[:FEED_SIZE])
        return self.listed

    def item_title(self, ally: Endorsement) -> str:
        return xml_safe(ally.organization.name)

    def item_description(self, ally: Endorsement) -> str:
        organization = ally.organization
        text = organization.statement or _("%(name)s stands together with this campaign.") % {
            "name": organization.name
        }
        return escape(xml_safe(text))

    def item_link(self, ally: Endorsement) -> str:
        return ally.organization.website

    def item_guid(self, ally: Endorsement) -> str:
        # Stable for as long as the endorsement exists, and the same on every mirror of the site.
        path = reverse("campaign-detail", args=[self.campaign.slug])
        return f"{links.absolute(path)}#ally-{ally.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, ally: Endorsement) -> datetime | None:
        return ally.approved_at

    def item_updateddate(self, ally: Endorsement) -> datetime | None:
        return ally.approved_at

    def get_feed(self, obj: Campaign, request: HttpRequest):
        # A feed object serves one request (the view makes a new one each time).
        self.campaign = obj
        self.listed: list[Endorsement] = []
        return super().get_feed(obj, request)

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """The feed, named after its campaign and the allies it lists (``coalition.cache_keys``);
        a 404 when the campaign does not exist."""
        response = super().__call__(request, *args, **kwargs)
        cache_keys.tag_response(response, cache_keys.keys_for_page(self.campaign, self.listed))
        return response
