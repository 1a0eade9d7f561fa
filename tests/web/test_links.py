"""Absolute links follow the address the site is served on, and the private pages' forms work."""

from __future__ import annotations

import io
import re

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from coalition.endorsements import tokens
from coalition.images import logos
from coalition.models import Endorsement
from coalition.web import links
from tests.conftest import image_bytes
from tests.factories import application_form

Status = Endorsement.Status
HOST = "127.0.0.1:8765"


@pytest.fixture
def no_site_url(settings):
    settings.SITE_URL = ""


def _links_in(text: str) -> list[str]:
    return re.findall(r"https?://[^\s\"'<>]+", text)


def test_without_site_url_links_outside_a_request_follow_the_port(no_site_url, monkeypatch):
    monkeypatch.setenv("PORT", "8765")

    assert links.site_url() == "http://127.0.0.1:8765"
    assert links.absolute("/manage/x/") == "http://127.0.0.1:8765/manage/x/"


def test_site_url_wins_when_it_is_set(settings, monkeypatch):
    settings.SITE_URL = "https://coalition.example.org"
    monkeypatch.setenv("PORT", "8765")

    assert links.absolute("/apply/") == "https://coalition.example.org/apply/"


def test_mail_links_follow_the_address_the_applicant_used(
    no_site_url, client, campaign, sector, mailoutbox, django_capture_on_commit_callbacks
):
    upload = image_bytes()
    data = application_form(
        sector,
        name="Harbour Light",
        registry_id=None,
        statement=None,
        homepage=None,
        logo=SimpleUploadedFile("logo.png", upload, content_type="image/png"),
    )
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/apply/", data, HTTP_HOST=HOST)
    assert response.status_code == 303  # to "check your email"

    urls = [url for message in mail.outbox for url in _links_in(message.body)]
    assert urls
    assert all(url.startswith(f"http://{HOST}/") for url in urls), urls


def test_api_logo_urls_feed_ids_and_builder_snippets_follow_the_host(
    no_site_url, client, make_endorsement, campaign
):
    endorsement = make_endorsement(status=Status.APPROVED)
    organization = endorsement.organization
    organization.logo = logos.logo_from_upload(io.BytesIO(image_bytes()))
    organization.save()

    api = client.get("/api/v1/allies/", HTTP_HOST=HOST).json()
    feed = client.get(f"/campaigns/{campaign.slug}/feed/", HTTP_HOST=HOST).content.decode()
    builder = client.get(f"/campaigns/{campaign.slug}/embed/", HTTP_HOST=HOST).content.decode()

    assert api["results"][0]["logo"]["png"].startswith(f"http://{HOST}/media/")
    assert f"http://{HOST}/campaigns/{campaign.slug}/" in feed
    assert "http://127.0.0.1:8000" not in feed + builder
    assert f"http://{HOST}/embed.js" in builder
    assert f"http://{HOST}/embed/{campaign.slug}/" in builder


def test_a_cached_rendering_is_never_served_with_another_hosts_links(
    no_site_url, client, make_endorsement, campaign
):
    make_endorsement(status=Status.APPROVED)
    first = client.get(f"/campaigns/{campaign.slug}/embed/", HTTP_HOST=HOST).content.decode()
    other = client.get(f"/campaigns/{campaign.slug}/embed/", HTTP_HOST="localhost:9000")

    assert f"http://{HOST}/embed.js" in first
    assert "http://localhost:9000/embed.js" in other.content.decode()


def test_the_manage_page_keeps_its_url_to_itself_but_not_from_its_own_forms(
    client, make_endorsement
):
    endorsement = make_endorsement(status=Status.APPROVED)

    response = client.get(f"/manage/{tokens.manage_token(endorsement)}/")

    # "no-referrer" made Chromium send "Origin: null" with the page's own forms, which Django's
    # CSRF check refuses; "same-origin" sends nothing to other sites and the origin to this one.
    assert response["Referrer-Policy"] == "same-origin"
    assert "private" in response["Cache-Control"]
    assert "no-store" in response["Cache-Control"]


@pytest.mark.parametrize("path", ["/resend/", "/fr/resend/", "/de/resend/"])
def test_a_csrf_failure_shows_the_sites_own_page_in_the_visitors_language(path, db):
    client = Client(enforce_csrf_checks=True)

    response = client.post(path, {"contact_email": "a@example.org"})

    assert response.status_code == 403
    page = response.content.decode()
    assert "CSRF verification failed" not in page
    assert "Forbidden" not in page
    expected = {
        "/resend/": "The form could not be sent",
        "/fr/resend/": "Le formulaire n’a pas pu être envoyé",
        "/de/resend/": "Das Formular konnte nicht gesendet werden",
    }[path]
    assert expected in page
    assert 'rel="stylesheet"' in page
