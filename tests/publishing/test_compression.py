"""Public text goes out compressed to clients that accept it (coalition/web/compression.py), and
nothing private ever does (BREACH). Through a real Varnish: tests/publishing/test_varnish_key.py."""

from __future__ import annotations

import gzip
from pathlib import Path

import brotli
import pytest
from django.http import HttpResponse, StreamingHttpResponse
from django.test import RequestFactory

from coalition.endorsements import tokens
from coalition.models import Endorsement
from coalition.web import compression

Status = Endorsement.Status
SLUG = "keep-detection"
VCL = Path(__file__).resolve().parent.parent.parent / "deploy" / "varnish" / "default.vcl"
PUBLIC_TEXT = [
    "/",
    f"/campaigns/{SLUG}/",
    f"/embed/{SLUG}/",
    "/embed.js",
    f"/campaigns/{SLUG}/wall.svg",
    f"/campaigns/{SLUG}/map.svg",
    f"/campaigns/{SLUG}/feed/",
    "/api/v1/allies/",
    "/api/v1/allies/?format=csv",
    "/api/v1/facets/",
    "/api/v1/campaigns/",
]


@pytest.fixture
def allies(make_endorsement):
    for name in ("Alder Helpline", "Birch Network", "Cedar Cloud"):
        make_endorsement(status=Status.APPROVED, name=name)


@pytest.mark.parametrize("path", PUBLIC_TEXT)
def test_public_text_is_gzipped_for_a_client_that_accepts_it(client, allies, path):
    plain = client.get(path)
    zipped = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate")

    assert plain.status_code == zipped.status_code == 200
    assert not plain.has_header("Content-Encoding")
    assert zipped["Content-Encoding"] == "gzip"
    assert gzip.decompress(zipped.content) == plain.content
    assert len(zipped.content) < len(plain.content)
    assert zipped["Content-Length"] == str(len(zipped.content))
    # Caches keep the two apart; the one uncompressed copy says so too.
    assert "Accept-Encoding" in zipped["Vary"]
    assert "Accept-Encoding" in plain["Vary"]


@pytest.mark.parametrize("path", ["/", "/api/v1/allies/", "/embed.js"])
def test_brotli_is_preferred_where_the_client_takes_it(client, allies, path):
    plain = client.get(path)
    packed = client.get(path, HTTP_ACCEPT_ENCODING="gzip, deflate, br, zstd")

    assert packed["Content-Encoding"] == "br"
    assert brotli.decompress(packed.content) == plain.content


def test_a_coding_refused_with_q_0_is_not_used(client, allies):
    response = client.get("/", HTTP_ACCEPT_ENCODING="br;q=0, gzip;q=0, identity")

    assert not response.has_header("Content-Encoding")
    assert compression.accepted("gzip;q=0.5, br;q=0, *;q=0") == {"gzip"}


def test_a_compressed_page_is_still_answered_with_a_304(client, allies):
    zipped = client.get("/", HTTP_ACCEPT_ENCODING="gzip")
    # Other bytes than the plain page: a weak ETag, which a conditional request still matches.
    assert zipped["ETag"].startswith('W/"')

    again = client.get("/", HTTP_ACCEPT_ENCODING="gzip", HTTP_IF_NONE_MATCH=zipped["ETag"])

    assert again.status_code == 304


def test_the_application_form_with_its_csrf_token_is_never_compressed(client, campaign):
    response = client.get("/apply/", HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert "csrfmiddlewaretoken" in response.content.decode()
    assert not response.has_header("Content-Encoding")


def test_the_manage_page_is_never_compressed(client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)

    response = client.get(
        f"/manage/{tokens.manage_token(endorsement)}/", HTTP_ACCEPT_ENCODING="gzip, br"
    )

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")


def test_a_signed_in_reviewer_gets_the_public_page_uncompressed(reviewer_client, allies):
    response = reviewer_client.get("/", HTTP_ACCEPT_ENCODING="gzip, br")

    assert response.status_code == 200
    assert not response.has_header("Content-Encoding")


def _middleware(response: HttpResponse, **headers: str) -> HttpResponse:
    request = RequestFactory().get("/", **headers)
    return compression.public_compression_middleware(lambda _request: response)(request)


def test_a_public_response_that_sets_a_cookie_is_not_compressed():
    response = HttpResponse("x" * 1000, content_type="text/html")
    response["Cache-Control"] = "public, max-age=60"
    response.set_cookie("csrftoken", "secret")

    assert not _middleware(response, HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding")


@pytest.mark.parametrize(
    "cache_control", ["", "private, max-age=60", "public, no-store", "max-age=60"]
)
def test_only_responses_marked_public_are_compressed(cache_control):
    response = HttpResponse("x" * 1000, content_type="text/html")
    if cache_control:
        response["Cache-Control"] = cache_control

    assert not _middleware(response, HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding")


@pytest.mark.parametrize("content_type", ["image/png", "application/pdf", "font/woff2"])
def test_what_is_already_compressed_is_left_alone(content_type):
    response = HttpResponse(b"\x89PNG" + b"x" * 1000, content_type=content_type)
    response["Cache-Control"] = "public, max-age=60"

    assert not _middleware(response, HTTP_ACCEPT_ENCODING="gzip").has_header("Content-Encoding")


def test_a_static_file_under_make_run_is_gzipped_as_it_streams():
    # WhiteNoise serves them from the source folders then, as a streaming response.
    response = StreamingHttpResponse([b"body { color: red; }\n" * 50], content_type="text/css")
    response["Cache-Control"] = "max-age=0, public"
    response["Content-Length"] = "1050"

    zipped = _middleware(response, HTTP_ACCEPT_ENCODING="gzip, br")

    assert zipped["Content-Encoding"] == "gzip"
    assert not zipped.has_header("Content-Length")
    assert gzip.decompress(b"".join(zipped.streaming_content)) == b"body { color: red; }\n" * 50


def test_varnish_gzips_the_same_text_types():
    assert f'"{compression.TEXT_TYPES}"' in VCL.read_text()
