"""``/oembed``: the oEmbed answer (https://oembed.com) about a wall of this site, so that pasting
its address into WordPress (or any consumer) shows the wall (``coalition.wall.oembed``).

Public and cached like the embed it points to: named from the request alone, built from the
database, purged with its campaign; the consumers that ask are servers (WordPress fetches it
once a day per post) and scripts in browsers (hence ``Access-Control-Allow-Origin``).
"""

from __future__ import annotations

import json

from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext
from django.views.decorators.http import require_safe

from coalition.models import Campaign
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import oembed as provider
from coalition.wall import selectors
from coalition.wall.parameters import QueryError
from public_site.views import wall

OEMBED_POLICY = renderings.CachePolicy(max_age=3600, s_maxage=3600)
CONTENT_TYPES = {
    "json": "application/json; charset=utf-8",
    "xml": "text/xml; charset=utf-8",
}


def _refused(error: provider.OEmbedError) -> HttpResponse:
    response = HttpResponse(
        error.message + "\n", status=error.status, content_type="text/plain; charset=utf-8"
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response


@require_safe
def oembed(request: HttpRequest) -> HttpResponse:
    """The oEmbed answer about the wall at ``url``: 400 for parameters it cannot read, 404 for
    an address that is not a wall of this site (or a campaign that is not public), 501 for a
    format other than json and xml."""
    try:
        asked = provider.read_request(request.GET, page_size=wall.WALL_PAGE_SIZE)
    except provider.OEmbedError as error:
        return _refused(error)

    def build() -> HttpResponse:
        try:
            campaign = selectors.campaign_get(slug=asked.slug)
        except Campaign.DoesNotExist:
            return _refused(provider.OEmbedError(404, gettext("No public wall has this address.")))
        try:
            asked.query.check_sectors(sector.slug for sector in selectors.sectors_all())
        except QueryError as error:
            return _refused(provider.OEmbedError(400, " ".join(error.lines())))
        data = provider.answer(campaign, asked)
        if asked.format == "xml":
            body = provider.as_xml(data)
        else:
            body = json.dumps(data, ensure_ascii=False).encode()
        response = HttpResponse(body, content_type=CONTENT_TYPES[asked.format])
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign))
        return response

    response = renderings.cached_public_response(
        request,
        namespace="oembed",
        variant=f"{request.path}|{asked.cache_key()}",
        build=build,
        policy=OEMBED_POLICY,
        scope=freshness.campaign_scope(asked.slug),
    )
    response["Access-Control-Allow-Origin"] = "*"
    return response
