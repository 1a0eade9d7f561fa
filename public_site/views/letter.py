"""The letter to deliver (``coalition.campaigns.letter``): ``/campaigns/<slug>/letter/``, a page to
read
and print, and ``/campaigns/<slug>/letter.pdf``.

Public and cached like the wall: each goes through ``renderings.cached_public_response`` under a
variant named from the request alone (the path, the filters, the looks, the language, the
day, which the cover shows, and the signing key's id, which its end prints), and whatever needs
the database is read in its ``build``. Malformed parameters get their message and a 400, never
stored.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from coalition.campaigns import letter
from coalition.ledger import signing
from coalition.models import Campaign
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import selectors
from public_site.views.shortcuts import campaign_or_404
from public_site.views.wall import variant

logger = logging.getLogger(__name__)


def _letter(request: HttpRequest, slug: str, *, pdf: bool) -> HttpResponse:
    asked = letter.read_parameters(request.GET, slug)
    language = asked.looks.lang or get_language()
    today = timezone.localdate()

    def build() -> HttpResponse:
        campaign = campaign_or_404(slug)
        sectors = selectors.sectors_all()
        resolved = letter.read_parameters(request.GET, campaign.slug, sectors=sectors)
        if resolved.problems:
            return _bad_parameters(request, campaign, resolved, pdf=pdf)
        with translation.override(language):
            allies = list(selectors.ally_list(resolved.query))
            context = letter.letter_context(
                campaign=campaign,
                asked=resolved,
                allies=allies,
                sectors=sectors,
                today=today,
                language=language,
                pdf=pdf,
            )
            html = render_to_string("coalition/letter.html", context, request=request)
            if pdf:
                try:
                    content = letter.render_pdf(html, campaign=campaign)
                except letter.PDFUnavailable as error:
                    logger.error("The letter's PDF cannot be made here: %s", error)
                    return _pdf_unavailable()
                response = HttpResponse(content, content_type="application/pdf")
                response["Content-Disposition"] = f'inline; filename="{campaign.slug}-letter.pdf"'
            else:
                response = HttpResponse(html)
            response["Content-Language"] = language
        # A letter of many allies is named by its campaign alone (see cache_keys): an ally's
        # change purges its campaign too.
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign, allies))
        return response

    if asked.problems:
        return build()
    return renderings.cached_public_response(
        request,
        namespace="letter-pdf" if pdf else "letter",
        # The letter prints the signing key: a new key (a rotation) is a new letter.
        variant=variant(
            request,
            asked.query.cache_key(),
            asked.looks.cache_key(),
            language,
            str(today),
            _signing_key_id(),
        ),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )


def _signing_key_id() -> str:
    """The signing key's id, read from its file (no database), or "" without one."""
    try:
        return signing.key_id()
    except signing.SigningKeyMissing:
        return ""


def _bad_parameters(
    request: HttpRequest, campaign: Campaign, asked: letter.LetterParameters, *, pdf: bool
) -> HttpResponse:
    if pdf:
        return HttpResponse(
            "\n".join(asked.problems), status=400, content_type="text/plain; charset=utf-8"
        )
    return render(
        request,
        "coalition/letter_problems.html",
        {"campaign": campaign, "problems": asked.problems},
        status=400,
    )


def _pdf_unavailable() -> HttpResponse:
    response = HttpResponse(
        _(
            "The PDF of the letter cannot be made on this server right now. The letter’s page "
            "can be printed instead."
        ),
        status=503,
        content_type="text/plain; charset=utf-8",
    )
    response["Retry-After"] = "3600"
    return response


@require_safe
def letter_page(request: HttpRequest, slug: str) -> HttpResponse:
    """The letter as a page to read and print."""
    return _letter(request, slug, pdf=False)


@require_safe
def letter_pdf(request: HttpRequest, slug: str) -> HttpResponse:
    """The letter as a PDF, laid out from the same HTML and CSS."""
    return _letter(request, slug, pdf=True)
