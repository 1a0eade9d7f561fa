"""An ally's proof page, ``/campaigns/<slug>/allies/<public_id>/``: who it is, when it joined
(and left), and how its participation was established (``coalition.proofs.public``).

Public and cached like the wall (``renderings.cached_public_response``, the campaign's scope),
named after its campaign and its ally, so that an approval, a withdrawal, a removal, an approved
edit or a check of its domain purges it (``coalition.publishing.freshness``). An id that names no
ally of this campaign, or an application that was never approved, is the site's 404: one cannot
be told from the other.
"""

from __future__ import annotations

from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_safe
from django_countries import countries

from coalition.images.logos import file_url, fit_logo
from coalition.proofs import public
from coalition.publishing import cache_keys, freshness, renderings
from public_site.views.shortcuts import campaign_or_404
from public_site.views.wall import variant


def ledger_url(name: str, slug: str) -> str:
    """The address of one of the campaign's signed files (``coalition.ledger``), or "" where
    this site does not serve it."""
    try:
        return reverse(name, args=[slug])
    except NoReverseMatch:
        return ""


@require_safe
def ally_proof(request: HttpRequest, slug: str, public_id: str) -> HttpResponse:
    """The proof page of one ally of the campaign ``slug``."""

    def build() -> HttpResponse:
        campaign = campaign_or_404(slug)
        proof = public.ally_proof(campaign_id=campaign.pk, public_id=public_id)
        if proof is None:
            raise Http404
        organization = proof.endorsement.organization
        logo = proof.logo
        context = {
            "campaign": campaign,
            "proof": proof,
            "organization": organization,
            "country_name": str(countries.name(organization.country.code)) or "",
            "logo": logo,
            "logo_size": fit_logo(logo.width, logo.height) if logo else None,
            "logo_png": file_url(logo.png) if logo else "",
            "logo_srcset": f"{file_url(logo.png)} 1x, {file_url(logo.png_2x)} 2x" if logo else "",
            "logo_webp": f"{file_url(logo.webp)} 1x, {file_url(logo.webp_2x)} 2x" if logo else "",
            "campaign_url": reverse("campaign-detail", args=[campaign.slug]),
            "log_url": ledger_url("campaign-log", campaign.slug),
            "signatories_url": ledger_url("campaign-signatories", campaign.slug),
            "verify_url": reverse("campaign-verify", args=[campaign.slug]),
        }
        response = render(request, "coalition/ally_proof.html", context)
        cache_keys.tag_response(
            response, cache_keys.keys_for_page(campaign, public_ids=[proof.endorsement.public_id])
        )
        return response

    return renderings.cached_public_response(
        request,
        namespace="ally-proof",
        variant=variant(request),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )
