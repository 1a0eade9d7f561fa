"""The public wall: a campaign's page with its allies, the wall as SVG and PNG, and its feed.

Every public rendering goes through ``caching.cached_public_response`` under a variant named
from the request alone: the path, the query and the looks asked for, the language. Whatever
needs the database (the campaign, the sectors, the allies) is read in its ``build``, so that a
repeated request makes no query and, with the database down, is answered with the last good
rendering. (The campaign's own text needs no place in the variant: editing a campaign or a
sector moves the public version.) Parameters are read before the cache is asked, so malformed
input gets its message (and a 400) and is never stored; an unknown campaign (a 404) or sector (a
400) is found by ``build``, whose errors are never stored either.

The embeds (``coalition.views.embeds``) show the same wall, built here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.translation import get_language, ngettext
from django.views.decorators.http import require_safe
from django_countries import countries

from coalition import (
    cache_keys,
    caching,
    campaign_page,
    colours,
    feeds,
    i18n,
    images,
    selectors,
    sources,
)
from coalition.display import WallDisplay, tile_rows, wall_tiles
from coalition.models import Campaign, Sector
from coalition.parameters import QueryError
from coalition.queries import ORDER_CHOICES, AllyQuery
from coalition.views.common import campaign_or_404

WALL_PAGE_SIZE = 200


@dataclass(frozen=True)
class WallParameters:
    """What a request asks of the wall. With ``problems`` it cannot be shown, and the query and
    the looks are the defaults (for the page that says what is wrong). ``sectors`` are every
    sector when they have been read (``resolve``), to check and name those asked for."""

    query: AllyQuery
    display: WallDisplay
    sectors: list[Sector] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def read_parameters(
    request: HttpRequest,
    slug: str | None,
    *,
    display: bool = False,
    height: bool = False,
    sectors: list[Sector] | None = None,
) -> WallParameters:
    """The query of campaign ``slug`` (``None`` for the default one until it is resolved) and,
    with ``display``, the looks (with ``height``, the iframe's height too) that the request's GET
    parameters ask for, every problem of either named at once. Reads no database, so it can name
    the cache variant: the sectors named are checked against ``sectors`` only when given."""
    defaults = AllyQuery(campaign=slug, page_size=WALL_PAGE_SIZE)
    query, looks = defaults, WallDisplay()
    errors = []
    try:
        query = AllyQuery.parse(
            request.GET,
            campaign=slug,
            known_sectors=None if sectors is None else [sector.slug for sector in sectors],
            page_size=WALL_PAGE_SIZE,
        )
    except QueryError as error:
        errors.append(error)
    if display:
        try:
            looks = WallDisplay.parse(request.GET, height=height)
        except QueryError as error:
            errors.append(error)
    if errors:
        problems = QueryError.combine(errors).lines()
        return WallParameters(defaults, WallDisplay(), sectors or [], problems)
    return WallParameters(query=query, display=looks, sectors=sectors or [])


def resolve(
    request: HttpRequest, slug: str | None, *, display: bool = False, height: bool = False
) -> tuple[Campaign, WallParameters]:
    """What a rendering reads from the database before the allies, inside its ``build``: the
    campaign (the site's 404 when there is none), and the request's parameters read again with
    every sector, so that an unknown one is a problem too, named with any other. The query names
    the campaign by its slug, so that reading the allies does not look the campaign up again."""
    campaign = campaign_or_404(slug)
    asked = read_parameters(
        request, campaign.slug, display=display, height=height, sectors=selectors.sectors_all()
    )
    return campaign, asked


def link(query: AllyQuery, display: WallDisplay | None = None) -> str:
    """The canonical query string of a wall (defaults left out), or ``""``."""
    params = query.to_params() + (display.to_params() if display else [])
    return f"?{urlencode(params)}" if params else ""


def form_values(query: AllyQuery, display: WallDisplay | None = None) -> dict[str, Any]:
    """The values as the filter and builder forms name their fields."""
    return {**query.form_values(), **(asdict(display) if display else {})}


def variant(request: HttpRequest, *parts: str) -> str:
    """Everything a rendering depends on besides the public data (see
    ``cached_public_response``): known from the request alone, without the database."""
    return "|".join([request.path, get_language() or "", *parts])


@dataclass
class FacetOption:
    value: str
    label: str
    count: int
    selected: bool
    children: list[FacetOption] = field(default_factory=list)

    @property
    def count_text(self) -> str:
        """The count in words, for screen readers: a page lists a hundred options, and this is
        cheaper here than as a ``blocktrans`` in the template's loop."""
        return ngettext("%(counter)s organization", "%(counter)s organizations", self.count) % {
            "counter": localize(self.count)
        }


def country_options(facets: selectors.Facets, selected: tuple[str, ...]) -> list[FacetOption]:
    codes = set(facets.countries) | set(selected)
    options = [
        FacetOption(
            value=code,
            label=str(countries.name(code)) or code,
            count=facets.countries.get(code, 0),
            selected=code in selected,
        )
        for code in codes
    ]
    return sorted(options, key=lambda option: i18n.collation_key(option.label))


def sector_options(
    sectors: list[Sector], facets: selectors.Facets, selected: tuple[str, ...]
) -> list[FacetOption]:
    """Top-level sectors with their children; a parent counts its own allies and its children's.

    Only sectors that have allies are offered, and those already chosen.
    """
    parents: dict[int, FacetOption] = {}
    for sector in sectors:
        if sector.parent_id is None:
            parents[sector.pk] = FacetOption(
                value=sector.slug,
                label=sector.name,
                count=facets.sectors.get(sector.pk, 0),
                selected=sector.slug in selected,
            )
    for sector in sectors:
        parent = parents.get(sector.parent_id) if sector.parent_id else None
        if parent is None:
            continue
        count = facets.sectors.get(sector.pk, 0)
        parent.count += count
        if count or sector.slug in selected:
            parent.children.append(
                FacetOption(
                    value=sector.slug,
                    label=sector.name,
                    count=count,
                    selected=sector.slug in selected,
                )
            )
    return [
        option for option in parents.values() if option.count or option.selected or option.children
    ]


def sign_on_url(campaign: Campaign, slug: str | None, source: dict[str, str] | None = None) -> str:
    """The form's address; ``source``: the ``ref`` and UTM parameters of the link that brought
    the visitor here, passed on so the application records where it came from."""
    url = reverse("apply-default") if slug is None else reverse("apply", args=[campaign.slug])
    return f"{url}?{urlencode(source)}" if source else url


def _pages(page: Page, query: AllyQuery, display: WallDisplay | None) -> list[dict[str, object]]:
    if page.paginator.num_pages < 2:
        return []
    pages = []
    for number in page.paginator.get_elided_page_range(page.number, on_each_side=2, on_ends=1):
        if number == page.paginator.ELLIPSIS:
            pages.append({"ellipsis": True})
        else:
            pages.append(
                {
                    "number": number,
                    "url": link(replace(query, page=number), display) or "?",
                    "current": number == page.number,
                }
            )
    return pages


class WallPageNotFound(Exception):
    """A page past the wall's last: answered with a 404 that links to the last page."""

    def __init__(self, *, page: int, last: int) -> None:
        super().__init__(page, last)
        self.page = page
        self.last = last


def page_not_found(
    request: HttpRequest, campaign: Campaign, asked: WallParameters, error: WallPageNotFound
) -> HttpResponse:
    last = replace(asked.query, page=error.last)
    context = {
        "campaign": campaign,
        "page_number": error.page,
        "last_page": error.last,
        "last_page_url": request.path + link(last, asked.display),
    }
    return render(request, "coalition/wall_page_not_found.html", context, status=404)


def wall_context(*, campaign: Campaign, asked: WallParameters) -> dict[str, Any]:
    """Everything the wall shows, in a fixed number of queries whatever the number of allies:
    one for the counts by country and sector, one for the filtered count, one for the page.
    Its links keep the looks asked for."""
    query = asked.query
    looks = asked.display
    facets = selectors.ally_facets(query.unfiltered())
    paginator = Paginator(selectors.ally_list(query), query.page_size)
    # Not ``get_page``, which would show the last page under a URL naming another one.
    if query.page > paginator.num_pages:  # an empty wall still has its page 1
        raise WallPageNotFound(page=query.page, last=paginator.num_pages)
    page = paginator.page(query.page)
    # The page is still a query: it is read as tiles, only the columns they show.
    tiles = wall_tiles(tile_rows(page.object_list))
    by_slug = {sector.slug: sector for sector in asked.sectors}
    active = [
        {
            "label": str(countries.name(code)) or code,
            "url": link(
                replace(query, countries=tuple(c for c in query.countries if c != code), page=1),
                looks,
            )
            or "?",
        }
        for code in query.countries
    ] + [
        {
            "label": by_slug[slug].name if slug in by_slug else slug,
            "url": link(
                replace(query, sectors=tuple(s for s in query.sectors if s != slug), page=1),
                looks,
            )
            or "?",
        }
        for slug in query.sectors
    ]
    return {
        "campaign": campaign,
        "ally_count": facets.total,
        "shown_count": page.paginator.count,
        "filtered": query.filtered,
        "page": page,
        "pages": _pages(page, query, looks),
        "items": tiles,
        "country_options": country_options(facets, query.countries),
        "sector_options": sector_options(asked.sectors, facets, query.sectors),
        "active_filters": active,
        "cleaned": form_values(query, looks),
        "orders": ORDER_CHOICES,
        # What the page shows, for shared caches to purge it by (see ``tagged``).
        "cache_keys": cache_keys.keys_for_page(
            campaign, public_ids=[tile["public_id"] for tile in tiles]
        ),
    }


def tagged(response: HttpResponse, wall: dict[str, Any]) -> HttpResponse:
    """``response``, named after the campaign and the allies of ``wall`` (a ``wall_context``)."""
    cache_keys.tag_response(response, wall["cache_keys"])
    return response


def _bad_parameters_context(campaign: Campaign, asked: WallParameters) -> dict[str, object]:
    facets = selectors.ally_facets(asked.query)
    return {
        "campaign": campaign,
        "ally_count": facets.total,
        "problems": asked.problems,
        "country_options": country_options(facets, ()),
        "sector_options": sector_options(asked.sectors, facets, ()),
        "cleaned": form_values(asked.query),
        "orders": ORDER_CHOICES,
    }


@require_safe
def campaign_detail(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The campaign, its statement and its wall of allies, filtered by the GET parameters."""
    asked = read_parameters(request, slug)
    source = sources.clean(request.GET)

    def build() -> HttpResponse:
        campaign, resolved = resolve(request, slug)
        extra = {"sign_on_url": sign_on_url(campaign, slug, source), "slug": slug}
        page = {"path": request.path, "campaign": campaign}
        if resolved.problems:
            context = {**_bad_parameters_context(campaign, resolved), **extra}
            context.update(campaign_page.page_context(**page, query=resolved.query, wall=context))
            return render(request, "coalition/campaign_detail.html", context, status=400)
        try:
            wall = wall_context(campaign=campaign, asked=resolved)
        except WallPageNotFound as error:
            return page_not_found(request, campaign, resolved, error)
        extra.update(campaign_page.page_context(**page, query=resolved.query, wall=wall))
        return tagged(render(request, "coalition/campaign_detail.html", {**wall, **extra}), wall)

    if asked.problems:
        # Malformed parameters: a 400 saying so, never stored.
        return build()
    return caching.cached_public_response(
        request,
        namespace="wall",
        variant=variant(request, asked.query.cache_key(), urlencode(source)),
        build=build,
        vary=("Accept-Language",),
    )


def _wall_image(request: HttpRequest, slug: str, *, kind: str) -> HttpResponse:
    asked = read_parameters(request, slug, display=True)
    looks = asked.display
    language = looks.lang or get_language()

    def build() -> HttpResponse:
        campaign, resolved = resolve(request, slug, display=True)
        if resolved.problems:
            return _bad_image_parameters(resolved)
        with translation.override(language):
            allies = selectors.ally_list(resolved.query)
            drawn = list(allies[: images.IMAGE_MAX_ALLIES])
            options = {
                "title": campaign.title,
                "items": images.wall_items(drawn),
                "total": allies.count(),
                "theme": looks.theme,
                "accent": colours.accent_or_default(campaign.accent_color),
                "columns": looks.columns,
                "names": looks.names,
                "count": looks.count,
            }
            if kind == "svg":
                response = HttpResponse(
                    images.wall_svg(**options), content_type="image/svg+xml; charset=utf-8"
                )
            else:
                response = HttpResponse(images.wall_png(**options), content_type="image/png")
            response["Content-Language"] = language
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign, drawn))
        return response

    if asked.problems:
        # Malformed parameters: a 400 saying so, never stored.
        return build()
    response = caching.cached_public_response(
        request,
        namespace=f"wall-{kind}",
        variant=variant(request, asked.query.cache_key(), looks.cache_key(), language),
        build=build,
        vary=("Accept-Language",),
    )
    # Images are put in other sites' pages and READMEs: they may be loaded from anywhere, and a
    # stray script in an SVG opened on its own would run in nothing.
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    response["Access-Control-Allow-Origin"] = "*"
    if kind == "svg":
        response["Content-Security-Policy"] = "default-src 'none'; img-src data:"
    return response


def _bad_image_parameters(asked: WallParameters) -> HttpResponse:
    return HttpResponse(
        "\n".join(asked.problems), status=400, content_type="text/plain; charset=utf-8"
    )


@require_safe
def wall_svg(request: HttpRequest, slug: str) -> HttpResponse:
    return _wall_image(request, slug, kind="svg")


@require_safe
def wall_png(request: HttpRequest, slug: str) -> HttpResponse:
    return _wall_image(request, slug, kind="png")


@require_safe
def allies_feed(request: HttpRequest, slug: str) -> HttpResponse:
    """Atom feed of the newest approvals."""

    def build() -> HttpResponse:
        # The feed reads its campaign (a 404 when there is none) and names what it lists.
        return feeds.AlliesFeed()(request, slug=slug)

    return caching.cached_public_response(
        request,
        namespace="feed",
        variant=variant(request),
        build=build,
        vary=("Accept-Language",),
    )
