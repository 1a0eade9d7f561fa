"""The API's reading of ``coalition.wall.queries``: an ``AllyQuery`` from the request, its problems
as
the API's JSON errors, and its OpenAPI parameters, generated from the same definitions as the
parser so that the two cannot drift apart.

Reading needs no database, so a request is checked, and its cache variant named, before anything
else: a malformed value is a 400. Whether a campaign or a sector exists is checked only when a
response is built (an error is never stored): one that names nothing is a 400 too, saying where
the valid values are listed. 404 is for paths only (an unknown ally, a page past the last): the
list asked for exists, the filter's value is what is wrong.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiParameter
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.request import Request

from api.errors import ParameterError
from coalition.models import Campaign, Sector
from coalition.wall import queries, selectors
from coalition.wall.parameters import QueryError
from coalition.wall.queries import AllyQuery

PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
# The API's own spelling of a parameter, where it differs from the query's name for it.
API_NAMES = {"order": "ordering"}
DESCRIPTIONS = {
    "campaign": _(
        "Campaign slug, as listed at /api/v1/campaigns/; the default campaign when omitted. A slug "
        "that names no campaign is a 400."
    ),
    "country": _(
        "ISO 3166-1 alpha-2 codes, repeated or comma-separated; any other value is a 400."
    ),
    "sector": _(
        "Sector slugs, repeated or comma-separated; a parent sector includes its children. A slug "
        "that names no sector is a 400; /api/v1/facets/ lists the sectors of the allies."
    ),
    "search": _("Part of the organization's name."),
    "verified": _(
        "Whether the organization proved its domain: by email, a DNS record or a file on its "
        "website."
    ),
    "order": _("name (the default) or -approved_at (the newest first)."),
    "page": _("A page number from 1 to the last page."),
    "page_size": _("Allies per page, 1 to 500 (50 by default)."),
}
# Added to a problem's message: where the values that exist are listed.
_LISTED_AT = {
    "country": _("/api/v1/facets/ lists the countries of the allies."),
}


def api_name(name: str) -> str:
    return API_NAMES.get(name, name)


def link_parameters(names: Iterable[str]) -> tuple[str, ...]:
    """Every spelling of the parameters ``names``, as a request may give them."""
    return tuple(spelling for name in names for spelling in queries.PARAMETERS[name].spellings)


def openapi_parameters(names: Iterable[str]) -> list[OpenApiParameter]:
    """The OpenAPI documentation of the query parameters ``names``, from their definitions."""
    parameters = []
    for name in names:
        schema = queries.parameter_schema(name, max_page_size=MAX_PAGE_SIZE)
        several = schema.get("type") == "array"
        parameters.append(
            OpenApiParameter(
                api_name(name),
                type=schema,
                location=OpenApiParameter.QUERY,
                description=str(DESCRIPTIONS[name]),
                style="form" if several else None,
                explode=True if several else None,
            )
        )
    return parameters


def ally_query(request: Request, *, read: Iterable[str]) -> AllyQuery:
    """The query the request's parameters ``read`` name; a 400 naming each one at fault."""
    try:
        return AllyQuery.parse(
            request.query_params,
            read=tuple(read),
            page_size=PAGE_SIZE,
            max_page_size=MAX_PAGE_SIZE,
        )
    except QueryError as error:
        raise ValidationError(
            {
                api_name(name): [_with_listing(name, message)]
                for name, message in error.problems.items()
            }
        ) from None


def _with_listing(name: str, message: str) -> str:
    listed_at = _LISTED_AT.get(name)
    return f"{message} {listed_at}" if listed_at else message


@dataclass(frozen=True)
class Selection:
    """What a valid query selects: the query (naming its campaign by slug), the campaign, and
    every sector by id, to name them in responses."""

    query: AllyQuery
    campaign: Campaign
    sectors: dict[int, Sector]


def select(query: AllyQuery) -> Selection:
    """Resolve the campaign and the sectors ``query`` names; a 400 naming the parameter, and
    where its values are listed, if one names nothing."""
    try:
        campaign = selectors.campaign_get(slug=query.campaign)
    except Campaign.DoesNotExist:
        if query.campaign is None:
            raise NotFound(_("No campaign has been set up yet.")) from None
        raise ParameterError(
            "campaign",
            _("No campaign has the slug “%(slug)s”; /api/v1/campaigns/ lists the campaigns.")
            % {"slug": query.campaign},
        ) from None
    sectors = {sector.pk: sector for sector in selectors.sectors_all()}
    known = sorted(sector.slug for sector in sectors.values())
    try:
        query.check_sectors(known)
    except QueryError as error:
        # Every sector, not only those /api/v1/facets/ counts (the ones with allies).
        raise ParameterError(
            "sector",
            "{} {}".format(
                error.problems["sector"],
                _("See /api/v1/facets/ or the list of every sector: %(known)s.")
                % {"known": ", ".join(known)},
            ),
        ) from None
    return Selection(
        query=replace(query, campaign=campaign.slug), campaign=campaign, sectors=sectors
    )
