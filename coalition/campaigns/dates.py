"""A campaign's dates as the public meets them: the embargo before ``publish_at``, the launch at
that moment, and the moments at which public pages change without anyone saving anything.

**The embargo.** Before ``Campaign.publish_at`` every public surface of the campaign (its page,
wall, embeds, images, map, letter, share card, feed, and the API filtered to it) answers 404, and
the site-wide lists (``/api/v1/campaigns/``, an ally by its id, the campaign at the site's root)
leave it out: ``coalition.wall.selectors`` asks ``public_condition`` in the one place every
public read goes through. Applying works only through the owners' private link
(``?preview=<key>``, ``preview_key_matches``); reviewing and the team's previews
(``/review/preview/<slug>/``) work as for any campaign.

**The launch.** At ``publish_at`` the campaign is public at once, for every request that reads the
database. What caches hold is told by the worker: ``campaigns_launch`` (a step of every worker
pass) names each campaign whose moment has come as a site-wide public change, once (a conditional
update of ``launched_at``, so two workers never both do it), which moves the app's public
versions on and purges Varnish.

**Moments.** A launch, or a deadline (``closes_at``), changes what public pages show with no
write at all. ``moments_tell`` gives the cache layer the moments to come and the latest one
passed (``freshness.public_moments_set``): a rendering stored before a moment is out of date
from that moment, and no response is kept by a browser or Varnish past the next one, so that
even without the worker nothing stale outlives its moment by more than a second.
"""

from __future__ import annotations

import logging
import secrets
from datetime import datetime

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coalition.campaigns.models import Campaign
from coalition.jobs import tasks
from coalition.publishing import freshness

logger = logging.getLogger(__name__)

# The GET parameter (and hidden form field) of the owners' private link to the form.
PREVIEW_PARAMETER = "preview"
# The fields whose moments change public pages by themselves.
MOMENT_FIELDS = ("publish_at", "closes_at")


def public_condition(now: datetime | None = None, *, prefix: str = "") -> Q:
    """The condition of a campaign the public may see at ``now``, for a query of campaigns
    (``prefix`` ``""``) or of rows that name one (``"campaign__"``)."""
    return Q(**{f"{prefix}publish_at__isnull": True}) | Q(
        **{f"{prefix}publish_at__lte": now or timezone.now()}
    )


def is_embargoed(campaign: Campaign, now: datetime | None = None) -> bool:
    """Whether ``campaign`` is still hidden from the public at ``now``."""
    return not campaign.is_public(now)


def preview_key_new() -> str:
    """A new key for the owners' private link (43 characters, as ``preview_key`` holds)."""
    return secrets.token_urlsafe(32)


def preview_key_matches(campaign: Campaign, key: str | None) -> bool:
    """Whether ``key`` opens ``campaign``'s form before its launch: its own key, compared in
    constant time. A campaign without a key has no private link."""
    if not campaign.preview_key or not key:
        return False
    return secrets.compare_digest(campaign.preview_key.encode(), key.encode())


def campaigns_launch(*, now: datetime | None = None) -> list[Campaign]:
    """Tell the caches of every campaign whose ``publish_at`` has come and whose launch has not
    been told yet: a site-wide public change (it joins the lists, and may become the site's
    root), and ``launched_at`` set. Each launch is its own transaction, taken by a conditional
    update: of two workers, one launches and the other finds nothing to do."""
    now = now or timezone.now()
    launched = []
    due = Campaign.objects.filter(publish_at__lte=now, launched_at__isnull=True)
    for campaign in due.order_by("publish_at", "pk"):
        with transaction.atomic():
            taken = Campaign.objects.filter(
                pk=campaign.pk, launched_at__isnull=True, publish_at=campaign.publish_at
            ).update(launched_at=now)
            if not taken:
                continue  # another worker launched it, or its owners moved the date
            campaign.launched_at = now
            freshness.public_change(campaigns=[campaign], site_wide=True)
        logger.info("Campaign %s is public: caches told", campaign.slug)
        launched.append(campaign)
    return launched


def public_moments(*, now: datetime | None = None) -> list[datetime]:
    """The moments at which a public page changes by itself: every ``publish_at`` and
    ``closes_at`` to come, and the latest one passed (a rendering stored before it is out of
    date until a later change has moved the versions on)."""
    now = now or timezone.now()
    coming: list[datetime] = []
    latest_passed: datetime | None = None
    for moments in Campaign.objects.values_list(*MOMENT_FIELDS):
        for moment in moments:
            if moment is None:
                continue
            if moment > now:
                coming.append(moment)
            elif latest_passed is None or moment > latest_passed:
                latest_passed = moment
    return sorted(coming) + ([latest_passed] if latest_passed else [])


def moments_tell(*, now: datetime | None = None) -> None:
    """Give the cache layer the moments of ``public_moments`` (see the module's docstring)."""
    freshness.public_moments_set(public_moments(now=now))


def moments_tell_after_commit() -> None:
    """``moments_tell`` once the current transaction commits: a date was saved."""
    transaction.on_commit(moments_tell, robust=True)


def worker_step() -> int:
    """What the worker does on every pass: the launches that are due, then the moments told
    again (cheap: one query of the campaigns' dates), so that a cache that lost them has them
    back within a pass. Returns how many campaigns it launched."""
    launched = campaigns_launch()
    moments_tell()
    return len(launched)


STEP = tasks.register_step(tasks.Step(name="launches", run=worker_step))
