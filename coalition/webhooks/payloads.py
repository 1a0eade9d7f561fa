"""What a webhook says: the ``data`` of each event, built when the change is made.

An ally that is, or was, on the wall is shown exactly as the public API shows it
(``/api/v1/allies/<id>/``: ``api.serializers.AllySerializer``, whose keys and values a test
compares with these), in the site's default language, with its campaign's slug and its status.
An application that never reached the wall (confirmed, rejected, withdrawn before approval) is
not public: the payload then names only its id, campaign and status. The contact's details
(name, role, email, language) and the source of the application (``ref``, UTM) are added only
for an endpoint that includes contact data; a rejection's reason and the reviewers' notes are
never sent.
"""

from __future__ import annotations

from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django_countries import countries

from coalition.images import logos
from coalition.models import Campaign, Endorsement, Logo, Sector
from coalition.proofs import public as public_proofs
from coalition.web import links


def utc_iso(moment: datetime | None) -> str | None:
    """``moment`` in UTC as ISO 8601 with ``Z``, as the API writes its times."""
    if moment is None:
        return None
    text = moment.astimezone(dt_timezone.utc).isoformat()
    return text[:-6] + "Z" if text.endswith("+00:00") else text


def _absolute(url: str) -> str:
    # Storage URLs are often paths, or protocol-relative on a CDN.
    if url.startswith("//"):
        return f"https:{url}"
    return links.absolute(url)


def _country(code: str) -> dict[str, str]:
    return {"code": code, "name": str(countries.name(code))}


def _sector(sector: Sector) -> dict[str, Any]:
    return {
        "slug": sector.slug,
        "name": sector.name,
        "parent": sector.parent.slug if sector.parent_id else None,
    }


def _logo(logo: Logo | None) -> dict[str, Any] | None:
    if logo is None:
        return None
    files = {
        name: _absolute(logos.file_url(getattr(logo, name).name))
        for name in ("png", "webp", "png_2x", "webp_2x")
    }
    return {**files, "width": logo.width, "height": logo.height}


def ally_data(endorsement: Endorsement) -> dict[str, Any]:
    """The ally as the public API shows it, in the active language."""
    organization = endorsement.organization
    verification = endorsement.verification
    return {
        "id": endorsement.public_id,
        "name": organization.name,
        "website": organization.website,
        "country": _country(organization.country.code),
        "sector": _sector(organization.sector),
        "logo": _logo(organization.logo),
        "statement": organization.statement,
        "verified": verification is not None,
        "verification": verification,
        "approved_at": utc_iso(endorsement.approved_at),
        # The ally's proof page, as the API names it (``coalition.proofs.public``).
        "proof_url": links.absolute(
            public_proofs.proof_paths(endorsement.campaign.slug)(endorsement.public_id)
        ),
    }


def was_public(endorsement: Endorsement) -> bool:
    """Whether the entry is or was on the wall: approved now, or approved before it was
    withdrawn or removed (``approved_at`` stays)."""
    return endorsement.approved_at is not None


def endorsement_data(endorsement: Endorsement) -> dict[str, Any]:
    """The public part of an endorsement event's ``data``."""
    with translation.override(settings.LANGUAGE_CODE):
        # Never on the wall: only its id, as for anyone who never saw it.
        data = ally_data(endorsement) if was_public(endorsement) else {"id": endorsement.public_id}
    data["campaign"] = endorsement.campaign.slug
    data["status"] = endorsement.status
    return data


def contact_data(endorsement: Endorsement) -> dict[str, Any]:
    """What an endpoint that includes contact data gets on top of ``endorsement_data``."""
    organization = endorsement.organization
    with translation.override(settings.LANGUAGE_CODE):
        extra: dict[str, Any] = {}
        if not was_public(endorsement):
            # Who applied, which the public never saw.
            extra = {
                "name": organization.name,
                "website": organization.website,
                "country": _country(organization.country.code),
            }
    return {
        **extra,
        "contact": {
            "name": endorsement.contact_name,
            "role": endorsement.contact_role,
            "email": endorsement.contact_email,
            "language": endorsement.preferred_language,
        },
        "source": dict(endorsement.source or {}),
    }


def campaign_data(campaign: Campaign) -> dict[str, Any]:
    """A campaign's public details, as its page and the API show them."""
    with translation.override(settings.LANGUAGE_CODE):
        organizer = None
        if campaign.organizer_name:
            organizer = {"name": campaign.organizer_name, "website": campaign.organizer_website}
        return {
            "slug": campaign.slug,
            "title": campaign.title,
            "lead": campaign.lead,
            "statement": campaign.statement,
            "url": links.absolute(reverse("campaign-detail", args=[campaign.slug])),
            "organizer": organizer,
            "accepts_applications": campaign.accepts_applications and not campaign.is_closed(),
            "goal": campaign.goal,
            "closes_at": utc_iso(campaign.closes_at),
            "time_zone": campaign.time_zone,
        }
