"""Freshness: how a public change reaches every reader, from its commit to the page they see.

1. **Named.** Inside the transaction of a change, its service calls ``public_change`` with what
   it changed: allies, campaigns, logo files, or ``site_wide`` (sectors, a new default campaign,
   a campaign's new slug).
2. **In the app.** Once it commits, the public versions it touched move on: its campaigns' (by
   slug, and the default campaign's pages' when it is the default), the site's for a site-wide
   change, and always the version of everything. Each rendering
   (``renderings.cached_public_response``) is stored under the version of its ``scope`` and
   names it in its ETag: the next request of a page that shows the change renders it afresh,
   while another campaign's pages stay as stored.
3. **In Varnish.** Then the keys of what changed (``cache_keys``: its campaign's pages, embeds,
   images, feed, letter and API lists, its allies', the list of campaigns; ``site`` for a
   site-wide change) are soft-purged (``xkey.softpurge``) on each cache in
   ``HTTP_CACHE_PURGE_URLS`` (``purges``), at once with a 0.5 s timeout: those copies are stale,
   so the next request fetches the new page, and are kept 24 h (grace) only to be served while
   the app is down. The same keys are purged again ``HTTP_CACHE_PURGE_REPEAT_SECONDS`` later,
   and any purge a cache did not confirm is retried by the worker.
4. **In the browser.** A public page is kept ``max-age`` (a minute; ``embed.js`` an hour), then
   revalidated: its ETag names the version, so an unchanged page is a 304 and a changed one the
   new page. The browser of whoever made the change drops its copies at once
   (``fresh_pages_after_a_public_change_middleware``).

**Moments.** Some changes need no write: at a campaign's ``publish_at`` it goes public, at its
``closes_at`` its form closes. The moments to come and the latest one passed are kept beside the
versions (``public_moments_set``, from ``coalition.campaigns.dates``): every version reads as at
least the latest moment passed, so a rendering stored before a moment is out of date from that
very moment, and ``next_moment`` caps how long any response may be kept (``renderings``), so
that no cache holds one past the next moment. The worker names a launch as a site-wide change
too (``dates.campaigns_launch``), which purges Varnish at once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from coalition.publishing import cache_keys, purges

if TYPE_CHECKING:
    from coalition.models import Campaign, Endorsement

logger = logging.getLogger(__name__)

# The version of everything: every public change moves it.
PUBLIC_VERSION_KEY = "coalition:public-version"
# The moments at which public pages change by themselves (milliseconds, sorted; see above).
MOMENTS_KEY = "coalition:public-moments"
# The scopes a rendering may follow (``public_version``), besides a campaign's.
EVERYTHING = "everything"
SITE = "site"
# Requests that can change nothing (RFC 9110, section 9.2.1).
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


def campaign_scope(slug: str | None) -> str:
    """The scope of a rendering about one campaign, named as its request names it: by slug, or
    ``None`` for the default campaign (``/``, the API without ``campaign=``)."""
    return f"campaign:{slug or ''}"


def _cache_key(scope: str) -> str:
    return PUBLIC_VERSION_KEY if scope == EVERYTHING else f"{PUBLIC_VERSION_KEY}:{scope}"


def _now() -> int:
    return int(timezone.now().timestamp() * 1000)


def public_moments_set(moments: Iterable[datetime]) -> None:
    """Keep the moments at which public pages change with no write (``dates.public_moments``:
    those to come, and the latest passed) for every process to read with the versions."""
    stamps = tuple(sorted({int(moment.timestamp() * 1000) for moment in moments}))
    try:
        if cache.get(MOMENTS_KEY) != stamps:
            cache.set(MOMENTS_KEY, stamps, None)
    except Exception:
        logger.warning("Could not keep the public moments", exc_info=True)


def _moments(stamps: object, now: int) -> tuple[int, int | None]:
    """The latest moment passed at ``now`` (0 when none) and the next one (None when none),
    from what ``MOMENTS_KEY`` holds."""
    if not isinstance(stamps, tuple):
        return 0, None
    passed = [stamp for stamp in stamps if stamp <= now]
    coming = [stamp for stamp in stamps if stamp > now]
    return max(passed, default=0), min(coming, default=None)


def public_version(scope: str = EVERYTHING) -> int:
    """The version of the public data a rendering of ``scope`` shows, which changes whenever
    they may have: ``EVERYTHING`` (renderings about every campaign, or about an ally by its id)
    moves on every change; ``SITE`` (``embed.js``) on site-wide ones; a ``campaign_scope`` on
    its campaign's changes and site-wide ones; all of them at each moment (see above).

    Versions are millisecond timestamps of the change, so they also serve as Last-Modified.
    """
    return public_state(scope)[0]


def public_state(scope: str = EVERYTHING) -> tuple[int, int | None]:
    """``public_version`` of ``scope``, and the next moment (milliseconds) at which public pages
    change by themselves, if any, past which no response may be kept: one cache round trip."""
    try:
        version, coming = _read_state(scope)
        if version is None:
            # A cache that lost its keys (restart, eviction) starts a new epoch, so no
            # rendering stored under an older number is ever served as current.
            cache.add(_cache_key(EVERYTHING if scope == EVERYTHING else SITE), _now(), None)
            version, coming = _read_state(scope)
            version = version or _now()
    except Exception as error:  # noqa: BLE001 - cache down: each request a new version
        logger.warning("Cache unavailable; public version unknown: %s", error)
        version, coming = _now(), None
    return version, coming


def public_version_known(scope: str = EVERYTHING) -> int | None:
    """``public_version`` as the cache holds it, without starting a new epoch: None when
    unknown (the cache is down or lost it)."""
    try:
        return _read(scope)
    except Exception:  # noqa: BLE001 - the cache is down
        return None


def _read(scope: str) -> int | None:
    return _read_state(scope)[0]


def _read_state(scope: str) -> tuple[int | None, int | None]:
    # A campaign's own number is made by its first change: until then (or once evicted) it is
    # the site's, so that requests for slugs that name nothing add nothing to the cache. The
    # moments come in the same round trip: a version is never older than the latest passed.
    if scope in (EVERYTHING, SITE):
        found = cache.get_many([_cache_key(scope), MOMENTS_KEY])
        version = found.get(_cache_key(scope))
    else:
        found = cache.get_many([_cache_key(SITE), _cache_key(scope), MOMENTS_KEY])
        site = found.get(_cache_key(SITE))
        version = None if site is None else max(site, found.get(_cache_key(scope), 0))
    passed, coming = _moments(found.get(MOMENTS_KEY), _now())
    return (None if version is None else max(version, passed)), coming


@dataclass(frozen=True)
class _Outdated:
    """What a change outdates: the scopes of the app's renderings, the keys of the caches'."""

    scopes: tuple[str, ...]
    keys: tuple[str, ...]


def _outdated(
    *,
    campaigns: Iterable[Campaign],
    allies: Iterable[Endorsement],
    logos: Iterable[str],
    site_wide: bool,
) -> _Outdated:
    allies = list(allies)
    keys = [cache_keys.logo_key(digest) for digest in logos]
    campaign_ids = {campaign.pk for campaign in campaigns} | {ally.campaign_id for ally in allies}
    if site_wide or not (campaign_ids or keys):
        # ``site`` names every public response, campaigns' and allies' included.
        return _Outdated(scopes=(EVERYTHING, SITE), keys=(cache_keys.SITE_KEY, *keys))
    if not campaign_ids:  # logo files only, which no rendering holds
        return _Outdated(scopes=(), keys=tuple(keys))
    keys += [cache_keys.campaign_id_key(pk) for pk in sorted(campaign_ids)]
    keys += [key for ally in allies for key in cache_keys.keys_for_ally(ally)]
    # The list of campaigns shows every campaign and its count of allies.
    keys.append(cache_keys.CAMPAIGNS_KEY)
    return _Outdated(scopes=(EVERYTHING, *_campaign_scopes(campaign_ids)), keys=tuple(keys))


def _campaign_scopes(campaign_ids: set[int]) -> list[str]:
    """Each campaign's scope by its slug, and the default campaign's pages' when one of them is
    the default."""
    from coalition.models import Campaign
    from coalition.wall import selectors

    slugs = Campaign.objects.filter(pk__in=campaign_ids).values_list("slug", flat=True)
    scopes = [campaign_scope(slug) for slug in slugs]
    default = selectors.campaign_default()
    if default is not None and default.pk in campaign_ids:
        scopes.append(campaign_scope(None))
    return scopes


def public_change(
    *,
    campaigns: Iterable[Campaign] = (),
    allies: Iterable[Endorsement] = (),
    logos: Iterable[str] = (),
    site_wide: bool = False,
) -> None:
    """Say, inside the transaction that makes it, what a change shows the public: ``allies``
    (endorsements approved before or after it), ``campaigns`` (their own details), ``logos``
    (the digests of logo files deleted), or ``site_wide``. Once it commits, the versions move
    on and the caches in front are purged (steps 2 and 3); rolled back, nothing happens. Naming
    nothing is a site-wide change: a change that shows nowhere does not call this."""
    outdated = _outdated(campaigns=campaigns, allies=allies, logos=logos, site_wide=site_wide)
    transaction.on_commit(partial(_move_on, outdated.scopes))
    # Recorded with the change, so a purge is never lost; tried once the versions have moved
    # (commit callbacks run in order), so what a cache fetches again is the new page.
    purges.purge_after_commit(outdated.keys)


def public_version_bump(
    *,
    campaigns: Iterable[Campaign] = (),
    allies: Iterable[Endorsement] = (),
    logos: Iterable[str] = (),
    site_wide: bool = False,
) -> None:
    """``public_change`` at once, for a shell or a script outside any transaction (inside one,
    a request could store what it renders before the commit under the new version: services
    call ``public_change``). With no argument: every public rendering is outdated."""
    outdated = _outdated(campaigns=campaigns, allies=allies, logos=logos, site_wide=site_wide)
    _move_on(outdated.scopes)
    purges.purge_after_commit(outdated.keys)


def _move_on(scopes: Iterable[str]) -> None:
    scopes = list(scopes)
    if not scopes:
        return
    try:
        # Past every number there was, so that a version never names two different states,
        # whichever scopes a rendering follows: past the site's too, which a first request of a
        # campaign's page may have started alone, and a clock that reads earlier (another
        # server's) never leaves a change unseen.
        known = cache.get_many([_cache_key(scope) for scope in {EVERYTHING, SITE, *scopes}])
        version = max(_now(), max(known.values(), default=0) + 1)
        cache.set_many({_cache_key(scope): version for scope in scopes}, None)
    except Exception:  # the cache is down: nothing cached can be served either
        logger.warning("Could not move the public version on", exc_info=True)


def fresh_pages_after_a_public_change_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """Covers the browser of whoever made a change (an applicant withdrawing, a reviewer
    approving or removing): it may keep a public page for its ``max-age`` and show it once
    more while fetching it again, so it would show them the page from before their change. The
    response to a request that moved the public version tells it to drop its cache of this site
    (``Clear-Site-Data: "cache"``); cookies and storage stay."""

    def middleware(request: HttpRequest) -> HttpResponse:
        if request.method in SAFE_METHODS:
            return get_response(request)
        before = public_version()
        response = get_response(request)
        if public_version() != before:
            response["Clear-Site-Data"] = '"cache"'
        return response

    return middleware
