"""A coalition anyone can verify: each campaign's public log (``log.json``), its signed list of
signatories (``signatories.json`` and ``signatories.json.minisig``) and the registry's public
key (``/.well-known/coalition-registry.pub``). ``docs/verification.md`` tells a stranger how to
check them.

The log and the list go through ``renderings.cached_public_response`` under their campaign's
scope and carry its cache key, so a change purges the list and its signature together. They
are rebuilt from the database (``coalition.ledger.selectors``) into the same bytes for the same
state, wherever and whenever they are made, so a list and a signature fetched apart match
unless a change came between the two requests.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from coalition.ledger import selectors as ledger
from coalition.ledger import signing
from coalition.models import Campaign
from coalition.publishing import cache_keys, freshness, renderings
from coalition.wall import selectors
from coalition.web import links

logger = logging.getLogger(__name__)
JSON = "application/json; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
# Seq numbers are positive 32-bit integers (PositiveIntegerField).
MAX_SEQ = 2**31 - 1


def _json(data: Any, status: int = 200) -> HttpResponse:
    body = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return HttpResponse(body.encode(), content_type=JSON, status=status)


def _error(status: int, detail: str, errors: list[dict[str, str]] | None = None) -> HttpResponse:
    # The API's shape (api.errors): ``detail`` and ``errors``; never stored by any cache.
    response = _json({"detail": detail, "errors": errors or []}, status=status)
    response["Cache-Control"] = "no-store"
    return response


def _not_found() -> HttpResponse:
    return _error(404, _("No public campaign has this address."))


def _no_key(error: signing.SigningKeyMissing) -> HttpResponse:
    logger.error("%s", error)
    response = _error(
        503,
        _(
            "This site cannot sign its list of signatories yet: its operator has not set up a "
            "signing key. Please try again later."
        ),
    )
    response["Retry-After"] = "3600"
    return response


def _shared(response: HttpResponse) -> HttpResponse:
    # Public data meant to be checked by anyone, from anywhere (a browser page on another
    # site included): no credentials are involved.
    response["Access-Control-Allow-Origin"] = "*"
    return response


def _campaign_response(
    request: HttpRequest, slug: str, *, namespace: str, variant: str, build: Callable
) -> HttpResponse:
    def built() -> HttpResponse:
        try:
            campaign = selectors.campaign_get(slug=slug)
        except Campaign.DoesNotExist:
            return _not_found()
        try:
            response = build(campaign)
        except signing.SigningKeyMissing as error:
            return _no_key(error)
        return cache_keys.tag_response(response, cache_keys.keys_for_page(campaign))

    return _shared(
        renderings.cached_public_response(
            request,
            namespace=namespace,
            variant=variant,
            build=built,
            scope=freshness.campaign_scope(slug),
        )
    )


def _after(request: HttpRequest) -> int | None:
    raw = request.GET.get("after", "0").strip()
    if not raw.isascii() or not raw.isdigit() or len(raw) > 10 or int(raw) > MAX_SEQ:
        return None
    return int(raw)


@require_safe
def campaign_log(request: HttpRequest, slug: str) -> HttpResponse:
    """``/campaigns/<slug>/log.json``: the entries after ``?after=<seq>`` (0: from the first),
    ascending, ``ledger.LOG_PAGE_SIZE`` at most, with the address of the next page."""
    after = _after(request)
    if after is None:
        return _shared(
            _error(
                400,
                _("A parameter is not valid."),
                [
                    {
                        "parameter": "after",
                        "message": _("Not a whole number from 0 up."),
                        "accepts": _(
                            "The seq of the last entry you have, 0 (or nothing) for the first page."
                        ),
                    }
                ],
            )
        )

    def build(campaign: Campaign) -> HttpResponse:
        entries = [ledger.entry_data(entry) for entry in ledger.log_entries(campaign, after)]
        path = reverse("campaign-log", kwargs={"slug": campaign.slug})
        more = len(entries) == ledger.LOG_PAGE_SIZE
        next_url = (
            links.absolute(f"{path}?{urlencode({'after': entries[-1]['seq']})}") if more else None
        )
        return _json(
            {
                "campaign": campaign.slug,
                "after": after,
                "page_size": ledger.LOG_PAGE_SIZE,
                "entries": entries,
                "next": next_url,
            }
        )

    return _campaign_response(
        request, slug, namespace="log", variant=f"{request.path}|{after}", build=build
    )


@require_safe
def campaign_signatories(request: HttpRequest, slug: str) -> HttpResponse:
    """``/campaigns/<slug>/signatories.json``: the signed list, as signed."""

    def build(campaign: Campaign) -> HttpResponse:
        return HttpResponse(ledger.signatories_signed(campaign).document, content_type=JSON)

    return _campaign_response(
        request, slug, namespace="signatories", variant=request.path, build=build
    )


@require_safe
def campaign_signatories_signature(request: HttpRequest, slug: str) -> HttpResponse:
    """``/campaigns/<slug>/signatories.json.minisig``: its minisign signature."""

    def build(campaign: Campaign) -> HttpResponse:
        signature = ledger.signatories_signed(campaign).signature
        return HttpResponse(signature.encode(), content_type=TEXT)

    return _campaign_response(
        request, slug, namespace="signatories-sig", variant=request.path, build=build
    )


@require_safe
def signing_key(request: HttpRequest) -> HttpResponse:
    """``/.well-known/coalition-registry.pub``: the current public key as a minisign public key
    file, then any retired ones (``SIGNING_OLD_PUBLIC_KEYS``)."""
    try:
        text = signing.well_known_text()
    except signing.SigningKeyMissing as error:
        return _shared(_no_key(error))
    response = HttpResponse(text.encode(), content_type=TEXT)
    # It changes only with a rotation: an hour in any cache.
    response["Cache-Control"] = "public, max-age=3600"
    cache_keys.tag_response(response, [cache_keys.SITE_KEY])
    return _shared(response)
