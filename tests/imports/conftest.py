"""What the import tests share: a CSV written from dicts, a ZIP of logos, an owner."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import Callable

import pytest
from django.contrib.auth.models import User

from coalition.campaigns.models import CampaignMember, TeamRole
from tests.factories import image_bytes

HEADER = [
    "name",
    "website",
    "country",
    "sector",
    "contact_email",
    "contact_name",
    "language",
    "statement",
    "logo",
]


def ally(number: int, **cells: str) -> dict[str, str]:
    """One valid row, numbered so that each is another organization."""
    return {
        "name": f"Imported Org {number}",
        "website": f"https://imported{number}.org",
        "country": "DE",
        "sector": "child-protection-ngo",
        "contact_email": f"office@imported{number}.org",
        "contact_name": f"Contact {number}",
        "language": "en",
        "statement": "We stand with this campaign.",
        "logo": f"logo{number}.png",
        **cells,
    }


def csv_bytes(rows: list[dict[str, str]], *, delimiter: str = ",", bom: bool = False) -> bytes:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=HEADER, delimiter=delimiter, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return (("\ufeff" if bom else "") + buffer.getvalue()).encode()


def logo_png(number: int) -> bytes:
    """A logo of its own (each number another colour, so another digest)."""
    return image_bytes(color=(number * 37 % 256, number * 91 % 256, 120))


def logos_zip(names: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in names.items():
            archive.writestr(name, data)
    return buffer.getvalue()


@pytest.fixture
def logos_for() -> Callable[..., bytes]:
    def make(*numbers: int) -> bytes:
        return logos_zip({f"logo{n}.png": logo_png(n) for n in numbers})

    return make


@pytest.fixture
def owner(campaign) -> User:
    user = User.objects.create_user(
        "owner", "owner@registry.example", "owner horse battery", is_staff=True
    )
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client
