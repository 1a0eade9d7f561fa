"""The API's documents: /api/schema/ cached and revalidated like the lists, /api/docs/ saying
its language, and the embed describing itself to search engines and link previews."""

from __future__ import annotations

import re
from html.parser import HTMLParser

import pytest
from django.conf import settings as django_settings

SCHEMA = "/api/schema/"


def test_the_schema_has_an_etag_and_may_be_cached(client, db):
    response = client.get(SCHEMA)

    assert response.status_code == 200
    assert response["ETag"].startswith('"')
    assert "public" in response["Cache-Control"]
    assert "s-maxage=" in response["Cache-Control"]
    assert {"Accept", "Accept-Language"} <= {
        header.strip() for header in response["Vary"].split(",")
    }
    assert client.get(SCHEMA)["ETag"] == response["ETag"]


def test_the_schema_is_a_304_for_the_etag_the_client_has(client, db):
    etag = client.get(f"{SCHEMA}?format=json")["ETag"]

    again = client.get(f"{SCHEMA}?format=json", headers={"if-none-match": etag})

    assert again.status_code == 304
    assert again.content == b""
    assert again["ETag"] == etag
    assert "public" in again["Cache-Control"]


@pytest.mark.parametrize(
    ("other", "headers"),
    [
        ("?format=yaml", {}),
        ("?format=json&lang=fr", {}),
        ("?format=json", {"accept-language": "de"}),
    ],
)
def test_each_form_of_the_schema_has_its_own_etag(client, db, other, headers):
    json_etag = client.get(f"{SCHEMA}?format=json")["ETag"]

    response = client.get(f"{SCHEMA}{other}", headers={"if-none-match": json_etag, **headers})

    assert response.status_code == 200
    assert response["ETag"] != json_etag


class _HtmlLang(HTMLParser):
    lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "html":
            self.lang = dict(attrs).get("lang")


def _lang(response) -> str | None:
    parser = _HtmlLang()
    parser.feed(response.content.decode())
    return parser.lang


@pytest.mark.parametrize(
    ("query", "headers", "language"),
    [
        ("", {}, "en"),
        ("?lang=fr", {}, "fr"),
        ("", {"accept-language": "de-CH,de;q=0.9"}, "de"),
        ("?lang=fr", {"accept-language": "de"}, "fr"),
    ],
)
def test_the_docs_page_says_its_language(client, db, query, headers, language):
    response = client.get(f"/api/docs/{query}", headers=headers)

    assert response.status_code == 200
    assert _lang(response) == language
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    # Still drf-spectacular's page: Swagger UI and its start-up script, from our own files.
    page = response.content.decode()
    assert '<div id="swagger-ui"></div>' in page
    assert re.search(r'<script src="/api/docs/\?[^"]*script=', page)


def test_the_docs_page_follows_the_api_and_not_the_sites_cookie(client, db):
    client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"

    assert _lang(client.get("/api/docs/")) == "en"


class _MetaDescription(HTMLParser):
    description: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "meta" and attributes.get("name") == "description":
            self.description = attributes.get("content")


def _description(response) -> str | None:
    parser = _MetaDescription()
    parser.feed(response.content.decode())
    return parser.description


@pytest.mark.parametrize(
    ("query", "words"),
    [("", "stand together"), ("?lang=fr", "soutiennent"), ("?lang=de", "stehen")],
)
def test_the_embed_has_a_description_naming_its_campaign(client, campaign, query, words):
    response = client.get(f"/embed/keep-detection/{query}")

    assert response.status_code == 200
    description = _description(response)
    assert description is not None
    assert "Keep detection legal" in description
    assert words in description


def test_an_embed_with_bad_parameters_still_has_its_description(client, campaign):
    response = client.get("/embed/keep-detection/?theme=neon")

    assert response.status_code == 400
    assert "Keep detection legal" in (_description(response) or "")
