from __future__ import annotations

import io
import xml.etree.ElementTree as ET

import pytest
from PIL import Image

from coalition import images
from coalition.models import Endorsement
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, make_logo, sector_tree

Status = Endorsement.Status
SVG = "{http://www.w3.org/2000/svg}"
ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def sectors(db):
    return sector_tree()


def _svg(client, query: str = "") -> ET.Element:
    response = client.get(f"/campaigns/keep-detection/wall.svg{query}")
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314


def test_the_svg_names_every_organization_and_inlines_the_logos(client, make_endorsement, sectors):
    ally = make_endorsement(status=Status.APPROVED, name="Logo Trust", sector=sectors["tech"])
    ally.organization.logo = make_logo()
    ally.organization.save()
    make_endorsement(status=Status.APPROVED, name="Plain Trust", sector=sectors["tech"])
    make_endorsement(status=Status.PENDING, name="Waiting Trust", sector=sectors["tech"])

    svg = _svg(client)

    assert "2 organizations stand together" in svg.find(f"{SVG}title").text
    assert svg.find(f"{SVG}desc").text == "Logo Trust, Plain Trust"
    hrefs = [image.get("href") for image in svg.iter(f"{SVG}image")]
    assert len(hrefs) == 1
    assert hrefs[0].startswith("data:image/png;base64,")
    assert "Waiting Trust" not in ET.tostring(svg, encoding="unicode")


def test_the_svg_takes_the_wall_filters_and_theme(client, make_endorsement, sectors):
    make_endorsement(status=Status.APPROVED, name="German", country="DE", sector=sectors["tech"])
    make_endorsement(status=Status.APPROVED, name="French", country="FR", sector=sectors["tech"])

    svg = _svg(client, "?country=FR&theme=dark&count=0")

    assert svg.find(f"{SVG}desc").text == "French"
    assert svg.find(f"{SVG}rect").get("fill") == images.PALETTES["dark"].background


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_stay_text_in_the_svg(client, make_endorsement, sectors, name):
    make_endorsement(status=Status.APPROVED, name=name, sector=sectors["tech"])

    response = client.get("/campaigns/keep-detection/wall.svg")
    svg = ET.fromstring(response.content)  # noqa: S314

    assert svg.find(f"{SVG}desc").text == name
    assert [element.tag for element in svg.iter() if "script" in element.tag.lower()] == []
    assert b"<script" not in response.content
    assert b"<img" not in response.content


def test_a_name_with_characters_xml_cannot_carry_still_gives_an_image(
    client, make_endorsement, sectors
):
    ally = make_endorsement(status=Status.APPROVED, name="Bell", sector=sectors["tech"])
    type(ally.organization).objects.filter(pk=ally.organization.pk).update(name="Bell\x07 Org")

    svg = _svg(client)

    assert svg.find(f"{SVG}desc").text == "Bell Org"
    feed = client.get("/campaigns/keep-detection/feed/")
    assert feed.status_code == 200


def test_the_svg_draws_at_most_two_hundred_and_counts_the_rest(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 205)

    svg = _svg(client)

    assert len(svg.findall(f"{SVG}g")) == 200
    assert "+5 more organizations" in ET.tostring(svg, encoding="unicode")


def test_the_png_decodes_and_names_the_organizations(client, make_endorsement, sectors):
    ally = make_endorsement(status=Status.APPROVED, name="Logo Trust", sector=sectors["tech"])
    ally.organization.logo = make_logo()
    ally.organization.save()
    for name in HOSTILE_NAMES:
        make_endorsement(status=Status.APPROVED, name=name, sector=sectors["tech"])

    response = client.get("/campaigns/keep-detection/wall.png?columns=3&theme=dark")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    image = Image.open(io.BytesIO(response.content))
    image.load()
    assert image.format == "PNG"
    assert image.width == images.Layout(columns=3, rows=2, names=True, count=True, more=0).width
    assert "Logo Trust" in image.text["Description"]
    assert "6 organizations stand together" in image.text["Title"]


def test_images_are_cached_and_revalidated(client, make_endorsement, sectors):
    make_endorsement(status=Status.APPROVED, name="Somebody", sector=sectors["tech"])
    for url in ("/campaigns/keep-detection/wall.svg", "/campaigns/keep-detection/wall.png"):
        first = client.get(url)
        assert first["Cache-Control"].startswith("public")
        assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
        assert client.get(url)["X-Cache"] == "hit"


def test_bad_image_parameters_are_a_400_with_the_reason(client, campaign):
    response = client.get("/campaigns/keep-detection/wall.png?theme=neon")

    assert response.status_code == 400
    assert "Choose the theme" in response.content.decode()


def test_even_logo_sizes_keep_the_box_and_the_area():
    wide = images.fit_logo(240, 60)
    square = images.fit_logo(120, 120)

    for width, height in (wide, square):
        assert width <= images.LOGO_BOX[0]
        assert height <= images.LOGO_BOX[1]
    assert abs(wide[0] * wide[1] - square[0] * square[1]) / (square[0] * square[1]) < 0.25


def _feed(client) -> ET.Element:
    response = client.get("/campaigns/keep-detection/feed/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314


def test_the_feed_lists_the_newest_approvals_first(client, make_endorsement, sectors, campaign):
    bulk_allies(campaign, sectors["tech"], 55)
    make_endorsement(status=Status.PENDING, name="Not Yet", sector=sectors["tech"])

    feed = _feed(client)

    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50
    titles = [entry.find(f"{ATOM}title").text for entry in entries]
    assert "Not Yet" not in titles
    assert titles[0] < titles[1]  # bulk_allies approves the earlier names later
    assert (
        entries[0]
        .find(f"{ATOM}id")
        .text.endswith(
            "#ally-"
            + Endorsement.objects.filter(status=Status.APPROVED).latest("approved_at").public_id
        )
    )


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_and_statements_stay_text_in_the_feed(
    client, make_endorsement, sectors, name
):
    ally = make_endorsement(status=Status.APPROVED, name=name, sector=sectors["tech"])
    type(ally.organization).objects.filter(pk=ally.organization.pk).update(statement=name)

    feed = _feed(client)

    entry = feed.find(f"{ATOM}entry")
    assert entry.find(f"{ATOM}title").text == name
    summary = entry.find(f"{ATOM}summary")
    assert summary.get("type") == "html"
    # The summary is HTML: the name must arrive there escaped, so a reader shows it as text.
    assert "<" not in summary.text.replace("&lt;", "")
    assert '"' not in summary.text.replace("&quot;", "")


def test_the_feed_carries_no_private_field(client, make_endorsement, sectors):
    ally = make_endorsement(status=Status.APPROVED, name="Public Org", sector=sectors["tech"])

    body = client.get("/campaigns/keep-detection/feed/").content.decode()

    assert "Public Org" in body
    assert ally.contact_email not in body
    assert ally.contact_name not in body
