"""The share card, ``/campaigns/<slug>/share.png``: what social sites show of a link (og:image)."""

from __future__ import annotations

import io

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from PIL import Image

from coalition import services
from coalition.campaigns import share_card
from coalition.models import Campaign, Endorsement
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, make_logo, sector_tree

CARD = "/campaigns/keep-detection/share.png"


@pytest.fixture
def sectors(db):
    return sector_tree()


def opened(response) -> Image.Image:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    return image


def test_the_card_is_a_1200_by_630_png_in_the_accent_colour(client, campaign, sectors):
    Campaign.objects.filter(pk=campaign.pk).update(accent_color="#1d4ed8")
    bulk_allies(campaign, sectors["tech"], 3, logo=make_logo())

    image = opened(client.get(CARD))

    assert image.size == (1200, 630)
    assert image.mode == "RGB"
    assert image.getpixel((5, 5)) == (0x1D, 0x4E, 0xD8)
    # The logos' white tiles are drawn on it.
    assert (255, 255, 255) in {image.getpixel((x, 560)) for x in range(60, 1140, 10)}


def test_the_card_carries_only_its_title_as_metadata(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 2)

    image = opened(client.get(CARD))

    assert set(image.info) <= {"Title"}
    assert image.info["Title"] == "Keep detection legal: 2 organizations in 1 country"
    assert not image.getexif()


# (A NUL byte cannot be stored in PostgreSQL at all; ``plain`` is tested on one below.)
@pytest.mark.parametrize("hostile", [*HOSTILE_NAMES, "Bell\x07byte", "\u200b\ufeffInvisible"])
def test_hostile_names_never_break_the_card(client, campaign, sectors, hostile):
    Campaign.objects.filter(pk=campaign.pk).update(title_en=hostile, organizer_name_en=hostile)
    bulk_allies(campaign, sectors["tech"], 7, prefix=hostile)

    image = opened(client.get(CARD))

    assert image.size == (1200, 630)
    assert not any(ord(char) < 32 for char in image.info["Title"])
    assert "\u202e" not in image.info["Title"]


def test_control_and_formatting_characters_are_dropped_before_drawing():
    assert share_card.plain("A\u202eB\x00C\u200bD\n\tE") == "ABCD E"


def test_a_long_title_is_cut_with_an_ellipsis(client, campaign):
    # As long as a title can be (200 characters), far more than the card has room for.
    Campaign.objects.filter(pk=campaign.pk).update(title_en=("Detection " * 20)[:200])

    assert opened(client.get(CARD)).size == (1200, 630)


def test_the_card_is_cached_and_follows_every_approval(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 1)
    first = client.get(CARD)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(CARD)
        not_modified = client.get(CARD, HTTP_IF_NONE_MATCH=first["ETag"])

    assert len(queries) == 0
    assert again.content == first.content
    assert not_modified.status_code == 304
    assert first["xkey"].split()[:2] == ["site", f"campaign-{campaign.pk}"]
    assert first["Access-Control-Allow-Origin"] == "*"

    bulk_allies(campaign, sectors["tech"], 1)
    services.public_version_bump()
    after = opened(client.get(CARD))

    assert after.info["Title"].endswith("2 organizations in 1 country")


def test_the_card_is_drawn_in_the_pages_language(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 2)

    response = client.get(f"/de{CARD}")

    assert response["Content-Language"] == "de"
    assert opened(response).size == (1200, 630)


def test_only_approved_allies_count_on_the_card(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 1)
    bulk_allies(campaign, sectors["tech"], 5, status=Endorsement.Status.PENDING)

    assert opened(client.get(CARD)).info["Title"].endswith("1 organization in 1 country")


def test_an_unknown_campaign_has_no_card(client, campaign):
    assert client.get("/campaigns/nope/share.png").status_code == 404


def test_a_missing_logo_file_costs_the_logo_not_the_card(client, campaign, sectors, settings):
    logo = make_logo()
    bulk_allies(campaign, sectors["tech"], 1, logo=logo)
    (settings.MEDIA_ROOT / logo.png_2x.name).unlink()

    assert opened(client.get(CARD)).size == (1200, 630)
