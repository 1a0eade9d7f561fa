"""The Atom feed of a campaign's newest allies, and of its timeline's milestones.

Both kinds of entry in one list, newest first: an ally by its approval, a milestone by its day
(midnight in the campaign's time zone; a milestone still to come stands at the top). Each entry's
id is stable: the ally's public id, the milestone's own id, under the campaign page's address.

Atom titles are plain text, so names go in as they are and the XML writer escapes them; the
summary is HTML (``type="html"``), so statements are HTML-escaped first and a reader shows them as
text, never as markup.
"""

from __future__ import annotations

from datetime import datetime, time, timezone

from django.contrib.syndication.views import Feed
from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.translation import gettext as _

from coalition.campaigns import page as campaign_page
from coalition.images.text import xml_safe
from coalition.models import Campaign, Endorsement, Milestone
from coalition.publishing import cache_keys
from coalition.wall import selectors
from coalition.wall.queries import AllyQuery
from coalition.web import links

FEED_SIZE = 50


class AlliesAtomFeed(Atom1Feed):
    """Atom, its ``<updated>`` the newest public change of the list (``changed_at``)."""

    def latest_post_date(self) -> datetime:
        # The entries alone miss a removal or a withdrawal: the list changed, and no entry
        # left in it did.
        newest_entry = super().latest_post_date() if self.items else None
        dates = [date for date in (newest_entry, self.feed.get("changed_at")) if date]
        return max(dates) if dates else super().latest_post_date()


class AlliesFeed(Feed):
    feed_type = AlliesAtomFeed

    def feed_extra_kwargs(self, campaign: Campaign) -> dict[str, datetime | None]:
        return {"changed_at": selectors.ally_list_changed_at(campaign=campaign)}

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

    def items(self, campaign: Campaign) -> list[Endorsement | Milestone]:
        newest = AllyQuery(campaign=campaign.slug, order="newest")
        # Kept, to name the allies listed in the response's cache keys.
        self.listed = list(selectors.ally_list(newest)[:FEED_SIZE])
        milestones = list(selectors.milestone_list(campaign=campaign))
        entries: list[Endorsement | Milestone] = [*self.listed, *milestones]
        # Newest first, whatever their kind (sorted is stable: equal moments keep their order).
        # An ally approved before approval times were kept has none: it sorts as the oldest.
        return sorted(entries, key=self._sort_moment, reverse=True)

    def _sort_moment(self, item: Endorsement | Milestone) -> datetime:
        return self.item_pubdate(item) or datetime.min.replace(tzinfo=timezone.utc)

    def _milestone_moment(self, milestone: Milestone) -> datetime:
        """A milestone's day as a moment: its start, in the campaign's time zone."""
        return datetime.combine(milestone.date, time.min, tzinfo=self.campaign.zone)

    def _page_url(self) -> str:
        return links.absolute(reverse("campaign-detail", args=[self.campaign.slug]))

    def item_title(self, item: Endorsement | Milestone) -> str:
        if isinstance(item, Milestone):
            return xml_safe(item.title)
        return xml_safe(item.organization.name)

    def item_description(self, item: Endorsement | Milestone) -> str:
        if isinstance(item, Milestone):
            text = _("%(date)s, on the timeline of %(campaign)s.") % {
                "date": campaign_page.day_text(item.date),
                "campaign": self.campaign.title,
            }
            return escape(xml_safe(text))
        organization = item.organization
        text = organization.statement or _("%(name)s stands together with this campaign.") % {
            "name": organization.name
        }
        return escape(xml_safe(text))

    def item_link(self, item: Endorsement | Milestone) -> str:
        if isinstance(item, Milestone):
            # Its own page when it has one, else the campaign's timeline.
            return item.link or f"{self._page_url()}#timeline"
        return item.organization.website

    def item_guid(self, item: Endorsement | Milestone) -> str:
        # Stable for as long as the entry exists, and the same on every mirror of the site.
        if isinstance(item, Milestone):
            return f"{self._page_url()}#milestone-{item.pk}"
        return f"{self._page_url()}#ally-{item.public_id}"

    item_guid_is_permalink = False

    def item_pubdate(self, item: Endorsement | Milestone) -> datetime | None:
        if isinstance(item, Milestone):
            return self._milestone_moment(item)
        return item.approved_at

    def item_updateddate(self, item: Endorsement | Milestone) -> datetime | None:
        if isinstance(item, Milestone):
            # Its last edit: a corrected title or date is news to a reader's feed.
            return item.updated_at
        return item.approved_at

    def get_feed(self, obj: Campaign, request: HttpRequest):
        # A feed object serves one request (the view makes a new one each time).
        self.campaign = obj
        self.listed: list[Endorsement] = []
        return super().get_feed(obj, request)

    def __call__(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        """The feed, named after its campaign and the allies it lists
        (``coalition.publishing.cache_keys``);
        a 404 when the campaign does not exist."""
        response = super().__call__(request, *args, **kwargs)
        cache_keys.tag_response(response, cache_keys.keys_for_page(self.campaign, self.listed))
        return response
