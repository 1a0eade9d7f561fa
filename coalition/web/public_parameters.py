"""The GET parameters each public page reads: one list, which decides when two requests for the
same page are two answers.

Anything else in a query string changes nothing a page shows: a newsletter's ``utm_*``, a social
network's ``fbclid``, a partner's ``ref``, a made-up ``zz``. So it makes no copy of its own,
neither among the app's renderings nor in a cache in front, and a random one cannot send every
request to gunicorn. A public page's query string is cut down to the parameters the page reads,
in one order (``cache_query``): by Varnish (``deploy/varnish/default.vcl``) before it looks the
page up, and by the app itself (``public_parameters_middleware``) for when no cache is in front,
so that both answer alike. Attribution (``ref``, UTM) reaches the application another way (see
``coalition.endorsements.sources``).

The lists are made from the definitions the pages parse their parameters with
(``coalition.wall.queries``, ``coalition.wall.looks``, ``coalition.campaigns.letter``), so a
parameter added there is read everywhere at once, except by the VCL, which cannot import Python:
its block between the ``BEGIN`` and ``END`` lines is written from here (``vcl_block``) by
``manage.py vcl_parameters``, and a test fails while the two disagree.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest, HttpResponse

from coalition.campaigns import badge, letter
from coalition.wall import looks, queries
from coalition.wall.parameters import Parameter
from coalition.web.languages import LANGUAGE_CODES

# Parameters that only say where a visitor came from (ad clicks, newsletters, partners): never
# read by a public page. The apply form reads ``ref`` and ``utm_*`` (``sources.KEYS``); it is not
# a public page and keeps its query string.
TRACKING_PREFIXES = ("utm_",)
TRACKING_NAMES = (
    "fbclid",
    "gclid",
    "gbraid",
    "wbraid",
    "dclid",
    "msclkid",
    "yclid",
    "twclid",
    "igshid",
    "li_fat_id",
    "mc_cid",
    "mc_eid",
    "_hsenc",
    "_hsmi",
    "ref_src",
    "ref",
)

SLUG = "[-a-zA-Z0-9_]+"  # Django's <slug:…>
# A page people read may carry its language in its path (English has none).
_PREFIXED = [code for code in LANGUAGE_CODES if code != settings.LANGUAGE_CODE]
_LANGUAGE = "(?:(?:{})/)?".format("|".join(_PREFIXED)) if _PREFIXED else ""


def _spellings(parameters: Mapping[str, Parameter], names: Iterable[str]) -> tuple[str, ...]:
    """Every name a request may give the parameters ``names`` under (``q`` for ``search``)."""
    return tuple(spelling for name in names for spelling in parameters[name].spellings)


# A page's own query of the allies (the campaign is in its path, the page size fixed).
_WALL = _spellings(queries.PARAMETERS, queries.PAGE_PARAMETERS)
# The looks of an embed or a picture; only the builder reads ``height`` (its iframe's).
_LOOKS = _spellings(looks.PARAMETERS, [name for name in looks.PARAMETERS if name != "height"])
# The API reads ``lang`` (api.views.request_language) and DRF's ``format`` on every endpoint.
_API = ("lang", "format")


@dataclass(frozen=True)
class PublicPath:
    """Public responses whose path matches ``pattern`` (a regular expression that Python and
    Varnish read alike), and every GET parameter they read."""

    name: str
    pattern: str
    parameters: tuple[str, ...]

    def matches(self, path: str) -> bool:
        return re.fullmatch(self.pattern, path) is not None


def _files() -> str:
    files = [r"embed\.js", "theme/[0-9a-f]{6}\\.css", r"favicon\.ico"]
    for url, under in ((settings.STATIC_URL, ""), (settings.MEDIA_URL, "(?:logos|heroes)/")):
        if url and url.startswith("/"):
            files.append(f"{re.escape(url.lstrip('/'))}{under}[^?]*")
    return "/(?:{})".format("|".join(files))


PUBLIC_PATHS = (
    PublicPath("The campaign's page and its wall", f"/{_LANGUAGE}(?:campaigns/{SLUG}/)?", _WALL),
    PublicPath(
        "The wall as a picture", rf"/{_LANGUAGE}campaigns/{SLUG}/wall\.(?:svg|png)", _WALL + _LOOKS
    ),
    PublicPath("The map", rf"/{_LANGUAGE}campaigns/{SLUG}/map\.svg", _WALL),
    PublicPath(
        "The letter",
        rf"/{_LANGUAGE}campaigns/{SLUG}/letter(?:/|\.pdf)",
        _spellings(queries.PARAMETERS, letter.QUERY_PARAMETERS)
        + _spellings(letter.PARAMETERS, letter.PARAMETERS),
    ),
    PublicPath(
        # ``ref``: the partner's name for their site, which the snippets carry (a builder's
        # input, unlike the embed's own ``ref``, which it does not read).
        "The embed builder",
        f"/{_LANGUAGE}campaigns/{SLUG}/embed/",
        _WALL + _spellings(looks.PARAMETERS, looks.PARAMETERS) + ("ref",),
    ),
    PublicPath(
        "The feed and the share card", rf"/{_LANGUAGE}campaigns/{SLUG}/(?:feed/|share\.png)", ()
    ),
    PublicPath(
        "An ally's proof page and the verify page",
        rf"/{_LANGUAGE}campaigns/{SLUG}/(?:allies/[0-9a-f]{{1,12}}/|verify/)",
        (),
    ),
    PublicPath("An embed", f"/embed/{SLUG}/", _WALL + _LOOKS),
    PublicPath(
        "An ally's badge",
        rf"/campaigns/{SLUG}/badge/[^/?]+\.svg",
        _spellings(badge.PARAMETERS, badge.PARAMETERS),
    ),
    PublicPath("embed.js, a campaign's colours, the favicon, static files, logos", _files(), ()),
    PublicPath("robots.txt and the sitemaps", r"/(?:robots\.txt|sitemap(?:-[a-z]+)?\.xml)", ("p",)),
    # WordPress adds ``dnt=1``, which the answer does not read (coalition.wall.oembed).
    PublicPath("The oEmbed answer", "/oembed", ("url", "format", "maxwidth", "maxheight")),
    PublicPath(
        "The API's allies",
        "/api/v1/allies/",
        _spellings(queries.PARAMETERS, queries.LISTING) + _API,
    ),
    PublicPath(
        "The API's facets",
        "/api/v1/facets/",
        _spellings(queries.PARAMETERS, queries.SELECTION) + _API,
    ),
    PublicPath(
        "The API's ally and campaigns",
        f"/api/v1/(?:allies/[^/?]+/|campaigns/(?:{SLUG}/)?)",
        _API,
    ),
)


def public_path(path: str) -> PublicPath | None:
    """The public responses ``path`` is one of, or None."""
    return next((page for page in PUBLIC_PATHS if page.matches(path)), None)


def is_tracking(name: str) -> bool:
    return name in TRACKING_NAMES or name.startswith(TRACKING_PREFIXES)


def _name(segment: str) -> str:
    return segment.split("=", 1)[0]


def _varnish_order(first: str, second: str) -> int:
    # std.querysort's comparison: byte by byte (as C's signed char) while both last; one that
    # begins the other is a tie, left in the order given (Python's sort is stable).
    for a, b in zip(first.encode("latin-1"), second.encode("latin-1"), strict=False):
        if a != b:
            return (a - 256 if a > 127 else a) - (b - 256 if b > 127 else b)
    return 0


def cache_query(path: str, query: str) -> str:
    """The query string a cache looks ``path`` up with, and passes on, for a GET with ``query``
    (raw, as in the request line): on a public page only the parameters it reads, anywhere else
    all but the tracking ones; empty ones dropped, the rest sorted as Varnish's
    ``std.querysort`` sorts them, so that ``?sector=x&country=DE`` is ``?country=DE&sector=x``."""
    page = public_path(path)
    segments = [segment for segment in query.split("&") if segment]
    if page is None:
        kept = [segment for segment in segments if not is_tracking(_name(segment))]
    else:
        kept = [segment for segment in segments if _name(segment) in page.parameters]
    return "&".join(sorted(kept, key=functools.cmp_to_key(_varnish_order)))


def carried(query: str) -> str:
    """The tracking parameters of ``query``, in their order: what a redirect passes on, so that
    the page it leads to still knows where the visitor came from."""
    return "&".join(segment for segment in query.split("&") if is_tracking(_name(segment)))


def public_parameters_middleware(
    get_response: Callable[[HttpRequest], HttpResponse],
) -> Callable[[HttpRequest], HttpResponse]:
    """A public page reads its query string as Varnish passes it on (``cache_query``), with or
    without Varnish in front; a redirect from it (the first visit's language) carries the
    tracking parameters on, as the VCL's ``vcl_deliver`` does."""

    def middleware(request: HttpRequest) -> HttpResponse:
        query = request.META.get("QUERY_STRING", "")
        if not query or request.method not in ("GET", "HEAD") or not public_path(request.path):
            return get_response(request)
        request.META["QUERY_STRING"] = cache_query(request.path, query)
        # Read again from the query string, should anything have read it already.
        request.__dict__.pop("GET", None)
        response = get_response(request)
        tracking = carried(query)
        if tracking and 300 <= response.status_code < 400 and response.has_header("Location"):
            location = response["Location"]
            response["Location"] = f"{location}{'&' if '?' in location else '?'}{tracking}"
        return response

    return middleware


# The VCL's block -------------------------------------------------------------------------------

BEGIN = "# BEGIN public parameters"
END = "# END public parameters"


def _any(names: Iterable[str]) -> str:
    return "|".join(re.escape(name) for name in names)


def _tracking() -> str:
    prefixes = [f"{re.escape(prefix)}[^=&]*" for prefix in TRACKING_PREFIXES]
    return "|".join([*prefixes, _any(TRACKING_NAMES)])


def vcl_block() -> str:
    """The VCL of ``cache_query`` and ``carried``: a subroutine that ``vcl_recv`` calls, which
    rewrites ``req.url`` and keeps the tracking parameters in ``X-Coalition-Carried``."""
    lines = [
        BEGIN,
        "# Written by `manage.py vcl_parameters` from coalition/web/public_parameters.py: edit",
        "# the lists there and run it, never this block by hand.",
        "sub coalition_public_parameters {",
        '    if (req.url !~ "\\?") {',
        "        return;",
        "    }",
        "    # The tracking parameters, for a redirect to carry on (vcl_deliver).",
        "    set req.http.X-Coalition-Carried = regsub(regsuball(",
        '        regsub(req.url, "^[^?]*\\?", "&"),',
        f'        "&(?!(?:{_tracking()})(?:[=&]|$))[^&]*", ""), "^&", "");',
        '    if (req.http.X-Coalition-Carried == "") {',
        "        unset req.http.X-Coalition-Carried;",
        "    }",
        "    # Every parameter after an &, to take them out one by one.",
        '    set req.url = regsub(req.url, "\\?", "?&");',
    ]
    keyword = "if"
    for page in PUBLIC_PATHS:
        lines.append(f'    {keyword} (req.url ~ "^{page.pattern}\\?") {{')
        lines.append(f"        # {page.name}.")
        if page.parameters:
            lines.append(
                f'        set req.url = regsuball(req.url, "&(?!(?:{_any(page.parameters)})'
                f'(?:[=&]|$))[^&]*", "");'
            )
        else:
            lines.append('        set req.url = regsub(req.url, "\\?.*$", "");')
        keyword = "} elsif"
    lines += [
        "    } else {",
        "        # Any other page: only the tracking parameters go.",
        f'        set req.url = regsuball(req.url, "&(?=(?:{_tracking()})(?:[=&]|$))[^&]*", "");',
        "    }",
        '    set req.url = std.querysort(regsub(req.url, "\\?&", "?"));',
        '    set req.url = regsub(req.url, "\\?$", "");',
        "}",
        END,
    ]
    return "\n".join(lines) + "\n"


def vcl_with_block(vcl: str) -> str:
    """``vcl`` with its block between ``BEGIN`` and ``END`` replaced by ``vcl_block()``."""
    start = vcl.find(BEGIN)
    end = vcl.find(END, start)
    if start < 0 or end < 0:
        raise ValueError(f"the VCL has no block between “{BEGIN}” and “{END}”")
    return vcl[:start] + vcl_block() + vcl[end + len(END) :].removeprefix("\n")
