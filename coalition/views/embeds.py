"""The wall on other sites: the embed (the only pages that may be framed), ``/embed.js``, and the
builder where a partner picks filters and looks and copies a snippet.

The wall itself is built by ``coalition.views.wall``; an embed adds its looks
(``coalition.display``) and its own cache policy.
"""

from __future__ import annotations

import hashlib

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import get_language
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from coalition import caching, links, selectors
from coalition.display import MAX_COLUMNS, THEMES, WallDisplay
from coalition.embeds import iframe_snippet
from coalition.queries import ORDER_CHOICES
from coalition.views import wall
from coalition.views.common import campaign_or_404

EMBED_POLICY = caching.CachePolicy(max_age=60, s_maxage=300)
SCRIPT_POLICY = caching.CachePolicy(max_age=3600, s_maxage=3600, stale_while_revalidate=86400)
# The ``data-`` attributes that embed.js passes on to the embed (static/coalition/embed.js).
SCRIPT_PARAMETERS = (
    "country",
    "sector",
    "q",
    "order",
    "theme",
    "lang",
    "columns",
    "names",
    "count",
)


@require_safe
@xframe_options_exempt
def embed(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The wall alone, for an iframe on another site; the only pages that may be framed.

    ``xframe_options_exempt`` is what opens the CSP's ``frame-ancestors`` too (to
    ``EMBED_FRAME_ANCESTORS``; see ``coalition.middleware``)."""
    campaign = campaign_or_404(slug)
    asked = wall.read_parameters(request, campaign, display=True)
    if asked.problems:
        context = {"campaign": campaign, "problems": asked.problems, "options": WallDisplay()}
        return render(request, "embed/wall.html", context, status=400)
    looks = asked.display
    language = looks.lang or get_language()

    def build() -> HttpResponse:
        with translation.override(language):
            try:
                context = wall.wall_context(campaign=campaign, asked=asked)
            except wall.WallPageNotFound as error:
                return wall.page_not_found(request, campaign, asked, error)
            context.update(
                options=looks,
                full_url=reverse("campaign-detail", args=[campaign.slug]),
                sign_on_url=wall.sign_on_url(campaign, campaign.slug),
                language=language,
            )
            response = render(request, "embed/wall.html", context)
            response["Content-Language"] = language
            return response

    return caching.cached_public_response(
        request,
        namespace="embed",
        variant=wall.variant(
            request, campaign, asked.query.cache_key(), looks.cache_key(), language
        ),
        build=build,
        policy=EMBED_POLICY,
        vary=("Accept-Language",),
    )


def _read_static(name: str) -> bytes:
    path = finders.find(name)
    if not path:
        raise Http404
    with open(path, "rb") as file:
        return file.read()


@require_safe
def embed_script(request: HttpRequest) -> HttpResponse:
    """``/embed.js``: turns ``<div data-coalition-wall …>`` on any site into a wall iframe."""
    content = _read_static("coalition/embed.js")

    def build() -> HttpResponse:
        return HttpResponse(content, content_type="text/javascript; charset=utf-8")

    response = caching.cached_public_response(
        request,
        namespace="embed-js",
        variant=hashlib.sha256(content).hexdigest(),
        build=build,
        policy=SCRIPT_POLICY,
    )
    # Other sites load it with <script src>, with or without ``crossorigin``.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def embed_builder(request: HttpRequest, slug: str) -> HttpResponse:
    """Pick filters and looks, see the embed, copy the snippet; works without JavaScript."""
    campaign = campaign_or_404(slug)
    asked = wall.read_parameters(request, campaign, display=True, height=True)
    site = links.site_url()
    embed_path = reverse("embed", args=[campaign.slug])
    # The height is the iframe's, not the embed's.
    looks = asked.display.without_height()
    embed_query = wall.link(asked.query, looks)
    script_attributes = [("data-campaign", campaign.slug)] + [
        (f"data-{name}", value)
        for name, value in asked.query.to_params() + looks.to_params()
        if name in SCRIPT_PARAMETERS
    ]

    def build(status: int = 200) -> HttpResponse:
        facets = selectors.ally_facets(asked.query.unfiltered())
        context = {
            "campaign": campaign,
            "problems": asked.problems,
            "cleaned": wall.form_values(asked.query, asked.display),
            "ally_count": facets.total,
            "country_options": wall.country_options(facets, asked.query.countries),
            "sector_options": wall.sector_options(asked.sectors, facets, asked.query.sectors),
            "orders": ORDER_CHOICES,
            "themes": THEMES,
            "languages": settings.LANGUAGES,
            "max_columns": range(1, MAX_COLUMNS + 1),
            "site_url": site,
            "embed_path": embed_path,
            "preview_url": embed_path + embed_query,
            "iframe_snippet": iframe_snippet(
                campaign, query=embed_query, height=asked.display.height
            ),
            "script_snippet": render_to_string(
                "embed/snippet_script.txt",
                {"attributes": script_attributes, "src": site + reverse("embed-js")},
            ).strip(),
        }
        return render(request, "coalition/embed_builder.html", context, status=status)

    if asked.problems:
        return build(status=400)
    return caching.cached_public_response(
        request,
        namespace="embed-builder",
        variant=wall.variant(
            request, campaign, asked.query.cache_key(), asked.display.cache_key(), site
        ),
        build=build,
        vary=("Accept-Language",),
    )
