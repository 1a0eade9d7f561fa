"""What search engines read first: ``/robots.txt`` (the private pages kept out, the sitemap named)
and ``/sitemap.xml``, an index of the sections of ``coalition.campaigns.sitemaps``
(``/sitemap-campaigns.xml``, ``/sitemap-allies.xml``, long ones in pages: ``?p=2``).

Both are public responses like the pages: cached and revalidated (``renderings``), tagged with
``campaigns`` so that any change of a campaign or an ally purges them.
"""

from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from coalition.campaigns import sitemaps
from coalition.publishing import cache_keys, renderings
from coalition.web import links
from coalition.web.languages import LANGUAGE_CODES

XML = "application/xml; charset=utf-8"
# Pages whose address carries a private token, or that are for staff: never crawled (each also
# says noindex, for a link that leaks anyway). Under every language's prefix too.
PRIVATE_PREFIXES = ("confirm/", "not-us/", "manage/", "resend/", "unsubscribe/", "share/")
STAFF_PREFIXES = ("admin/", "review/", "language/")


def _robots() -> str:
    prefixes = [""] + [f"{code}/" for code in LANGUAGE_CODES if code != settings.LANGUAGE_CODE]
    lines = ["User-agent: *"]
    lines += [f"Disallow: /{path}" for path in STAFF_PREFIXES]
    lines += [f"Disallow: /{prefix}{path}" for prefix in prefixes for path in PRIVATE_PREFIXES]
    lines += ["", f"Sitemap: {links.absolute(reverse('sitemap'))}", ""]
    return "\n".join(lines)


@require_safe
def robots_txt(request: HttpRequest) -> HttpResponse:
    def build() -> HttpResponse:
        return HttpResponse(_robots(), content_type="text/plain; charset=utf-8")

    return renderings.cached_public_response(
        request, namespace="robots", variant="robots", build=build
    )


@require_safe
def sitemap_index(request: HttpRequest) -> HttpResponse:
    def build() -> HttpResponse:
        locations = []
        for section, sitemap_class in sitemaps.SECTIONS.items():
            address = links.absolute(reverse("sitemap-section", args=[section]))
            pages = sitemap_class().paginator.num_pages
            locations += [address] + [f"{address}?p={page}" for page in range(2, pages + 1)]
        body = render_to_string("coalition/sitemap_index.xml", {"locations": locations})
        return HttpResponse(body, content_type=XML)

    return renderings.cached_public_response(
        request,
        namespace="sitemap",
        variant="index",
        build=build,
        keys=(cache_keys.CAMPAIGNS_KEY,),
    )


def _page_number(request: HttpRequest) -> int:
    given = request.GET.get("p", "1")
    if not given.isascii() or not given.isdigit() or not 1 <= int(given) <= 100_000:
        raise Http404(_("No such page of the sitemap."))
    return int(given)


@require_safe
def sitemap_section(request: HttpRequest, section: str) -> HttpResponse:
    sitemap_class = sitemaps.SECTIONS.get(section)
    if sitemap_class is None:
        raise Http404(_("No such page of the sitemap."))
    page = _page_number(request)

    def build() -> HttpResponse:
        sitemap = sitemap_class()
        # Page 1 of an empty section is an empty list, as Django's own view answers.
        if page > max(sitemap.paginator.num_pages, 1):
            raise Http404(_("No such page of the sitemap."))
        site, protocol = sitemaps.site_and_protocol()
        urls = sitemap.get_urls(page=page, site=site, protocol=protocol)
        body = render_to_string("coalition/sitemap.xml", {"urlset": urls})
        return HttpResponse(body, content_type=XML)

    return renderings.cached_public_response(
        request,
        namespace="sitemap",
        variant=f"{section}|{page}",
        build=build,
        keys=(cache_keys.CAMPAIGNS_KEY,),
    )
