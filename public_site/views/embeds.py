"""The wall on other sites: the embed (the only pages that may be framed), ``/embed.js``, and the
builder where a partner picks filters and looks and copies a snippet.

The wall itself is built by ``public_site.views.wall``; an embed adds its looks
(``coalition.wall.looks``) and its own cache policy.
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
from django.utils.http import urlencode
from django.utils.translation import get_language
from django.views.decorators.clickjacking import xframe_options_exempt
from django.views.decorators.http import require_safe

from coalition.endorsements import sources
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import selectors
from coalition.wall.looks import MAX_COLUMNS, THEMES
from coalition.wall.queries import ORDER_CHOICES
from coalition.wall.snippets import iframe_snippet
from coalition.web import links
from public_site.views import wall

EMBED_POLICY = renderings.CachePolicy(max_age=60, s_maxage=300)
SCRIPT_POLICY = renderings.CachePolicy(max_age=3600, s_maxage=3600, stale_while_revalidate=86400)
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
    "ref",
)


@require_safe
@xframe_options_exempt
def embed(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The wall alone, for an iframe on another site; the only pages that may be framed.

    ``xframe_options_exempt`` is what opens the CSP's ``frame-ancestors`` too (to
    ``EMBED_FRAME_ANCESTORS``; see ``coalition.web.middleware``)."""
    asked = wall.read_parameters(request, slug, display=True)
    looks = asked.display
    language = looks.lang or get_language()

    def build() -> HttpResponse:
        campaign, resolved = wall.resolve(request, slug, display=True)
        if resolved.problems:
            context = {
                "campaign": campaign,
                "problems": resolved.problems,
                "options": resolved.display,
            }
            return render(request, "embed/wall.html", context, status=400)
        with translation.override(language):
            try:
                context = wall.wall_context(campaign=campaign, asked=resolved)
            except wall.WallPageNotFound as error:
                return wall.page_not_found(request, campaign, resolved, error)
            context.update(
                options=looks,
                full_url=reverse("campaign-detail", args=[campaign.slug]),
                # The partner's ``ref`` (``data-ref``) and any UTM parameters in the frame's
                # address go on Sign on in the browser (attribution.js): one copy for all.
                **wall.sign_on_context(campaign, campaign.slug),
                language=language,
            )
            response = render(request, "embed/wall.html", context)
            response["Content-Language"] = language
            return wall.tagged(response, context)

    if asked.problems:
        # Malformed parameters: a 400 saying so, never stored.
        return build()
    return renderings.cached_public_response(
        request,
        namespace="embed",
        variant=wall.variant(request, asked.query.cache_key(), looks.cache_key(), language),
        build=build,
        policy=EMBED_POLICY,
        # Without ``lang``, an embed speaks the language of the visitor's cookie, then of
        # Accept-Language (it has no language in its URL).
        vary=("Accept-Language", "Cookie"),
        scope=freshness.campaign_scope(slug),
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

    response = renderings.cached_public_response(
        request,
        namespace="embed-js",
        variant=hashlib.sha256(content).hexdigest(),
        build=build,
        policy=SCRIPT_POLICY,
        # The script reads no public data: only a site-wide change moves it on.
        scope=freshness.SITE,
    )
    # Other sites load it with <script src>, with or without ``crossorigin``.
    response["Access-Control-Allow-Origin"] = "*"
    response["Cross-Origin-Resource-Policy"] = "cross-origin"
    return response


@require_safe
def embed_builder(request: HttpRequest, slug: str) -> HttpResponse:
    """Pick filters and looks, see the embed, copy the snippet; works without JavaScript."""
    asked = wall.read_parameters(request, slug, display=True, height=True)
    site = links.site_url()
    # The partner's own name for their site, which their wall's Sign on link carries.
    ref = sources.clean({"ref": request.GET.get("ref")}).get("ref", "")

    def build() -> HttpResponse:
        campaign, resolved = wall.resolve(request, slug, display=True, height=True)
        embed_path = reverse("embed", args=[campaign.slug])
        # The height is the iframe's, not the embed's.
        looks = resolved.display.without_height()
        embed_query = wall.link(resolved.query, looks)
        if ref:
            embed_query += ("&" if embed_query else "?") + urlencode({"ref": ref})
        script_attributes = [("data-campaign", campaign.slug)] + [
            (f"data-{name}", value)
            for name, value in resolved.query.to_params() + looks.to_params() + [("ref", ref)]
            if name in SCRIPT_PARAMETERS and value
        ]
        # As the wall's filters count: each option under the other filters chosen.
        facets = selectors.ally_filter_counts(resolved.query, resolved.sectors)
        context = {
            "campaign": campaign,
            "problems": resolved.problems,
            "cleaned": {**wall.form_values(resolved.query, resolved.display), "ref": ref},
            "ally_count": facets.total,
            "country_options": wall.country_options(facets, resolved.query.countries),
            "sector_options": wall.sector_options(resolved.sectors, facets, resolved.query.sectors),
            "orders": ORDER_CHOICES,
            "themes": THEMES,
            "languages": settings.LANGUAGES,
            "max_columns": range(1, MAX_COLUMNS + 1),
            "site_url": site,
            "embed_path": embed_path,
            "preview_url": embed_path + embed_query,
            "iframe_snippet": iframe_snippet(
                campaign, query=embed_query, height=resolved.display.height
            ),
            "script_snippet": render_to_string(
                "embed/snippet_script.txt",
                {"attributes": script_attributes, "src": site + reverse("embed-js")},
            ).strip(),
        }
        status = 400 if resolved.problems else 200
        response = render(request, "coalition/embed_builder.html", context, status=status)
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign))
        return response

    if asked.problems:
        # Malformed parameters: a 400 saying so, never stored.
        return build()
    return renderings.cached_public_response(
        request,
        namespace="embed-builder",
        variant=wall.variant(
            request, asked.query.cache_key(), asked.display.cache_key(), site, ref
        ),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )
