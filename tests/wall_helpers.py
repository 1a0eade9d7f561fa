"""Helpers shared by the wall, embed, image and browser tests: allies made in bulk, logos."""

from __future__ import annotations

import io
import itertools
from datetime import timedelta

from django.utils import timezone

from coalition.images import logos
from coalition.models import Campaign, Endorsement, Logo, Organization, Sector
from tests.conftest import image_bytes

APPROVED = Endorsement.Status.APPROVED
HOSTILE_NAMES = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "]]> & <![CDATA[ x",
    'Tom & Jerry\'s "Trust"',
    "\u202eevil\u202c RTL override",
]
_numbers = itertools.count(1)


def make_logo(color: tuple[int, int, int] = (200, 30, 60)) -> Logo:
    return logos.logo_from_upload(io.BytesIO(image_bytes(color=color)))


def sector_tree() -> dict[str, Sector]:
    """A parent with two children, and one more top-level sector."""
    ngo = Sector.objects.create(
        slug="ngo", name="NGO", order=1, transparency_register_category="III"
    )
    hotline = Sector.objects.create(
        slug="hotline", name="Hotline", order=2, parent=ngo, transparency_register_category="III"
    )
    helpline = Sector.objects.create(
        slug="helpline", name="Helpline", order=3, parent=ngo, transparency_register_category="III"
    )
    tech = Sector.objects.create(
        slug="tech", name="Technology", order=4, transparency_register_category="II"
    )
    return {"ngo": ngo, "hotline": hotline, "helpline": helpline, "tech": tech}


def bulk_allies(
    campaign: Campaign,
    sector: Sector,
    count: int,
    *,
    country: str = "DE",
    logo: Logo | None = None,
    prefix: str = "Bulk Org",
    status: str = APPROVED,
    verified: bool = False,
) -> list[Endorsement]:
    """``count`` allies in two queries: ``Organization.save`` is skipped, so the website and
    domain are set here the way it would set them. ``verified``: each contact confirmed an
    address at its domain (the verified mark's "email")."""
    now = timezone.now()
    organizations = []
    for _ in range(count):
        n = next(_numbers)
        organizations.append(
            Organization(
                name=f"{prefix} {n:05d}",
                website=f"https://bulk{n}.example.org/",
                domain=f"bulk{n}.example.org",
                country=country,
                sector=sector,
                logo=logo,
            )
        )
    organizations = Organization.objects.bulk_create(organizations)
    endorsements = [
        Endorsement(
            organization=organization,
            campaign=campaign,
            status=status,
            contact_name=f"Private Person {i}",
            contact_email=f"private{i}@bulk.example.org",
            domain_verified=verified,
            confirmed_at=now if verified else None,
            consent_authority=True,
            consent_publish=True,
            approved_at=now - timedelta(minutes=i) if status == APPROVED else None,
        )
        for i, organization in enumerate(organizations)
    ]
    return Endorsement.objects.bulk_create(endorsements)
