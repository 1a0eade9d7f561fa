"""Reads for the public: only approved endorsements ever leave this module.

The wall, the embeds, the images, the feed and the API all read allies through ``ally_list`` and
``ally_facets``, and their campaign through ``campaign_get``: a campaign still under embargo
(``Campaign.publish_at`` in the future, ``coalition.campaigns.dates``) is not found by any of
them, nor are its allies, until its moment; the default campaign is then the first public one.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.conf import settings
from django.db.models import Count, Max, Q, QuerySet
from django.utils.translation import get_language
from modeltranslation.utils import resolution_order

from coalition.campaigns import dates
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Milestone,
    Sector,
    verified_condition,
)
from coalition.wall.queries import AllyQuery

logger = logging.getLogger(__name__)

APPROVED = Endorsement.Status.APPROVED
# The orders an ``AllyQuery`` names, as the database sorts them.
ORDERINGS = {
    "name": ("organization__name", "pk"),
    "newest": ("-approved_at", "-pk"),
}


def campaigns_public(now: datetime | None = None) -> QuerySet[Campaign]:
    """The campaigns the public may see at ``now`` (default: now): every one whose embargo, if
    it had one, is over. Every public read of a campaign starts here."""
    return Campaign.objects.filter(dates.public_condition(now))


def campaign_default(now: datetime | None = None) -> Campaign | None:
    """The campaign at the site's root: the default one, or while it is under embargo (or when
    none is marked default) the first public campaign; None when no campaign is public."""
    public = campaigns_public(now)
    return public.filter(is_default=True).first() or public.first()


def campaign_get(*, slug: str | None = None, now: datetime | None = None) -> Campaign:
    """The public campaign with ``slug``, or the default one; ``Campaign.DoesNotExist`` when
    there is none, or when it is still under embargo (each interface answers that its own way:
    the same way, so that an embargoed campaign cannot be told from one that does not exist)."""
    if slug is None:
        campaign = campaign_default(now)
        if campaign is None:
            raise Campaign.DoesNotExist("No campaign has been set up yet.")
        return campaign
    return campaigns_public(now).get(slug=slug)


def campaign_to_apply_to(
    *, slug: str | None, preview_key: str | None, now: datetime | None = None
) -> tuple[Campaign, bool]:
    """The campaign whose form ``slug`` names (``campaign_get``'s), or, still under embargo,
    the one whose private link ``preview_key`` is (``dates.preview_key_matches``); with whether
    it is such a private preview. ``Campaign.DoesNotExist`` for anything else."""
    try:
        return campaign_get(slug=slug, now=now), False
    except Campaign.DoesNotExist:
        if slug is None or not preview_key:
            raise
    campaign = Campaign.objects.get(slug=slug)
    if not dates.preview_key_matches(campaign, preview_key):
        raise Campaign.DoesNotExist("No campaign has this slug and key.")
    return campaign, True


def campaign_list() -> QuerySet[Campaign]:
    """Every campaign, embargoed ones included: for the team's workspace, never the public."""
    return Campaign.objects.all()


def campaign_list_with_ally_count(now: datetime | None = None) -> QuerySet[Campaign]:
    """Every public campaign, annotated with ``ally_count``: its approved endorsements (with
    its organizer's logo, which the API shows)."""
    return (
        campaigns_public(now)
        .select_related("organizer_logo")
        .annotate(ally_count=Count("endorsements", filter=Q(endorsements__status=APPROVED)))
    )


def sector_slugs_with_children(slugs: tuple[str, ...] | list[str]) -> list[int]:
    """The ids of the sectors named, and of the children of those that are parents."""
    return list(
        Sector.objects.filter(Q(slug__in=slugs) | Q(parent__slug__in=slugs)).values_list(
            "pk", flat=True
        )
    )


def ally_list_public(now: datetime | None = None) -> QuerySet[Endorsement]:
    """Every approved ally of every public campaign (the sitemap's proof pages)."""
    return Endorsement.objects.filter(
        dates.public_condition(now, prefix="campaign__"), status=APPROVED
    )


def ally_list_of_campaign(campaign: Campaign) -> QuerySet[Endorsement]:
    """Every approved ally of ``campaign``, unfiltered: the one "who is on the wall" that the
    wall's filters and the signed list of signatories (``coalition.ledger``) both start from."""
    return Endorsement.objects.filter(campaign=campaign, status=APPROVED)


def _filtered(query: AllyQuery) -> QuerySet[Endorsement]:
    if query.campaign is None:
        allies = ally_list_of_campaign(campaign_get())
    else:
        # By slug, in the same query: the caller has resolved the campaign already, through
        # ``campaign_get`` (a public one) or, for the team's preview of an embargoed campaign,
        # through its team's rights.
        allies = Endorsement.objects.filter(campaign__slug=query.campaign, status=APPROVED)
    if query.countries:
        allies = allies.filter(organization__country__in=query.countries)
    if query.sectors:
        allies = allies.filter(
            organization__sector_id__in=sector_slugs_with_children(query.sectors)
        )
    if query.search or query.verified is not None:
        allies = allies.filter(_search_and_verified(query))
    return allies


def _search_and_verified(query: AllyQuery) -> Q:
    """The filters of ``query`` that are neither a country nor a sector, as one condition."""
    condition = Q()
    if query.search:
        condition &= Q(organization__name__icontains=query.search)
    if query.verified is not None:
        # The one rule behind the verified mark (Endorsement.verification), in SQL.
        verified = verified_condition()
        condition &= verified if query.verified else ~verified
    return condition


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
            "imported_in_id",
            "confirmed_at",
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
    # Site-wide (the API's ally by id): an embargoed campaign's allies are not found either.
    return Endorsement.objects.filter(
        dates.public_condition(prefix="campaign__"), status=APPROVED, public_id=public_id
    )


def ally_list_changed_at(*, campaign: Campaign) -> datetime | None:
    """When ``campaign``'s allies last changed as the public sees them: its newest event
    entering or leaving approved (an approval, an approved edit, a removal, a withdrawal), so
    that an ally taken off counts as much as one added; None before the first."""
    return (
        EndorsementEvent.objects.filter(endorsement__campaign=campaign)
        .filter(Q(from_status=APPROVED) | Q(to_status=APPROVED))
        .aggregate(latest=Max("at"))["latest"]
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


@dataclass
class FilterCounts:
    """The counts a wall's filters show beside their options: each filter's counts under every
    other filter that is on (so that an option's count is what choosing it shows), and the
    campaign's own, every filter aside."""

    total: int  # every ally of the campaign
    every_country: dict[str, int]  # by country, every filter aside (the map)
    countries: dict[str, int]  # by country, under the sector, search and verified filters
    sectors: dict[int, int]  # by sector id, under the country, search and verified filters


def _chosen_sector_ids(slugs: tuple[str, ...], sectors: list[Sector]) -> set[int]:
    """The ids of the sectors ``slugs`` name and of their children, from ``sectors`` (every
    sector, already read)."""
    slug_of = {sector.pk: sector.slug for sector in sectors}
    return {
        sector.pk
        for sector in sectors
        if sector.slug in slugs or slug_of.get(sector.parent_id) in slugs
    }


def ally_filter_counts(query: AllyQuery, sectors: list[Sector]) -> FilterCounts:
    """The filters' counts for ``query`` (``sectors``: every sector, to follow parents to their
    children), in one query whatever the filters: the database counts the allies of each
    country and sector, all of them and those the search and the verified filter keep; Python
    sums them under the country and sector filters."""
    if query.search or query.verified is not None:
        matching = Count("pk", filter=_search_and_verified(query))
    else:
        matching = Count("pk")
    rows = (
        _filtered(query.unfiltered())
        .values("organization__country", "organization__sector_id")
        .order_by()
        .annotate(count=Count("pk"), matching=matching)
        .values_list("organization__country", "organization__sector_id", "count", "matching")
    )
    chosen_sectors = _chosen_sector_ids(query.sectors, sectors)
    total = 0
    every_country: Counter[str] = Counter()
    countries: Counter[str] = Counter()
    by_sector: Counter[int] = Counter()
    for country, sector_id, count, kept in rows:
        total += count
        every_country[country] += count
        if not query.sectors or sector_id in chosen_sectors:
            countries[country] += kept
        if not query.countries or country in query.countries:
            by_sector[sector_id] += kept
    return FilterCounts(
        total=total,
        every_country=dict(every_country),
        countries={code: count for code, count in countries.items() if count},
        sectors={pk: count for pk, count in by_sector.items() if count},
    )


# The statement's column in each language, in the order of settings.LANGUAGES.
STATEMENT_COLUMNS = tuple(f"organization__statement_{code}" for code, _name in settings.LANGUAGES)
_STATEMENT_LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)


def statement_in_language(texts: Sequence[str | None]) -> tuple[str, str]:
    """From an ally's statements (``STATEMENT_COLUMNS``' values): the one in the active
    language, else the first of its fallbacks that has one, as ``organization.statement``
    reads it; with its language, for the page's ``lang``. ``("", "")`` when it has none."""
    by_language = dict(zip(_STATEMENT_LANGUAGES, texts, strict=True))
    for code in resolution_order(get_language() or settings.LANGUAGE_CODE):
        if by_language.get(code):
            return by_language[code], code
    return "", ""


@dataclass(frozen=True)
class Statement:
    """Why an approved ally signed, in its own words, as the campaign's page quotes it."""

    public_id: str
    name: str
    country: str
    text: str
    language: str


def ally_statements(query: AllyQuery, *, limit: int) -> list[Statement]:
    """The statements of the newest approved allies of ``query``'s campaign that wrote one
    (its filters aside), at most ``limit``, newest first."""
    written = Q()
    for column in STATEMENT_COLUMNS:
        written |= Q(**{f"{column}__gt": ""})
    rows = (
        _filtered(query.unfiltered())
        .filter(written)
        .order_by(*ORDERINGS["newest"])
        .values_list("public_id", "organization__name", "organization__country", *STATEMENT_COLUMNS)
    )[:limit]
    statements = []
    for public_id, name, country, *texts in rows:
        text, language = statement_in_language(texts)
        statements.append(Statement(public_id, name, country, text, language))
    return statements


def sectors_all() -> list[Sector]:
    """Every sector, parents before their children (one query; the list is small)."""
    return list(Sector.objects.order_by("order", "name"))


def milestone_list(*, campaign: Campaign) -> QuerySet[Milestone]:
    """The campaign's timeline, by date (its page, its API object and its feed show it)."""
    return Milestone.objects.filter(campaign=campaign).order_by("date", "pk")
