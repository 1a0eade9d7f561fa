"""``/unsubscribe/<token>/``: a GET asks, a POST (the button's, or RFC 8058's one-click with no
cookie and no CSRF token) unsubscribes and answers 200; a bad link is a 404 page; nothing is
cached publicly and nothing private shows."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from coalition.endorsements import tokens
from coalition.models import Endorsement

Status = Endorsement.Status


@pytest.fixture
def subscribed(make_endorsement) -> Endorsement:
    endorsement = make_endorsement(status=Status.APPROVED)
    Endorsement.objects.filter(pk=endorsement.pk).update(
        updates_opt_in=True, updates_opt_in_words="Send us updates about this campaign"
    )
    endorsement.refresh_from_db()
    return endorsement


def url_of(endorsement: Endorsement) -> str:
    return reverse("unsubscribe", kwargs={"token": tokens.unsubscribe_token(endorsement)})


def test_a_get_shows_a_button_and_changes_nothing(client, subscribed):
    response = client.get(url_of(subscribed))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "Stop the updates" in page
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in is True
    assert subscribed.updates_opt_in_changed_at is None
    assert client.head(url_of(subscribed)).status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in is True


def test_the_one_click_post_needs_no_cookie_nor_csrf_token(subscribed):
    # As a mail provider sends it (RFC 8058 §3.2): a bare POST with that body.
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(
        url_of(subscribed),
        data="List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )
    assert response.status_code == 200
    assert "no more updates" in response.content.decode()
    assert "Set-Cookie" not in response.headers or "sessionid" not in response["Set-Cookie"]
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in is False
    assert subscribed.updates_opt_in_changed_at is not None
    # Kept: the words of the box they once ticked.
    assert subscribed.updates_opt_in_words == "Send us updates about this campaign"


def test_the_one_click_post_as_multipart_works_too(subscribed):
    provider = Client(enforce_csrf_checks=True)
    response = provider.post(url_of(subscribed), {"List-Unsubscribe": "One-Click"})
    assert response.status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in is False


def test_unsubscribing_twice_is_no_error_and_keeps_the_first_time(client, subscribed):
    assert client.post(url_of(subscribed)).status_code == 200
    subscribed.refresh_from_db()
    first = subscribed.updates_opt_in_changed_at
    assert client.post(url_of(subscribed)).status_code == 200
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in_changed_at == first
    assert "You receive no updates" in client.get(url_of(subscribed)).content.decode()


@pytest.mark.parametrize(
    "token",
    ["nonsense", "IjY0YTNjZmYyZTlkZiI:1xa4VV:forged", "x" * 400, "%00", "😀"],
)
def test_a_bad_link_is_a_404_page_that_changes_nothing(client, subscribed, token):
    for method in (client.get, client.post):
        response = method(f"/unsubscribe/{token}/")
        assert response.status_code == 404
        assert "This link does not work" in response.content.decode()
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in is True


def test_another_links_token_does_not_unsubscribe(client, subscribed):
    for other in (tokens.manage_token(subscribed), tokens.not_us_token(subscribed)):
        assert client.post(f"/unsubscribe/{other}/").status_code == 404
    subscribed.refresh_from_db()
    assert subscribed.updates_opt_in is True


def test_the_link_of_an_application_deleted_since_is_a_404(client, subscribed):
    url = url_of(subscribed)
    subscribed.emails.all().delete()
    subscribed.delete()
    assert client.post(url).status_code == 404


def test_the_page_is_never_kept_by_a_shared_cache_and_shows_nothing_private(client, subscribed):
    for response in (client.get(url_of(subscribed)), client.post(url_of(subscribed))):
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]
        page = response.content.decode()
        assert subscribed.contact_email not in page
        assert subscribed.contact_name not in page


def test_the_page_speaks_the_contacts_language(client, subscribed):
    Endorsement.objects.filter(pk=subscribed.pk).update(preferred_language="de")
    page = client.get(url_of(subscribed)).content.decode()
    assert 'lang="de"' in page


def test_varnish_passes_the_unsubscribe_pages():
    from pathlib import Path

    vcl = (Path(__file__).resolve().parents[2] / "deploy/varnish/default.vcl").read_text()
    assert "|unsubscribe)(/|\\?|$)" in vcl
