"""Reads for the public: only approved endorsements ever leave this module.

The wall, the embeds, the images, the feed and the API all read allies through ``ally_list`` and
``ally_facets``; ``public_version`` changes whenever anything they show changes, so it keys every
cached rendering and every ETag.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.core.cache import cache
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from coalition.models import Campaign, Endorsement, Sector, verified_condition
from coalition.queries import AllyQuery

logger = logging.getLogger(__name__)

APPROVED = Endorsement.Status.APPROVED
PUBLIC_VERSION_KEY = "coalition:public-version"
# The orders an ``AllyQuery`` names, as the database sorts them.
ORDERINGS = {
    "name": ("organization__name", "pk"),
    "newest": ("-approved_at", "-pk"),
}


def public_version() -> int:
    """A number that changes whenever anything public changes (see ``public_version_bump``).

    It is a millisecond timestamp of the change, so it also serves as Last-Modified.
    """
    try:
        version = cache.get(PUBLIC_VERSION_KEY)
        if version is None:
            # A cache that lost its keys (restart, eviction) starts a new epoch, so no
            # rendering stored under an older number is ever served as current.
            version = int(timezone.now().timestamp() * 1000)
            if not cache.add(PUBLIC_VERSION_KEY, version, None):
                version = cache.get(PUBLIC_VERSION_KEY, version)
    except Exception as error:  # noqa: BLE001 - cache down: each request a new version
        logger.warning("Cache unavailable; public version unknown: %s", error)
        version = int(timezone.now().timestamp() * 1000)
    return version


def campaign_default() -> Campaign | None:
    return Campaign.objects.filter(is_default=True).first() or Campaign.objects.first()


def campaign_get(*, slug: str | None = None) -> Campaign:
    """The campaign with ``slug``, or the default one; ``Campaign.DoesNotExist`` when there is
    none (each interface answers that its own way)."""
    if slug is None:
        campaign = campaign_default()
        if campaign is None:
            raise Campaign.DoesNotExist("No campaign has been set up yet.")
        return campaign
    return Campaign.objects.get(slug=slug)


def campaign_list() -> QuerySet[Campaign]:
    return Campaign.objects.all()


def campaign_list_with_ally_count() -> QuerySet[Campaign]:
    """Every campaign, annotated with ``ally_count``: its approved endorsements (with its
    organizer's logo, which the API shows)."""
    return Campaign.objects.select_related("organizer_logo").annotate(
        ally_count=Count("endorsements", filter=Q(endorsements__status=APPROVED))
    )


def sector_slugs_with_children(slugs: tuple[str, ...] | list[str]) -> list[int]:
    """The ids of the sectors named, and of the children of those that are parents."""
    return list(
        Sector.objects.filter(Q(slug__in=slugs) | Q(parent__slug__in=slugs)).values_list(
            "pk", flat=True
        )
    )


def _approved(campaign: Campaign) -> QuerySet[Endorsement]:
    return Endorsement.objects.filter(campaign=campaign, status=APPROVED)


def _filtered(query: AllyQuery) -> QuerySet[Endorsement]:
    if query.campaign is None:
        allies = _approved(campaign_get())
    else:
        # By slug, in the same query: the caller has resolved the campaign already.
        allies = Endorsement.objects.filter(campaign__slug=query.campaign, status=APPROVED)
    if query.countries:
        allies = allies.filter(organization__country__in=query.countries)
    if query.sectors:
        allies = allies.filter(
            organization__sector_id__in=sector_slugs_with_children(query.sectors)
        )
    if query.search:
        allies = allies.filter(organization__name__icontains=query.search)
    if query.verified is not None:
        # The one rule behind the verified mark (Endorsement.verification), in SQL.
        verified = verified_condition()
        allies = allies.filter(verified if query.verified else ~verified)
    return allies


def _in_every_language(field: str) -> list[str]:
    """A translated field and its column per language, so none is loaded lazily per row."""
    return [field, *(f"{field}_{code}" for code, _name in settings.LANGUAGES)]


def ally_list(query: AllyQuery) -> QuerySet[Endorsement]:
    """The approved endorsements ``query`` selects, in its order, with only what the public may
    see of them (every page of them: the caller pages)."""
    return (
        _filtered(query)
        .select_related(
            "organization", "organization__sector", "organization__logo", "domain_proof"
        )
        .only(
            "public_id",
            "approved_at",
            # What Endorsement.verification reads.
            "status",
            "domain_verified",
            "organization__domain",
            "domain_proof__method",
            "domain_proof__domain",
            "domain_proof__missing_since",
            "campaign_id",
            "organization__name",
            "organization__website",
            "organization__country",
            *_in_every_language("organization__statement"),
            "organization__sector__slug",
            *_in_every_language("organization__sector__name"),
            "organization__sector__parent_id",
            "organization__logo__width",
            "organization__logo__height",
            "organization__logo__png",
            "organization__logo__webp",
            "organization__logo__png_2x",
            "organization__logo__webp_2x",
        )
        .order_by(*ORDERINGS[query.order])
    )


def ally_with_id(*, public_id: str) -> QuerySet[Endorsement]:
    """The approved ally with this public id, as a query (one row or none): the caller reads
    what it shows of it, or ``.get()``s it (``Endorsement.DoesNotExist`` for anything else)."""
    if len(public_id) > 12 or "\x00" in public_id:
        # Not an id (and PostgreSQL refuses NUL in a query): simply not found, not an error.
        return Endorsement.objects.none()
    return Endorsement.objects.filter(status=APPROVED, public_id=public_id)


def ally_count(query: AllyQuery) -> int:
    return _filtered(query).count()


def ally_last_change(*, campaign: Campaign) -> datetime | None:
    """When the newest approval happened (feeds and Last-Modified use it)."""
    return (
        _approved(campaign).order_by("-approved_at").values_list("approved_at", flat=True).first()
    )


@dataclass
class Facets:
    total: int
    countries: dict[str, int]
    sectors: dict[int, int]  # sector id -> count of allies in exactly that sector
    country_sector: dict[tuple[str, int], int]


def ally_facets(query: AllyQuery) -> Facets:
    """Counts by country, by sector, and by both, for the allies ``query`` selects (its order
    and page aside).

    One query whatever the number of allies: the database groups, Python only sums.
    """
    rows = (
        _filtered(query)
        .values("organization__country", "organization__sector_id")
        .order_by()
        .annotate(count=Count("pk"))
        .values_list("organization__country", "organization__sector_id", "count")
    )
    countries: Counter[str] = Counter()
    sectors: Counter[int] = Counter()
    pairs: dict[tuple[str, int], int] = {}
    for country, sector_id, count in rows:
        countries[country] += count
        sectors[sector_id] += count
        pairs[(country, sector_id)] = count
    return Facets(
        total=sum(pairs.values()),
        countries=dict(countries),
        sectors=dict(sectors),
        country_sector=pairs,
    )


def sectors_all() -> list[Sector]:
    """Every sector, parents before their children (one query; the list is small)."""
    return list(Sector.objects.order_by("order", "name"))
