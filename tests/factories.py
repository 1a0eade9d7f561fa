"""The one place test data is made: an application form as a browser posts it, and
organizations with their endorsements (``tests/conftest.py``'s ``make_endorsement`` builds on
``endorsement``). Tests override only what they are about."""

from __future__ import annotations

import io
from collections.abc import Callable
from urllib.parse import urlsplit

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from coalition.models import (
    Campaign,
    Endorsement,
    Organization,
    Sector,
    email_domain_matches,
)


def application_form(sector: Sector, /, **overrides: object) -> dict[str, object]:
    """A complete, valid application form as the browser posts it; ``None`` leaves a field out."""
    data: dict[str, object] = {
        "name": "Harbour Light Children's Trust",
        "website": "harbourlight.example.org",
        "country": "IE",
        "sector": str(sector.pk),
        "registry_id": "",
        "statement": "",
        "contact_name": "Aoife Byrne",
        "contact_role": "Director",
        "contact_email": "aoife@harbourlight.example.org",
        "preferred_language": "en",
        "consent_authority": "on",
        "consent_publish": "on",
        "homepage": "",
        "logo": SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png"),
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def image_bytes(
    size: tuple[int, int] = (400, 200),
    fmt: str = "PNG",
    color: tuple[int, ...] = (200, 30, 60),
    mode: str = "RGB",
    **save_kwargs,
) -> bytes:
    """An image made in memory, with a shape in it so that it is not one flat colour."""
    image = Image.new(mode, size, (255, 255, 255) if mode == "RGB" else 0)
    inner = Image.new(mode, (size[0] // 2, size[1] // 2), color if mode == "RGB" else 128)
    image.paste(inner, (size[0] // 4, size[1] // 4))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


def endorsement(
    *,
    number: int,
    campaign: Campaign,
    sector: Sector,
    status: str = Endorsement.Status.PENDING,
    name: str | None = None,
    website: str | None = None,
    country: str = "DE",
    contact_email: str | None = None,
) -> Endorsement:
    """An organization and its endorsement, stored as they are (no service, no mail): the
    ``number`` makes its name, website and contact unique unless given."""
    organization = Organization.objects.create(
        name=name or f"Example Org {number}",
        website=website or f"https://org{number}.example.org",
        country=country,
        sector=sector,
    )
    return Endorsement.objects.create(
        organization=organization,
        campaign=campaign,
        status=status,
        approved_at=timezone.now() if status == Endorsement.Status.APPROVED else None,
        contact_name=f"Contact {number}",
        contact_role="Director",
        contact_email=contact_email or f"contact{number}@org{number}.example.org",
        consent_authority=True,
        consent_publish=True,
    )


def on_own_domains(
    make: Callable[..., Endorsement], stem: str, *, contact_at_website: bool = False
) -> Callable[..., Endorsement]:
    """``make`` (conftest's ``make_endorsement``) with each organization on a registrable domain
    of its own (``<stem>-<n>.org``, where conftest's share example.org, which the evidence flags
    as a shared domain), proven by the contact's address there, as applying records it. With
    ``contact_at_website``, a website given without a contact puts the contact's address there
    too, so it proves that website's domain."""
    counter = iter(range(1, 100_000))

    def made(**kwargs: object) -> Endorsement:
        own = f"{stem}-{next(counter)}.org"
        kwargs.setdefault("website", f"https://{own}")
        at = urlsplit(str(kwargs["website"])).hostname if contact_at_website else own
        kwargs.setdefault("contact_email", f"contact@{at}")
        endorsement = make(**kwargs)
        endorsement.domain_verified = email_domain_matches(
            endorsement.contact_email, endorsement.organization.domain
        )
        endorsement.save(update_fields=["domain_verified"])
        return endorsement

    return made
