"""The public wall: a campaign's page with its allies, the wall as SVG and PNG, and its feed.

Every public rendering goes through ``renderings.cached_public_response`` under a variant named
from the request alone: the path, the query and the looks asked for, the language. Whatever
needs the database (the campaign, the sectors, the allies) is read in its ``build``, so that a
repeated request makes no query and, with the database down, is answered with the last good
rendering. (The campaign's own text needs no place in the variant: editing a campaign or a
sector moves the public version.) Parameters are read before the cache is asked, so malformed
input gets its message (and a 400) and is never stored; an unknown campaign (a 404) or sector (a
400) is found by ``build``, whose errors are never stored either.

The embeds (``public_site.views.embeds``) show the same wall, built here.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any
from urllib.parse import urlencode

from django.contrib import admin
from django.core.paginator import Page, Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.utils.formats import localize
from django.utils.translation import get_language, ngettext
from django.views.decorators.http import require_safe
from django_countries import countries

from coalition.campaigns import dates, team
from coalition.campaigns import page as campaign_page
from coalition.endorsements import sources
from coalition.images import colours
from coalition.models import Campaign, Sector
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import feed, picture, selectors, structured_data
from coalition.wall.looks import WallDisplay, tile_rows, wall_tiles
from coalition.wall.parameters import QueryError
from coalition.wall.queries import ORDER_CHOICES, AllyQuery
from coalition.web import languages, links
from public_site.views.shortcuts import campaign_or_404, private_preview

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


def country_options(
    facets: selectors.Facets | selectors.FilterCounts, selected: tuple[str, ...]
) -> list[FacetOption]:
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
    return sorted(options, key=lambda option: languages.collation_key(option.label))


def sector_options(
    sectors: list[Sector],
    facets: selectors.Facets | selectors.FilterCounts,
    selected: tuple[str, ...],
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


def sign_on_url(campaign: Campaign, slug: str | None) -> str:
    """The form's address, the same for every visitor: the ``ref`` and UTM parameters of the
    link that brought one here are added in their browser (``static/coalition/attribution.js``,
    reading the link's ``data-carry``) or read from the Referer by the form
    (``coalition.endorsements.sources``), so that no page is a copy per partner or campaign."""
    return reverse("apply-default") if slug is None else reverse("apply", args=[campaign.slug])


def sign_on_context(campaign: Campaign, slug: str | None) -> dict[str, str]:
    """What a page's Sign on link needs: its address and the parameters it carries on."""
    return {"sign_on_url": sign_on_url(campaign, slug), "sign_on_carries": " ".join(sources.KEYS)}


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


def wall_context(
    *, campaign: Campaign, asked: WallParameters, with_statements: bool = False
) -> dict[str, Any]:
    """Everything the wall shows, in a fixed number of queries whatever the number of allies:
    one for the counts by country and sector (two while a search is on), one for the filtered
    count, one for the page. Each filter's counts are under the other filters that are on, so
    that a count says what choosing it shows. Its links keep the looks asked for;
    ``with_statements``: its tiles carry the allies' statements."""
    query = asked.query
    looks = asked.display
    facets = selectors.ally_filter_counts(query, asked.sectors)
    paginator = Paginator(selectors.ally_list(query), query.page_size)
    # Not ``get_page``, which would show the last page under a URL naming another one.
    if query.page > paginator.num_pages:  # an empty wall still has its page 1
        raise WallPageNotFound(page=query.page, last=paginator.num_pages)
    page = paginator.page(query.page)
    # The page is still a query: it is read as tiles, only the columns they show.
    tiles = wall_tiles(tile_rows(page.object_list, with_statements=with_statements))
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
        # Every filter aside: the map's and the headline's countries.
        "country_counts": facets.every_country,
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


def campaign_page_response(
    request: HttpRequest,
    campaign: Campaign,
    resolved: WallParameters,
    *,
    slug: str | None,
    extra: dict[str, Any] | None = None,
) -> HttpResponse:
    """The campaign's page with its wall as ``resolved`` (``resolve``'s) asks for it, with
    ``extra`` in its context (the team's preview says what it is, ``campaign_preview``)."""
    extra = {**sign_on_context(campaign, slug), "slug": slug, **(extra or {})}
    page = {"path": request.path, "campaign": campaign}
    if resolved.problems:
        context = {**_bad_parameters_context(campaign, resolved), **extra}
        context.update(campaign_page.page_context(**page, query=resolved.query, wall=context))
        return render(request, "coalition/campaign_detail.html", context, status=400)
    try:
        wall = wall_context(campaign=campaign, asked=resolved, with_statements=True)
    except WallPageNotFound as error:
        return page_not_found(request, campaign, resolved, error)
    extra.update(campaign_page.page_context(**page, query=resolved.query, wall=wall))
    extra["structured_data"] = structured_data.script(
        structured_data.campaign_page(
            campaign=campaign,
            canonical_url=extra["canonical_url"],
            page_url=links.absolute(request.path + link(resolved.query)),
            site_name=extra["site_name"],
            organizer_logo=extra["organizer_logo"],
            items=wall["items"],
            first_position=wall["page"].start_index() or 1,
            total=wall["shown_count"],
        )
    )
    return tagged(render(request, "coalition/campaign_detail.html", {**wall, **extra}), wall)


@require_safe
def campaign_preview(request: HttpRequest, slug: str) -> HttpResponse:
    """``/review/preview/<slug>/``: the campaign's page as the public will see it, for its team,
    before its launch too (with a banner saying when it goes public): private, kept by no cache.
    Anyone else, signed in or not, gets the site's 404, as for a campaign that does not exist."""
    campaign = Campaign.objects.filter(slug=slug).first()
    if campaign is None or not (
        admin.site.has_permission(request) and team.may_review(request.user, campaign)
    ):
        raise Http404
    resolved = read_parameters(request, campaign.slug, sectors=selectors.sectors_all())
    public_from = None
    if dates.is_embargoed(campaign):
        # In the campaign's own time zone, named, as its page says its deadline.
        public_from = campaign_page.moment_text(campaign, campaign.publish_at)
    response = campaign_page_response(
        request,
        campaign,
        resolved,
        slug=campaign.slug,
        extra={"preview": True, "public_from": public_from, **_preview_sign_on(campaign)},
    )
    # Its keys are for shared caches, which never see it.
    for header in cache_keys.HEADERS:
        if response.has_header(header):
            del response[header]
    return private_preview(response)


def _preview_sign_on(campaign: Campaign) -> dict[str, str]:
    """The preview's Sign on link: before the launch, the form through the private link (the
    team sees the form the press and partners will), else the public form."""
    if not (dates.is_embargoed(campaign) and campaign.preview_key):
        return {}
    query = urlencode({dates.PREVIEW_PARAMETER: campaign.preview_key})
    return {"sign_on_url": f"{reverse('apply', args=[campaign.slug])}?{query}"}


@require_safe
def campaign_detail(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The campaign, its statement and its wall of allies, filtered by the GET parameters."""
    asked = read_parameters(request, slug)

    def build() -> HttpResponse:
        campaign, resolved = resolve(request, slug)
        return campaign_page_response(request, campaign, resolved, slug=slug)

    if asked.problems:
        # Malformed parameters: a 400 saying so, never stored.
        return build()
    return renderings.cached_public_response(
        request,
        namespace="wall",
        variant=variant(request, asked.query.cache_key()),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
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
            drawn = list(allies[: picture.IMAGE_MAX_ALLIES])
            options = {
                "title": campaign.title,
                "items": picture.wall_items(drawn),
                "total": allies.count(),
                "theme": looks.theme,
                "accent": colours.accent_or_default(campaign.accent_color),
                "columns": looks.columns,
                "names": looks.names,
                "count": looks.count,
            }
            if kind == "svg":
                response = HttpResponse(
                    picture.wall_svg(**options), content_type="image/svg+xml; charset=utf-8"
                )
            else:
                response = HttpResponse(picture.wall_png(**options), content_type="image/png")
            response["Content-Language"] = language
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign, drawn))
        return response

    if asked.problems:
        # Malformed parameters: a 400 saying so, never stored.
        return build()
    response = renderings.cached_public_response(
        request,
        namespace=f"wall-{kind}",
        variant=variant(request, asked.query.cache_key(), looks.cache_key(), language),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
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
        return feed.AlliesFeed()(request, slug=slug)

    return renderings.cached_public_response(
        request,
        namespace="feed",
        variant=variant(request),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )
