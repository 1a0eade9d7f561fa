"""The language of every API answer, its errors too: ``?lang=``, then Accept-Language.

Never the language cookie, which the site's middleware reads: shared caches vary on
Accept-Language only, and a client of the API sends no cookie of this site.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils import translation
from django.utils.cache import patch_vary_headers
from django.utils.translation.trans_real import parse_accept_lang_header

from coalition.web.languages import LANGUAGE_CODES


def accepted_language(request: HttpRequest) -> str:
    """The best of the site's languages for the request's Accept-Language, else the default."""
    for code, _quality in parse_accept_lang_header(request.headers.get("Accept-Language", "")):
        try:
            return translation.get_supported_language_variant(code)
        except LookupError:
            continue
    return settings.LANGUAGE_CODE


def answer_language(request: HttpRequest) -> str:
    """``?lang=`` when it names one of the site's languages, else ``accepted_language``. An
    unknown ``lang`` is the view's 400 (``api.views.request_language``), said in this one."""
    lang = request.GET.get("lang", "").lower()
    return lang if lang in LANGUAGE_CODES else accepted_language(request)


class AnswerInRequestLanguage:
    """For an ``APIView``: the whole answer in ``answer_language``, errors included. DRF
    handles a view's exceptions (a 400, 404, 405 or 429) inside ``dispatch``, and the site's
    middleware would otherwise have picked the language from the cookie."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        language = answer_language(request)
        with translation.override(language):
            response = super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
            # Rendered here, not after the view returns: a template (the docs page) says
            # the language it is in.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
        response.headers.setdefault("Content-Language", language)
        patch_vary_headers(response, ("Accept-Language",))
        return response
