"""SVG logos are drawn into pixels on the server and go through the same pipeline as any other
logo; what an SVG could do to the server (read its files, reach the network, expand entities,
take minutes or gigabytes to draw) is refused (issue 21, item 18)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from coalition import logos as stable_logos
from coalition.images import logos, svg
from coalition.models import Logo, Organization
from tests.conftest import image_bytes
from tests.images.test_logos import png_claiming

SVG_OPEN = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink"'
RED = (220, 20, 60, 255)
BLUE = (29, 78, 216, 255)


def document(body: str, size: str = 'viewBox="0 0 200 100"') -> bytes:
    return f"{SVG_OPEN} {size}>{body}</svg>".encode()


# Drawn on a transparent ground: a red square and a blue disc, 180 × 80 in all.
LOGO = document(
    '<rect x="10" y="10" width="80" height="80" fill="#dc143c"/>'
    '<circle cx="150" cy="50" r="40" fill="#1d4ed8"/>'
)
ASPECT = 180 / 80


def upload(data: bytes, name: str = "logo.svg") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/svg+xml")


def refusal(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        logos.validate_and_open(upload(data))
    return caught.value


def test_an_svg_logo_is_drawn_and_stored_like_any_other(db):
    logo = logos.logo_from_upload(upload(LOGO))

    assert logo.pk is not None
    # As wide as drawn, its transparent margin trimmed like any other logo's.
    assert abs(logo.width / logo.height - ASPECT) < 0.1
    with default_storage.open(logo.png_2x.name) as file:
        stored = Image.open(io.BytesIO(file.read())).convert("RGBA")
    assert stored.getpixel((stored.width // 4, stored.height // 2)) == RED
    assert stored.getpixel((stored.width * 7 // 9, stored.height // 2)) == BLUE
    assert stored.getpixel((stored.width // 2, 2))[3] == 0


def test_the_stable_import_point_takes_svg_too(db):
    processed = stable_logos.process(stable_logos.validate_and_open(io.BytesIO(LOGO)))

    assert processed.image.mode == "RGBA"
    assert max(processed.image.size) <= svg.RENDER_SIDE


def test_the_same_drawing_as_svg_twice_is_one_logo(db):
    first = logos.logo_from_upload(upload(LOGO, "a.svg"))
    second = logos.logo_from_upload(upload(b"\n<!-- the same -->\n" + LOGO, "b.svg"))

    assert first == second
    assert Logo.objects.count() == 1


def test_a_small_icon_is_drawn_large_enough_for_the_wall(db):
    icon = document('<rect width="24" height="24" fill="#dc143c"/>', 'width="24" height="24"')

    image = logos.validate_and_open(upload(icon))

    assert image.size == (svg.RENDER_SIDE, svg.RENDER_SIDE)


def test_an_embedded_png_is_drawn(db):
    png = base64.b64encode(image_bytes((100, 50), color=(220, 20, 60))).decode()
    embedded = document(f'<image width="200" height="100" href="data:image/png;base64,{png}"/>')

    image = logos.validate_and_open(upload(embedded))

    assert image.getpixel((image.width // 2, image.height // 2)) == RED


def test_an_illustrator_export_with_a_doctype_and_styles_is_drawn(db):
    exported = (
        b'<?xml version="1.0" encoding="utf-8"?>\n<!-- Generator: Adobe Illustrator 24 -->\n'
        b'<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
        b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">\n'
        b'<svg version="1.1" xmlns="http://www.w3.org/2000/svg" x="0px" y="0px" '
        b'viewBox="0 0 200 100" xml:space="preserve">\n'
        b'<style type="text/css">.st0{fill:#DC143C;}</style>\n'
        b'<rect class="st0" width="200" height="100"/>\n</svg>\n'
    )

    image = logos.validate_and_open(upload(exported))

    assert image.getpixel((image.width // 2, image.height // 2)) == RED


@pytest.mark.parametrize(
    "body",
    [
        '<image href="/etc/hostname" width="10" height="10"/>',
        '<image href="file:///srv/media/secret.png" width="10" height="10"/>',
        '<image xlink:href="https://tracker.example/pixel.png" width="10" height="10"/>',
        '<use href="other.svg#logo"/>',
        '<feImage href="//evil.example/a.png"/>',
        '<image href="data:image/svg+xml;base64,PHN2Zy8+" width="10" height="10"/>',
        '<rect width="10" height="10" fill="url(https://evil.example/p.svg#g)"/>',
        '<rect width="10" height="10" style="fill: url( \'/etc/passwd\' )"/>',
        '<style>@import url("https://evil.example/a.css");</style>',
        "<style>rect { fill: url(http://evil.example/#g) }</style>",
    ],
    ids=[
        "local path",
        "file URL",
        "web address",
        "other svg",
        "filter image",
        "embedded svg",
        "paint server elsewhere",
        "style attribute",
        "css import",
        "style sheet url",
    ],
)
def test_a_reference_to_anything_outside_the_document_is_refused(db, body):
    error = refusal(document(body))

    assert error.code == "svg_external_reference"
    assert "refers to another file or address" in error.messages[0]


def test_a_local_picture_is_never_read_into_a_logo(db, tmp_path):
    secret = tmp_path / "secret.png"
    secret.write_bytes(image_bytes((64, 64), color=(1, 2, 3)))

    error = refusal(document(f'<image href="{secret}" width="200" height="100"/>'))

    assert error.code == "svg_external_reference"
    assert not Logo.objects.exists()


def test_references_inside_the_document_are_fine(db):
    inside = document(
        '<defs><linearGradient id="g"><stop offset="0" stop-color="#dc143c"/></linearGradient>'
        '<rect id="r" width="200" height="100"/></defs>'
        '<use href="#r" fill="url(#g)"/><use xlink:href="#r" style="fill:url(&quot;#g&quot;)"/>'
    )

    image = logos.validate_and_open(upload(inside))

    assert image.getpixel((image.width // 2, image.height // 2)) == RED


def test_entity_expansion_is_refused_before_anything_is_expanded(db):
    laughs = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY lol "lol">'
        + b"".join(
            f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'.encode()
            for n in range(1, 10)
        )
        + b']><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
        + b"<text>&lol9;</text></svg>"
    )

    assert refusal(laughs).code == "svg_entities"


def test_an_external_entity_is_refused(db):
    external = (
        b'<?xml version="1.0"?><!DOCTYPE svg [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
        b'<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text>&x;</text></svg>'
    )

    assert refusal(external).code == "svg_entities"


@pytest.mark.parametrize(
    "size",
    [
        'width="1e9" height="1e9"',
        'viewBox="0 0 10000000 5000000"',
        'viewBox="0 0 0 100"',
        'viewBox="0 0 100 -5"',
        'viewBox="0 0 nan 100"',
        'width="100000" height="10"',
        "",
        'width="huge" height="100"',
    ],
)
def test_a_size_that_is_no_logos_is_refused(db, size):
    error = refusal(document('<rect width="10" height="10"/>', size))

    assert error.code == "svg_size"


def test_too_many_elements_are_refused(db):
    many = "".join(f'<rect x="{i % 200}" width="1" height="1"/>' for i in range(svg.MAX_ELEMENTS))

    assert refusal(document(many)).code == "svg_too_complex"


def test_nesting_too_deep_is_refused(db):
    deep = (
        "<g>" * (svg.MAX_DEPTH + 1) + '<rect width="9" height="9"/>' + "</g>" * (svg.MAX_DEPTH + 1)
    )

    assert refusal(document(deep)).code == "svg_too_complex"


def test_use_of_use_of_use_is_refused(db):
    body = '<defs><rect id="a0" width="1" height="1"/>'
    for level in range(1, 9):
        uses = "".join(f'<use href="#a{level - 1}" x="{step}"/>' for step in range(10))
        body += f'<g id="a{level}">{uses}</g>'
    body += '</defs><use href="#a8"/>'

    assert refusal(document(body)).code == "svg_too_complex"


def test_a_drawing_that_takes_too_long_is_stopped_and_refused(db, settings, monkeypatch):
    monkeypatch.setattr(svg, "RENDER_SECONDS", 1)
    blur = '<filter id="f"><feGaussianBlur stdDeviation="200"/></filter>'
    rects = "".join(
        f'<rect x="{i}" width="1500" height="700" filter="url(#f)"/>' for i in range(300)
    )

    error = refusal(document(f"<defs>{blur}</defs>{rects}", 'viewBox="0 0 1600 800"'))

    assert error.code == "svg_too_complex"


def test_an_embedded_picture_that_claims_too_many_pixels_is_refused(db):
    # A PNG header claiming 6000 × 6000 pixels: the renderer would decode it in full.
    png = base64.b64encode(png_claiming(6000, 6000)).decode()

    error = refusal(document(f'<image width="10" height="10" href="data:image/png;base64,{png}"/>'))

    assert error.code == "svg_too_complex"


def test_an_svg_larger_than_5_mb_is_refused_before_it_is_parsed(db, monkeypatch):
    parsed = []
    monkeypatch.setattr(svg, "rasterize", lambda data: parsed.append(data))
    padding = b"<!--" + b"x" * logos.MAX_BYTES + b"-->"

    error = refusal(LOGO.replace(b"<rect", padding + b"<rect", 1))

    assert error.code == "file_too_large"
    assert parsed == []


@pytest.mark.parametrize(
    "data",
    [
        b"<svg",
        b'<html><body><svg xmlns="http://www.w3.org/2000/svg"/></body></html>',
        b'<svg xmlns="http://example.org/not-svg" width="10" height="10"/>',
    ],
    ids=["cut short", "html", "other namespace"],
)
def test_a_broken_svg_is_called_unreadable(db, data):
    error = refusal(data)

    assert error.code == "invalid_image"
    assert "SVG" in error.messages[0]


def test_the_application_form_takes_an_svg_logo(client, campaign, sector):
    response = client.post(
        "/apply/",
        {
            "name": "Vector Trust",
            "website": "vector.example.org",
            "country": "DE",
            "sector": str(sector.pk),
            "contact_name": "Ada Lindqvist",
            "contact_role": "Director",
            "contact_email": "ada@vector.example.org",
            "preferred_language": "en",
            "consent_authority": "on",
            "consent_publish": "on",
            "homepage": "",
            "logo": upload(LOGO),
        },
    )

    assert response.status_code in (200, 302, 303), response.content[:2000]
    organization = Organization.objects.get()
    assert organization.logo is not None
    assert abs(organization.logo.width / organization.logo.height - ASPECT) < 0.1


def test_the_logo_input_says_what_it_takes_and_its_limit(client, campaign):
    page = client.get("/apply/").content.decode()

    tag = re.search(r"<input[^>]*type=\"file\"[^>]*>", page).group(0)
    assert 'accept="image/png,image/jpeg,image/webp,image/gif,image/svg+xml,.svg"' in tag
    assert f'data-max-bytes="{logos.MAX_BYTES}"' in tag
    assert "The logo is larger than 5 MB." in tag
    assert 'data-preview-alt="Preview of the logo you chose"' in tag
    assert "coalition/logo-field" in page
    assert "PNG, JPEG, WebP, GIF or SVG, up to 5 MB" in page
