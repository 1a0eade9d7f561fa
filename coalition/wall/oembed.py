"""oEmbed (https://oembed.com): which wall an address of this site shows, and the answer that
puts that wall on another site, as WordPress, Ghost or Discourse ask for it when someone pastes
the address of the wall, of a campaign's page or of a filtered wall.

The answer is of type ``rich``: the embed's ``<iframe>`` (``public_site.views.embeds``), with the
filters of the address pasted, in its language. The filters are read by the wall's own reader
(``AllyQuery.parse``), so an address the wall refuses is refused here with the same message, and
parameters the wall does not read (``utm_*``, ``fbclid``, a partner's ``ref``, made-up ones) are
ignored here as there (``coalition.web.public_parameters``). An embed shows its wall from its
first page, whatever page the address was at.

WordPress puts a provider's iframe in a sandbox it sizes through its own messages; the embed
speaks them (``static/coalition/embed-frame.js``; docs/wall-and-embeds.md, "oEmbed").
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import urlencode, urlsplit
from xml.etree import ElementTree

from django.conf import settings
from django.http import QueryDict
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext

from coalition.models import Campaign
from coalition.wall.parameters import QueryError, whole_number
from coalition.wall.queries import AllyQuery
from coalition.wall.snippets import DEFAULT_IFRAME_HEIGHT, IFRAME_TITLE
from coalition.web import links
from coalition.web.languages import LANGUAGE_CODES

FORMATS = ("json", "xml")
# The frame's size when the consumer sets no bound: the wall is fluid, the height is a first
# guess that the embed corrects in any page that listens (embed.js, WordPress).
DEFAULT_WIDTH = 640
DEFAULT_HEIGHT = DEFAULT_IFRAME_HEIGHT
# How long a consumer may keep an answer (WordPress keeps one a day unless told less): the
# allies in the frame are live whatever the age of the answer; only its title may lag.
CACHE_AGE = 86400
# The share card (``public_site.views.campaign.share_png``).
THUMBNAIL_SIZE = (1200, 630)
# An address longer than this is no address of ours.
MAX_URL_LENGTH = 2000

_SLUG = "[-a-zA-Z0-9_]+"
_PATH = re.compile(
    r"/(?:(?P<language>{})/)?(?:campaigns/(?P<slug>{})/?)?".format(
        "|".join(code for code in LANGUAGE_CODES if code != settings.LANGUAGE_CODE) or "(?!)",
        _SLUG,
    )
)


class OEmbedError(Exception):
    """A request oEmbed answers with ``status`` (400, 404, 501) and ``message``, in words."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


@dataclass(frozen=True)
class OEmbedRequest:
    """What an oEmbed request asks, checked without the database: the wall (a campaign's slug,
    None for the site's default campaign; its filters; its language), the format and the
    consumer's bounds."""

    slug: str | None
    language: str
    query: AllyQuery
    format: str
    maxwidth: int | None
    maxheight: int | None

    @property
    def width(self) -> int:
        return min(DEFAULT_WIDTH, self.maxwidth or DEFAULT_WIDTH)

    @property
    def height(self) -> int:
        return min(DEFAULT_HEIGHT, self.maxheight or DEFAULT_HEIGHT)

    def cache_key(self) -> str:
        """Everything the answer depends on besides the public data."""
        return "|".join(
            [
                self.slug or "",
                self.language,
                self.query.cache_key(),
                self.format,
                str(self.width),
                str(self.height),
            ]
        )


def _bound(params: QueryDict, name: str) -> int | None:
    raw = params.get(name, "").strip()
    if not raw:
        return None
    number = whole_number(raw)
    if number is None or number < 1:
        raise OEmbedError(
            400,
            gettext("%(name)s must be a whole number of pixels, 1 or more.") % {"name": name},
        )
    return number


def wall_address(url: str) -> tuple[str | None, str, QueryDict]:
    """The campaign (its slug, None for the default one), the language and the query string of
    ``url`` when it is the address of a wall of this site: ``/``, ``/campaigns/<slug>/``, each
    in any of the site's languages (``/fr/…``), with or without a query. Raises
    ``OEmbedError``: 400 when it is no URL at all, 404 when it is one of another site or of
    another page."""
    url = url.strip()
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        raise OEmbedError(400, gettext("url is not a valid address.")) from None
    if len(url) > MAX_URL_LENGTH or parts.scheme.lower() not in ("http", "https"):
        raise OEmbedError(400, gettext("url must be an http or https address."))
    if not parts.hostname:
        raise OEmbedError(400, gettext("url is not a valid address."))
    site = urlsplit(links.site_url())
    # The scheme may differ (a link pasted from before the site moved to https); the host and
    # the port written, if any, may not.
    if parts.hostname.lower() != (site.hostname or "").lower() or port != site.port:
        raise OEmbedError(404, gettext("url is not an address of this site."))
    match = _PATH.fullmatch(parts.path or "/")
    if match is None:
        raise OEmbedError(404, gettext("url is not the address of a wall of this site."))
    language = match["language"] or settings.LANGUAGE_CODE
    return match["slug"], language, QueryDict(parts.query)


def read_request(params: QueryDict, *, page_size: int) -> OEmbedRequest:
    """The oEmbed request that the GET parameters ``params`` make, or ``OEmbedError``. The
    wall's filters are read as the wall reads them (with pages of ``page_size``); the sectors
    they name are checked against the database later (``check_sectors``)."""
    url = params.get("url", "")
    if not url.strip():
        raise OEmbedError(400, gettext("url is required: the address of the wall to embed."))
    format_ = (params.get("format", "") or "json").strip().lower()
    if format_ not in FORMATS:
        raise OEmbedError(501, gettext("Only the json and xml formats are available."))
    maxwidth, maxheight = _bound(params, "maxwidth"), _bound(params, "maxheight")
    slug, language, query_string = wall_address(url)
    try:
        query = AllyQuery.parse(query_string, campaign=slug, page_size=page_size)
    except QueryError as error:
        raise OEmbedError(400, " ".join(error.lines())) from None
    return OEmbedRequest(
        slug=slug,
        language=language,
        query=replace(query, page=1),
        format=format_,
        maxwidth=maxwidth,
        maxheight=maxheight,
    )


def embed_url(campaign: Campaign, asked: OEmbedRequest) -> str:
    """The embed showing what ``asked`` names, in its language."""
    params = [*asked.query.to_params(), ("lang", asked.language)]
    return links.absolute(f"{reverse('embed', args=[campaign.slug])}?{urlencode(params)}")


def page_url(campaign: Campaign, asked: OEmbedRequest) -> str:
    """The wall's own page for what ``asked`` names, in the active language."""
    path = reverse("home") if asked.slug is None else reverse("campaign-detail", args=[asked.slug])
    query = asked.query.to_params()
    return links.absolute(path + (f"?{urlencode(query)}" if query else ""))


def answer(campaign: Campaign, asked: OEmbedRequest) -> dict[str, Any]:
    """The oEmbed answer for ``asked`` about ``campaign``, in the language of the address."""
    with translation.override(asked.language):
        title = gettext("Organizations standing with %(title)s") % {"title": campaign.title}
        html = render_to_string(
            "embed/oembed_iframe.html",
            {
                "src": embed_url(campaign, asked),
                "page_url": page_url(campaign, asked),
                "link_text": title,
                "title": str(IFRAME_TITLE),
                "width": asked.width,
                "height": asked.height,
            },
        ).strip()
        thumbnail = links.absolute(reverse("campaign-share", args=[campaign.slug]))
        provider = links.absolute(reverse("home"))
        provider_name = getattr(settings, "SITE_NAME", "") or gettext("Coalition Registry")
    data: dict[str, Any] = {
        "version": "1.0",
        "type": "rich",
        "title": title,
        "provider_name": provider_name,
        "provider_url": provider,
        "html": html,
        "width": asked.width,
        "height": asked.height,
        "cache_age": CACHE_AGE,
        "thumbnail_url": thumbnail,
        "thumbnail_width": THUMBNAIL_SIZE[0],
        "thumbnail_height": THUMBNAIL_SIZE[1],
    }
    if campaign.organizer_name:
        data["author_name"] = campaign.organizer_name
        if campaign.organizer_website:
            data["author_url"] = campaign.organizer_website
    return data


def as_xml(data: dict[str, Any]) -> bytes:
    """``data`` as oEmbed's XML format: one ``<oembed>`` element, a child per field."""
    root = ElementTree.Element("oembed")
    for name, value in data.items():
        ElementTree.SubElement(root, name).text = str(value)
    return ElementTree.tostring(root, encoding="utf-8", xml_declaration=True)


def discovery_url(page_url: str, *, format_: str = "json") -> str:
    """The address of the oEmbed answer about the wall at ``page_url``, for the page's
    ``<link rel="alternate">`` (consumers find it there)."""
    return links.absolute(f"{reverse('oembed')}?{urlencode({'url': page_url, 'format': format_})}")


def discovery_title(campaign: Campaign) -> str:
    return gettext("Organizations standing with %(title)s") % {"title": campaign.title}
