"""Uploaded logos: only the pipeline's re-encoded files are served, as images and nothing else."""

from __future__ import annotations

import io

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile

from coalition.images import logos
from coalition.models import Endorsement, Logo
from public_site.views.media import LOGO_NAME
from tests.conftest import image_bytes
from tests.factories import application_form

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def logo(db) -> Logo:
    return logos.logo_from_upload(io.BytesIO(image_bytes()))


def test_a_logo_is_served_as_an_image_that_nothing_can_run_in(client, logo):
    for field, content_type in [
        ("png", "image/png"),
        ("png_2x", "image/png"),
        ("webp", "image/webp"),
        ("webp_2x", "image/webp"),
    ]:
        url = getattr(logo, field).url
        response = client.get(url)

        assert response.status_code == 200, url
        assert response["Content-Type"] == content_type
        assert response["X-Content-Type-Options"] == "nosniff"
        assert response["Content-Security-Policy"] == "default-src 'none'"
        assert response["Cache-Control"] == "public, max-age=31536000, immutable"
        body = b"".join(response.streaming_content)
        with default_storage.open(getattr(logo, field).name) as stored:
            assert body == stored.read()


def test_a_logo_served_again_is_a_304_with_the_same_headers(client, logo):
    first = client.get(logo.png.url)

    again = client.get(logo.png.url, headers={"if-none-match": first["ETag"]})

    assert again.status_code == 304
    assert again["Content-Security-Policy"] == "default-src 'none'"
    assert again["Cache-Control"] == "public, max-age=31536000, immutable"


def test_a_logo_may_be_asked_for_with_head(client, logo):
    response = client.head(logo.webp.url)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/webp"


def test_a_logo_cannot_be_posted_to(client, logo):
    assert client.post(logo.png.url).status_code == 405


@pytest.mark.parametrize(
    "name",
    [
        "anything.png",
        "logos/ab/notahash-1x.png",
        "logos/ab/" + "a" * 64 + "-1x.png",  # the folder does not match the hash
        "logos/aa/" + "a" * 64 + "-3x.png",
        "logos/aa/" + "a" * 64 + "-1x.svg",
        "logos/aa/" + "a" * 64 + "-1x.html",
        "logos/aa/" + "A" * 64 + "-1x.png",
        "logos/aa/" + "a" * 64 + "-1x.png/",
        "logos/aa/../../settings.py",
        "logos/aa/" + "a" * 64 + "-1x.png%00.html",
    ],
)
def test_anything_but_a_pipeline_file_name_is_a_404(client, db, name):
    # Even when such a file exists in the storage.
    if ".." not in name and "%" not in name and not name.endswith("/"):
        default_storage.save(name, ContentFile(b"<script>alert(1)</script>"))

    response = client.get(f"/media/{name}")

    assert response.status_code == 404
    assert b"alert(1)" not in response.content


def test_a_well_named_file_that_is_missing_is_a_404(client, db):
    response = client.get("/media/logos/aa/" + "a" * 64 + "-1x.png")

    assert response.status_code == 404


def test_logos_are_served_through_the_storage_api_not_the_disk(client, logo, settings, tmp_path):
    # Another storage root: what is served follows the storage, wherever it keeps files.
    settings.MEDIA_ROOT = tmp_path / "elsewhere"

    assert client.get(logo.png.url).status_code == 404

    default_storage.save(logo.png.name, ContentFile(PNG_SIGNATURE + b"rest"))
    assert b"".join(client.get(logo.png.url).streaming_content).startswith(PNG_SIGNATURE)


def test_stored_file_names_come_from_the_pixels_never_from_the_upload(client, campaign, sector):
    upload = SimpleUploadedFile(
        "../../evil<script>.php.png", image_bytes(), content_type="text/html"
    )
    response = client.post("/apply/", application_form(sector, logo=upload))

    assert response.status_code == 303  # to "check your email"
    logo = Endorsement.objects.get().organization.logo
    for name in (logo.png.name, logo.webp.name, logo.png_2x.name, logo.webp_2x.name):
        assert LOGO_NAME.match(name), name
        assert "evil" not in name
        assert "php" not in name
        assert name.split("/")[2].startswith(logo.digest)


def test_only_re_encoded_files_are_stored(client, campaign, sector):
    # A PNG that carries a script after its image data, and metadata.
    polyglot = image_bytes() + b"<script>alert(1)</script>"
    upload = SimpleUploadedFile("logo.png", polyglot, content_type="image/png")
    client.post("/apply/", application_form(sector, logo=upload))

    logo = Endorsement.objects.get().organization.logo
    for name in (logo.png.name, logo.webp.name, logo.png_2x.name, logo.webp_2x.name):
        with default_storage.open(name) as stored:
            content = stored.read()
        assert b"<script>" not in content
        assert content != polyglot
    names = [logo.png.name, logo.webp.name, logo.png_2x.name, logo.webp_2x.name]
    _folders, files = default_storage.listdir(f"logos/{logo.digest[:2]}")
    assert sorted(files) == sorted(name.split("/")[-1] for name in names)
