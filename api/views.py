"""The public API v1: read-only, approved allies only, answered from stored renderings.

Each endpoint checks its parameters first (no database), names its rendering after them, and
hands ``coalition.caching.cached_public_response`` a ``build`` that runs the usual DRF
machinery. A conditional request gets a 304 and a repeated one the stored bytes, neither
touching the database; every approval, withdrawal, removal and approved edit changes the
public version, and so every ETag, after commit.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.utils import translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation.trans_real import parse_accept_lang_header
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, viewsets
from rest_framework.decorators import api_view
from rest_framework.exceptions import NotFound
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response

from api.errors import ParameterError, ParameterNotFound
from api.filters import AllyFilterBackend, AllyFilterSet, AllySelectionFilterSet
from api.pagination import AllyPagination
from api.renderers import AllyCSVRenderer
from api.serializers import (
    AllySerializer,
    CampaignSerializer,
    ErrorSerializer,
    FacetsSerializer,
    UnavailableSerializer,
    facets_data,
)
from coalition import selectors
from coalition.caching import cached_public_response
from coalition.models import Campaign, Endorsement

LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)

LANG_PARAMETER = OpenApiParameter(
    "lang",
    OpenApiTypes.STR,
    enum=list(LANGUAGE_CODES),
    description="Language of country and sector names; otherwise from Accept-Language.",
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
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


class PublicReadMixin:
    """Answers from a stored rendering, or with a 304, whenever the public data allow it."""

    def cached(self, request: Request, *, variant: str, build: Callable[[], Response]):
        language = request_language(request)
        variant = "|".join([request.path, variant, request.accepted_renderer.format, language])

        def render() -> HttpResponse:
            with translation.override(language):
                response = self.finalize_response(request, build())
                response["Content-Language"] = language
                return response.render()

        limits = (getattr(throttle, "limit", lambda: None)() for throttle in self.get_throttles())
        return cached_public_response(
            request,
            namespace="api-v1",
            variant=variant,
            build=render,
            vary=("Accept", "Accept-Language"),
            rate_limits=tuple(limit for limit in limits if limit is not None),
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
    filter_backends = [AllyFilterBackend]
    filterset_class = AllyFilterSet
    pagination_class = AllyPagination
    lookup_field = "public_id"
    lookup_url_kwarg = "id"
    # Allies come from coalition.selectors (approved only) through AllyFilterSet; this names
    # the model for DRF and the schema, and would show nothing if anything bypassed them.
    queryset = Endorsement.objects.none()
    filterset: AllyFilterSet | None = None

    def get_renderers(self):
        if not self.detail:  # the list route, whatever the method
            return [JSONRenderer(), AllyCSVRenderer()]
        return [JSONRenderer()]

    def get_serializer_context(self) -> dict:
        context = super().get_serializer_context()
        if self.filterset is not None and self.filterset.is_valid():
            context["sectors"] = self.filterset.selected.sectors
        return context

    def get_object(self) -> Endorsement:
        try:
            return selectors.ally_get(public_id=self.kwargs[self.lookup_url_kwarg])
        except Http404:
            raise ParameterNotFound("id", _("No approved ally has this id.")) from None

    @extend_schema(
        summary="List allies",
        parameters=[LANG_PARAMETER],
        responses={
            (200, "application/json"): AllySerializer(many=True),
            (200, "text/csv"): OpenApiTypes.STR,
            **ERRORS,
        },
    )
    def list(self, request: Request, *args, **kwargs):
        filterset = self.filter_backends[0]().get_filterset(request, self.get_queryset(), self)
        filterset.validate()
        page, page_size = self.paginator.validate(request)
        return self.cached(
            request,
            variant=f"{filterset.variant()}|{page}|{page_size}",
            build=lambda: super(AllyViewSet, self).list(request, *args, **kwargs),
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
        return self.cached(
            request,
            variant="",
            build=lambda: super(AllyViewSet, self).retrieve(request, *args, **kwargs),
        )


@extend_schema(tags=["campaigns"])
class CampaignViewSet(PublicReadMixin, viewsets.ReadOnlyModelViewSet):
    """Campaigns, each with its count of approved allies."""

    serializer_class = CampaignSerializer
    lookup_field = "slug"
    pagination_class = None

    def get_queryset(self) -> QuerySet[Campaign]:
        return selectors.campaign_list_with_ally_count()

    def get_object(self) -> Campaign:
        try:
            return self.get_queryset().get(slug=self.kwargs["slug"])
        except Campaign.DoesNotExist:
            raise ParameterNotFound("slug", _("No campaign has this slug.")) from None

    @extend_schema(
        summary="List campaigns", responses={200: CampaignSerializer(many=True), **ERRORS}
    )
    def list(self, request: Request, *args, **kwargs):
        return self.cached(
            request,
            variant="",
            build=lambda: super(CampaignViewSet, self).list(request, *args, **kwargs),
        )

    @extend_schema(
        summary="One campaign",
        responses={200: CampaignSerializer, **ERRORS},
    )
    def retrieve(self, request: Request, *args, **kwargs):
        return self.cached(
            request,
            variant="",
            build=lambda: super(CampaignViewSet, self).retrieve(request, *args, **kwargs),
        )


@extend_schema(tags=["allies"])
class FacetsView(PublicReadMixin, generics.GenericAPIView):
    """Counts of the allies the filters select: by country, by sector and by both."""

    filter_backends = [AllyFilterBackend]
    filterset_class = AllySelectionFilterSet
    queryset = Endorsement.objects.none()  # as for AllyViewSet: the selectors read
    serializer_class = FacetsSerializer
    pagination_class = None
    filterset: AllySelectionFilterSet | None = None

    @extend_schema(
        summary="Counts by country, by sector and by both",
        filters=True,
        parameters=[LANG_PARAMETER],
        responses={200: FacetsSerializer, **ERRORS},
    )
    def get(self, request: Request, *args, **kwargs):
        filterset = self.filter_backends[0]().get_filterset(request, self.get_queryset(), self)
        filterset.validate()

        def build() -> Response:
            selected = filterset.selected
            facets = selectors.ally_facets(campaign=selected.campaign, filters=selected.filters)
            data = facets_data(campaign=selected.campaign, facets=facets, sectors=selected.sectors)
            return Response(FacetsSerializer(data).data)

        return self.cached(request, variant=filterset.variant(), build=build)


@extend_schema(exclude=True)
@api_view(["GET", "HEAD"])
def not_found(request: Request, *args, **kwargs) -> Response:
    raise NotFound(_("There is no such API endpoint; see /api/docs/."))
