"""Helpers shared by the security tests."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from coalition.models import Sector
from tests.conftest import image_bytes


def application_data(sector: Sector, /, **overrides: object) -> dict[str, object]:
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
