"""Which language a request is served in.

Public pages carry it in their URL (``/fr/…``, ``/de/…``, English without a prefix), so every
link is shareable as it is. On a first visit (no language cookie yet) to an English URL, a
browser that prefers French or German is sent to that version. Everything outside the prefixed
pages (the admin, the API, embeds) follows the cookie, then ``Accept-Language``; the API and the
embeds also take an explicit ``lang``.
"""

from __future__ import annotations

from functools import lru_cache

import pyuca
from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.middleware.locale import LocaleMiddleware
from django.urls import Resolver404, resolve, reverse, translate_url
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme, urlencode

from coalition.web import links

# The site's languages, in settings order: the one list every module reads.
LANGUAGE_CODES = tuple(code for code, _name in settings.LANGUAGES)


# Every request asks, and resolving a path costs about a tenth of a cached API answer: the
# answer depends on the path and the URLconf alone, so the common paths are remembered (a
# bounded number, each short, whatever paths clients make up).
_REMEMBERED_PATH_LENGTH = 200


def is_prefixed_page(path: str) -> bool:
    """True for pages that exist under a language prefix (``/de`` + path resolves)."""
    if len(path) <= _REMEMBERED_PATH_LENGTH:
        return _is_prefixed_page_of(path, settings.ROOT_URLCONF)
    return _is_prefixed_page_of.__wrapped__(path, settings.ROOT_URLCONF)


@lru_cache(maxsize=1024)
def _is_prefixed_page_of(path: str, urlconf: str) -> bool:
    other = next(code for code in LANGUAGE_CODES if code != settings.LANGUAGE_CODE)
    # The prefix a URLconf accepts is the active language's.
    with translation.override(other):
        try:
            resolve(f"/{other}{path}", urlconf)
        except Resolver404:
            return False
    return True


def translated_path(url: str, language: str) -> str:
    """``url`` (a path on this site, in whatever language) in ``language``."""
    current = translation.get_language_from_path(url.split("?")[0]) or settings.LANGUAGE_CODE
    with translation.override(current):
        return translate_url(url, language)


def language_from_param(value: str | None) -> str | None:
    """A supported language from a ``lang`` parameter (``de``, ``de-AT``), or None."""
    if not value:
        return None
    code = value.strip().lower().split("-")[0]
    return code if code in LANGUAGE_CODES else None


class LanguageMiddleware(LocaleMiddleware):
    def process_request(self, request: HttpRequest) -> HttpResponse | None:
        from_path = translation.get_language_from_path(request.path_info)
        if from_path:
            language = from_path
        elif is_prefixed_page(request.path_info):
            language = settings.LANGUAGE_CODE
            request.unprefixed_page = True
            preferred = translation.get_language_from_request(request, check_path=False)
            first_visit = settings.LANGUAGE_COOKIE_NAME not in request.COOKIES
            if first_visit and request.method in ("GET", "HEAD") and preferred != language:
                target = translated_path(request.get_full_path(), preferred)
                if target != request.get_full_path():
                    # The redirect itself is the English URL's answer (and its
                    # Content-Language), not whatever this thread served last.
                    translation.activate(language)
                    response = HttpResponseRedirect(target)
                    patch_vary_headers(response, ("Accept-Language", "Cookie"))
                    return response
        else:
            language = translation.get_language_from_request(request, check_path=False)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()
        return None

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        if getattr(request, "unprefixed_page", False):
            # The same URL answers with a redirect to a French or German reader on a first
            # visit, so shared caches must keep the answers apart.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        response.headers.setdefault("Content-Language", translation.get_language())
        return response


def switch_language(request: HttpRequest, code: str) -> HttpResponse:
    """The language switcher: remember the choice, then show the same page in that language."""
    language = language_from_param(code) or settings.LANGUAGE_CODE
    next_url = request.GET.get("next", "/")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = HttpResponseRedirect(translated_path(next_url, language))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        language,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
    )
    response["Cache-Control"] = "no-store"
    return response


def language_links(request: HttpRequest) -> dict[str, object]:
    """Context for the language switcher and the hreflang alternates of every page."""
    if not hasattr(request, "path_info") or not (
        translation.get_language_from_path(request.path_info)
        or getattr(request, "unprefixed_page", False)
    ):
        return {"language_links": [], "language_default_url": ""}
    current = translation.get_language()
    full_path = request.get_full_path()
    query = urlencode({"next": full_path})
    language_links = []
    for code, _name in settings.LANGUAGES:
        language_links.append(
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                # Absolute, as search engines require of hreflang alternates.
                "page_url": links.absolute(translated_path(full_path, code)),
                "switch_url": f"{reverse('switch-language', args=[code])}?{query}",
                "current": code == current,
            }
        )
    # The unprefixed URL is the one that picks a language for a first-time visitor.
    default_url = links.absolute(translated_path(full_path, settings.LANGUAGE_CODE))
    return {"language_links": language_links, "language_default_url": default_url}


_collator = pyuca.Collator()


def collation_key(text: str) -> tuple[int, ...]:
    """Sort key following the Unicode Collation Algorithm: "Émirats" sorts among the E's and
    "Österreich" among the O's, as readers of French and German expect."""
    return _collator.sort_key(str(text))
