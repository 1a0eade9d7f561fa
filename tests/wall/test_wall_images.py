from __future__ import annotations

import base64
import hashlib
import io
import xml.etree.ElementTree as ET
from unittest import mock

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from PIL import Image, ImageDraw, ImageFont

from coalition import services
from coalition.images import colours, logos
from coalition.models import Endorsement, Logo, Organization
from coalition.wall import picture
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
    assert svg.find(f"{SVG}rect").get("fill") == picture.PALETTES["dark"].background


def test_the_campaign_theme_draws_both_images_in_the_campaigns_accent(
    client, make_endorsement, sectors
):
    campaign = make_endorsement(status=Status.APPROVED, sector=sectors["tech"]).campaign
    campaign.accent_color = "#b91c1c"
    campaign.save()
    accent = colours.parse_hex("#b91c1c")
    tint = colours.to_hex(colours.mix(accent, colours.WHITE, 0.94))
    ink = colours.to_hex(colours.mix(accent, colours.BLACK, 0.2))

    svg = _svg(client, "?theme=campaign")
    light = _svg(client, "?theme=light")

    assert svg.find(f"{SVG}rect").get("fill") == tint
    assert svg.find(f"{SVG}text").get("fill") == ink
    assert light.find(f"{SVG}rect").get("fill") == picture.PALETTES["light"].background
    assert colours.contrast_ratio(colours.parse_hex(ink), colours.parse_hex(tint)) >= 4.5
    png = client.get("/campaigns/keep-detection/wall.png?theme=campaign")
    assert png.status_code == 200
    with Image.open(io.BytesIO(png.content)) as image:
        assert colours.to_hex(image.convert("RGB").getpixel((1, 1))) == tint


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
    assert image.width == picture.Layout(columns=3, rows=2, names=True, count=True, more=0).width
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
    wide = picture.fit_logo(240, 60)
    square = picture.fit_logo(120, 120)

    for width, height in (wide, square):
        assert width <= picture.LOGO_BOX[0]
        assert height <= picture.LOGO_BOX[1]
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


# Images that travel: 200 logos, each inlined at the size it is drawn, under 1 MB -------------


def _drawn_logos(count: int) -> list[Logo]:
    """``count`` different logos, each a 1x file only (what the images read), made the way the
    pipeline makes them: drawn large (a shape, a gradient, lettering; every other one on
    transparency) and scaled down to 118 × 60, which anti-aliases every edge."""
    made = []
    for index in range(count):
        transparent = index % 2 == 0
        large = Image.new("RGBA", (472, 240), (0, 0, 0, 0) if transparent else (255,) * 4)
        draw = ImageDraw.Draw(large)
        hue = (index * 37 % 200, index * 91 % 200, index * 53 % 200)
        draw.ellipse((8, 8, 224, 224), fill=(*hue, 255))
        for x in range(80):
            shade = tuple(int(c * x / 80 + 255 * (1 - x / 80)) for c in hue[::-1])
            draw.line((56 + x, 64, 56 + x, 176), fill=(*shade, 255))
        draw.text((240, 48), f"Org{index}", font=ImageFont.load_default(size=64), fill=(*hue, 255))
        draw.text(
            (240, 136), "Alliance", font=ImageFont.load_default(size=44), fill=(60, 60, 60, 255)
        )
        made.append(_stored_logo(large.resize((118, 60), Image.Resampling.LANCZOS)))
    return Logo.objects.bulk_create(made)


def _stored_logo(image: Image.Image) -> Logo:
    """A ``Logo`` (unsaved) whose files are ``image`` as PNG, stored as the pipeline names them."""
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True)
    data = buffer.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    name = logos.storage_name(digest, "1x", "png")
    default_storage.save(name, ContentFile(data))
    width, height = image.size
    return Logo(
        digest=digest, width=width, height=height, png=name, webp=name, png_2x=name, webp_2x=name
    )


def _data_uri_bytes(href: str) -> bytes:
    assert href.startswith("data:image/png;base64,")
    return base64.b64decode(href.split(",", 1)[1])


def test_with_two_hundred_allies_the_svg_and_the_png_each_stay_under_a_megabyte(
    client, campaign, sectors
):
    allies = bulk_allies(campaign, sectors["tech"], picture.IMAGE_MAX_ALLIES)
    for ally, logo in zip(allies, _drawn_logos(len(allies)), strict=True):
        Organization.objects.filter(pk=ally.organization_id).update(logo=logo)

    svg = client.get("/campaigns/keep-detection/wall.svg")
    png = client.get("/campaigns/keep-detection/wall.png")

    assert len(svg.content) < 1_000_000
    assert len(png.content) < 1_000_000
    tree = ET.fromstring(svg.content)  # noqa: S314
    assert len(tree.findall(f".//{SVG}image")) == picture.IMAGE_MAX_ALLIES
    decoded = Image.open(io.BytesIO(png.content))
    decoded.load()
    assert (
        decoded.size[0] == picture.Layout(columns=5, rows=40, names=True, count=True, more=0).width
    )


def test_inlined_logos_are_png_at_their_drawn_size_and_faithful_to_their_files(
    client, campaign, sectors
):
    # The second: on white, where a palette saves the most.
    logo = _drawn_logos(2)[1]
    ally = bulk_allies(campaign, sectors["tech"], 1)[0]
    Organization.objects.filter(pk=ally.organization_id).update(logo=logo)

    image = ET.fromstring(client.get("/campaigns/keep-detection/wall.svg").content).find(  # noqa: S314
        f".//{SVG}image"
    )

    inlined = Image.open(io.BytesIO(_data_uri_bytes(image.get("href"))))
    assert inlined.format == "PNG"
    assert inlined.size == (int(image.get("width")), int(image.get("height"))) == (118, 60)
    assert inlined.mode == "P"  # palette-quantized: a third of the bytes
    with default_storage.open(logo.png.name) as file:
        original = Image.open(file).convert("RGBA")
        assert picture.faithful(original, inlined.convert("RGBA"))
        file.seek(0)
        assert len(_data_uri_bytes(image.get("href"))) < len(file.read())


def test_a_logo_a_palette_would_spoil_is_inlined_as_it_is(client, campaign, sectors):
    noise = Image.effect_noise((118, 60), 80).convert("RGB")
    buffer = io.BytesIO()
    noise.save(buffer, "PNG")

    inline = picture.inline_logo(buffer.getvalue())

    assert inline.png == buffer.getvalue()
    assert picture.inline_logo(b"not an image") is None


def test_a_wall_of_photographs_still_gives_a_png_under_a_megabyte(client, campaign, sectors):
    photographs = Logo.objects.bulk_create(
        [_stored_logo(Image.effect_noise((118, 60), 60 + n).convert("RGB")) for n in range(20)]
    )
    allies = bulk_allies(campaign, sectors["tech"], picture.IMAGE_MAX_ALLIES)
    for index, ally in enumerate(allies):
        Organization.objects.filter(pk=ally.organization_id).update(logo=photographs[index % 20])

    png = client.get("/campaigns/keep-detection/wall.png")

    assert png.status_code == 200
    assert len(png.content) < picture.IMAGE_MAX_BYTES
    assert Image.open(io.BytesIO(png.content)).mode == "P"


def test_each_logo_is_quantized_once_whatever_the_renderings(client, make_endorsement, sectors):
    for index in range(3):
        ally = make_endorsement(status=Status.APPROVED, sector=sectors["tech"])
        ally.organization.logo = make_logo(color=(40 * index, 90, 160))
        ally.organization.save()
    picture._inline_png.cache_clear()

    with mock.patch.object(picture, "inline_logo", wraps=picture.inline_logo) as quantize:
        first = client.get("/campaigns/keep-detection/wall.svg")
        services.public_version_bump()  # a change: every image is drawn again
        again = client.get("/campaigns/keep-detection/wall.svg?theme=dark")
        png = client.get("/campaigns/keep-detection/wall.png")

    assert quantize.call_count == 3
    assert first.status_code == again.status_code == png.status_code == 200
    hrefs = {i.get("href") for i in ET.fromstring(first.content).iter(f"{SVG}image")}  # noqa: S314
    assert hrefs == {i.get("href") for i in ET.fromstring(again.content).iter(f"{SVG}image")}  # noqa: S314
