"""The public API v1: read-only, approved allies only, answered from stored renderings.

Each endpoint checks its parameters first (no database), names its rendering after them, and
hands ``coalition.publishing.renderings.cached_public_response`` a ``build`` that runs the usual DRF
machinery. A conditional request gets a 304 and a repeated one the stored bytes, neither
touching the database. Each rendering follows the public version of what it shows (its
campaign's, or everything's for the list of campaigns and an ally by id) and names its cache
keys, so that a change moves on, and purges, the responses that show it and no others.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import translation
from django.utils.cache import get_conditional_response, patch_vary_headers
from django.utils.http import quote_etag
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import generics, viewsets
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from api import filters, languages
from api.errors import ParameterError, ParameterNotFound
from api.pagination import AllyPagination
from api.renderers import AllyCSVRenderer
from api.serializers import (
    AllySerializer,
    CampaignSerializer,
    ErrorSerializer,
    FacetsSerializer,
    UnavailableSerializer,
    ally_rows,
    facets_data,
)
from coalition.models import Campaign, Endorsement
from coalition.publishing import cache_keys, freshness
from coalition.publishing.renderings import DEFAULT_POLICY, cached_public_response
from coalition.wall import queries, selectors

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)

LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=list(LANGUAGE_CODES),
    description="Language of country and sector names; otherwise from Accept-Language.",
)
# The campaign's own texts (its title, lead, timeline) are translated too.
CAMPAIGN_LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=list(LANGUAGE_CODES),
    description="Language of the campaign's texts and timeline; otherwise from Accept-Language.",
)
_JSON = "application/json"
ERRORS = {
    (400, _JSON): OpenApiResponse(
        ErrorSerializer,
        description=_(
            "A parameter is not valid: it is malformed (page_size must be between 1 and 500), or "
            "it names nothing that exists. A campaign, sector or country that names nothing is "
            "a 400, not a 404: campaign slugs are listed at /api/v1/campaigns/, sector slugs at "
            "/api/v1/facets/ (and in the error's message), countries are ISO 3166-1 alpha-2 "
            "codes. Each entry of errors names the parameter, what is wrong and what it accepts."
        ),
    ),
    (404, _JSON): OpenApiResponse(
        ErrorSerializer,
        description=_(
            "The path names nothing (an unknown ally id or campaign slug), the page is past the "
            "last one (the message says which is the last), or no campaign has been set up yet."
        ),
    ),
    (429, _JSON): OpenApiResponse(
        ErrorSerializer, description="Too many requests; see Retry-After."
    ),
    (503, _JSON): OpenApiResponse(
        UnavailableSerializer,
        description="The database is down and nothing is stored for this request; "
        "retry after Retry-After.",
    ),
}


def request_language(request: Request) -> str:
    """``?lang=`` when given (and a 400 when unknown), else the best of Accept-Language.

    Never the language cookie: shared caches vary on Accept-Language only.
    """
    lang = request.query_params.get("lang")
    if lang:
        if lang.lower() not in LANGUAGE_CODES:
            raise ParameterError("lang", _("“%(lang)s” is not offered.") % {"lang": lang[:20]})
        return lang.lower()
    return languages.accepted_language(request)


class PublicReadMixin(languages.AnswerInRequestLanguage):
    """Answers from a stored rendering, or with a 304, whenever the public data allow it."""

    def cached(
        self,
        request: Request,
        *,
        variant: str,
        build: Callable[[], Response],
        scope: str = freshness.EVERYTHING,
    ):
        """``build``'s response, stored as a rendering of ``scope`` (see
        ``cached_public_response``); ``build`` names its cache keys on it."""
        language = request_language(request)
        variant = "|".join([request.path, variant, request.accepted_renderer.format, language])

        def render() -> HttpResponse:
            with translation.override(language):
                response = self.finalize_response(request, build())
                response["Content-Language"] = language
                return response.render()

        return cached_public_response(
            request,
            namespace="api-v1",
            variant=variant,
            build=render,
            vary=("Accept", "Accept-Language"),
            scope=scope,
        )

    def finalize_response(self, request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        # Errors are JSON whatever format was asked for.
        if isinstance(response, Response) and response.status_code >= 400:
            response.accepted_renderer = JSONRenderer()
            response.accepted_media_type = JSONRenderer.media_type
        return response


@extend_schema(tags=["allies"])
class AllyViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    """Approved allies of a campaign."""

    serializer_class = AllySerializer
    pagination_class = AllyPagination
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    # Allies come from coalition.wall.selectors (approved only), as an AllyQuery selects them; this
    # names the model for DRF and the schema, and would show nothing if anything bypassed them.
    queryset = Endorsement.objects.none()

    def get_renderers(self):
        if not self.detail:  # the list route, whatever the method
            return [JSONRenderer(), AllyCSVRenderer()]
        return [JSONRenderer()]

    def get_object(self) -> dict[str, Any]:
        """The ally the URL names, as a row of ``ally_rows`` (what ``AllySerializer`` shows)."""
        allies = selectors.ally_with_id(public_id=self.kwargs[self.lookup_url_kwarg])
        try:
            return ally_rows(allies).get()
        except Endorsement.DoesNotExist:
            raise ParameterNotFound("id", _("No approved ally has this id.")) from None

    @extend_schema(
        summary="List allies",
        parameters=[*filters.openapi_parameters(queries.LISTING), LANG_PARAMETER],
        responses={
            (200, "application/json"): AllySerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            **ERRORS,
        },
    )
    def list(self, request: Request, *args, **kwargs):
        query = filters.ally_query(request, read=queries.LISTING)

        def build() -> Response:
            selection = filters.select(query)
            # Plain rows, each sector named from ``selection.sectors``.
            allies = ally_rows(selectors.ally_list(selection.query))
            page = self.paginator.paginate(allies, query=selection.query, request=request)
            context = {**self.get_serializer_context(), "sectors": selection.sectors}
            serializer = AllySerializer(page, many=True, context=context)
            response = self.paginator.get_paginated_response(serializer.data)
            return _tagged(response, cache_keys.keys_for_page(selection.campaign))

        return self.cached(
            request,
            variant=query.cache_key(),
            build=build,
            scope=freshness.campaign_scope(query.campaign),
        )

    @extend_schema(
        summary="One ally",
        parameters=[
            OpenApiParameter("id", OpenApiTypes.STR, OpenApiParameter.PATH),
            LANG_PARAMETER,
        ],
        responses={200: AllySerializer, **ERRORS},
    )
    def retrieve(self, request: Request, *args, **kwargs):
        def build() -> Response:
            ally = self.get_object()
            # The serializer names the sector from every sector by id, as for the list.
            sectors = {sector.pk: sector for sector in selectors.sectors_all()}
            context = {**self.get_serializer_context(), "sectors": sectors}
            response = Response(AllySerializer(ally, context=context).data)
            return _tagged(response, cache_keys.keys_for_page(None, public_ids=[ally["public_id"]]))

        # Which campaign the ally is in is read with it: any change may concern it.
        return self.cached(request, variant="", build=build)


@extend_schema(tags=["campaigns"])
class CampaignViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns, each with its count of approved allies."""

    serializer_class = CampaignSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Campaign]:
        # The timeline of every campaign listed in one query, in its order (Milestone.Meta).
        return selectors.campaign_list_with_ally_count().prefetch_related("milestones")

    def get_object(self) -> Campaign:
        try:
            return self.get_queryset().get(slug=self.kwargs["slug"])
        except Campaign.DoesNotExist:
            raise ParameterNotFound("slug", _("No campaign has this slug.")) from None

    @extend_schema(
        summary="List campaigns",
        parameters=[CAMPAIGN_LANG_PARAMETER],
        responses={200: CampaignSerializer(many=True), **ERRORS},
    )
    def list(self, request: Request, *args, **kwargs):
        def build() -> Response:
            response = super(CampaignViewSet, self).list(request, *args, **kwargs)
            return _tagged(response, [cache_keys.CAMPAIGNS_KEY])

        # Every campaign and its count: any change may concern it.
        return self.cached(request, variant="", build=build)

    @extend_schema(
        summary="One campaign",
        parameters=[CAMPAIGN_LANG_PARAMETER],
        responses={200: CampaignSerializer, **ERRORS},
    )
    def retrieve(self, request: Request, *args, **kwargs):
        def build() -> Response:
            campaign = self.get_object()
            response = Response(self.get_serializer(campaign).data)
            return _tagged(response, cache_keys.keys_for_page(campaign))

        return self.cached(
            request,
            variant="",
            build=build,
            scope=freshness.campaign_scope(self.kwargs["slug"]),
        )


@extend_schema(tags=["allies"])
class FacetsView(PublicReadMixin, generics.GenericAPIView):
    """Counts of the allies the filters select: by country, by sector and by both."""

    queryset = Endorsement.objects.none()  # as for AllyViewSet: the selectors read
    serializer_class = FacetsSerializer
    pagination_class = None

    @extend_schema(
        summary="Counts by country, by sector and by both",
        parameters=[*filters.openapi_parameters(queries.SELECTION), LANG_PARAMETER],
        responses={200: FacetsSerializer, **ERRORS},
    )
    def get(self, request: Request, *args, **kwargs):
        query = filters.ally_query(request, read=queries.SELECTION)

        def build() -> Response:
            selection = filters.select(query)
            facets = selectors.ally_facets(selection.query)
            data = facets_data(
                campaign=selection.campaign, facets=facets, sectors=selection.sectors
            )
            response = Response(FacetsSerializer(data).data)
            return _tagged(response, cache_keys.keys_for_page(selection.campaign))

        return self.cached(
            request,
            variant=query.cache_key(),
            build=build,
            scope=freshness.campaign_scope(query.campaign),
        )


def _tagged(response: Response, keys: list[str]) -> Response:
    """``response``, named by the keys of what it shows (``cache_keys``)."""
    cache_keys.tag_response(response, keys)
    return response


@extend_schema(exclude=True)
class NotFoundView(languages.AnswerInRequestLanguage, APIView):
    """Anything else under /api/: a JSON 404, in the language of the API's answers."""

    def get(self, request: Request, *args, **kwargs) -> Response:
        raise NotFound(_("There is no such API endpoint; see /api/docs/."))


@extend_schema(exclude=True)
class SchemaView(languages.AnswerInRequestLanguage, SpectacularAPIView):
    """The OpenAPI document, cached like the lists: its ETag names its bytes (which change only
    with a release, or with ``lang``), so a conditional request is a 304."""

    def finalize_response(self, request: Request, response, *args, **kwargs):
        response = super().finalize_response(request, response, *args, **kwargs)
        if response.status_code != 200:
            return response
        content = response.render().content
        response["ETag"] = quote_etag(hashlib.sha256(content).hexdigest()[:32])
        response["Cache-Control"] = DEFAULT_POLICY.header()
        patch_vary_headers(response, ("Accept", "Accept-Language"))
        # A 304 carries the ETag, Cache-Control and Vary of the response it stands for.
        conditional = get_conditional_response(request, etag=response["ETag"], response=response)
        return conditional or response


class DocsView(languages.AnswerInRequestLanguage, SpectacularSwaggerSplitView):
    """The Swagger UI page, its ``<html lang>`` and its schema in the language of the API's
    answers."""
