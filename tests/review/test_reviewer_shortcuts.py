"""Each reviewer turns the workspace's single-key shortcuts off or makes them need Alt (WCAG 2.2
SC 2.1.4), at /review/shortcuts/: the choice is kept on the server and every page hands it to
review.js (``data-keys``) and lists the keys as they work."""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import User

from coalition import services
from coalition.models import ReviewerSettings
from coalition.reviewing import preferences

SETTINGS = "/review/shortcuts/"
Shortcuts = ReviewerSettings.Shortcuts


def _keys(body: str) -> str:
    return re.search(r'<div class="review" data-keys="(\w+)"', body).group(1)


def test_a_reviewer_has_single_keys_until_they_choose(reviewer_client, reviewer, make_endorsement):
    endorsement = make_endorsement()

    queue = reviewer_client.get("/review/").content.decode()
    screen = reviewer_client.get(f"/review/{endorsement.public_id}/").content.decode()

    assert _keys(queue) == _keys(screen) == "single"
    assert "<kbd>j</kbd> next row" in queue
    assert "<kbd>a</kbd> approve" in screen
    assert not ReviewerSettings.objects.exists()


def test_the_settings_page_shows_the_choice_and_links_from_every_page(reviewer_client):
    page = reviewer_client.get(SETTINGS)

    assert page.status_code == 200
    body = page.content.decode()
    assert 'type="radio" name="shortcuts" value="single"' in body
    assert re.search(r'value="single"[^>]*checked', body)
    assert f'href="{SETTINGS}"' in reviewer_client.get("/review/dashboard/").content.decode()


def test_the_choice_is_stored_and_every_page_renders_it(
    reviewer_client, reviewer, make_endorsement
):
    endorsement = make_endorsement()

    response = reviewer_client.post(SETTINGS, {"shortcuts": "alt"})

    assert response.status_code == 302
    assert response["Location"] == SETTINGS
    assert ReviewerSettings.objects.get(reviewer=reviewer).shortcuts == Shortcuts.ALT
    settings_page = reviewer_client.get(SETTINGS).content.decode()
    queue = reviewer_client.get("/review/").content.decode()
    screen = reviewer_client.get(f"/review/{endorsement.public_id}/").content.decode()
    assert _keys(queue) == _keys(screen) == _keys(settings_page) == "alt"
    assert "<kbd>Alt</kbd>+<kbd>j</kbd> next row" in queue
    assert "<kbd>Alt</kbd>+<kbd>a</kbd> approve" in screen
    assert re.search(r'value="alt"[^>]*checked', settings_page)
    assert "Your keyboard shortcuts are saved." in settings_page


def test_turned_off_the_pages_list_no_shortcuts(reviewer_client, make_endorsement):
    endorsement = make_endorsement()
    reviewer_client.post(SETTINGS, {"shortcuts": "off"})

    for url in ("/review/", f"/review/{endorsement.public_id}/"):
        body = reviewer_client.get(url).content.decode()

        assert _keys(body) == "off", url
        assert "data-shortcuts" not in body, url
        assert "<kbd>" not in body, url


def test_choosing_again_changes_the_one_row(reviewer_client, reviewer):
    reviewer_client.post(SETTINGS, {"shortcuts": "off"})
    reviewer_client.post(SETTINGS, {"shortcuts": "single"})

    assert list(ReviewerSettings.objects.values_list("reviewer", "shortcuts")) == [
        (reviewer.pk, "single")
    ]


def test_the_choice_is_each_reviewers_own(reviewer_client, other_reviewer, client):
    reviewer_client.post(SETTINGS, {"shortcuts": "off"})
    client.force_login(other_reviewer)

    assert _keys(client.get("/review/").content.decode()) == "single"
    assert preferences.reviewer_shortcuts(other_reviewer) == Shortcuts.SINGLE_KEY


@pytest.mark.parametrize("data", [{"shortcuts": "ctrl"}, {}])
def test_an_unknown_or_missing_choice_is_refused_and_nothing_is_kept(reviewer_client, data):
    response = reviewer_client.post(SETTINGS, data)

    assert response.status_code == 400
    assert b'class="errors"' in response.content
    assert not ReviewerSettings.objects.exists()


def test_the_service_refuses_an_unknown_choice(reviewer):
    with pytest.raises(ValueError, match="unknown shortcuts setting"):
        services.reviewer_settings_update(reviewer=reviewer, shortcuts="ctrl")

    assert not ReviewerSettings.objects.exists()


def test_the_settings_page_is_for_reviewers_only(client, db):
    assert client.get(SETTINGS).status_code == 302
    clerk = User.objects.create_user("clerk", "clerk@registry.example", "x", is_staff=True)
    client.force_login(clerk)

    assert client.post(SETTINGS, {"shortcuts": "off"}).status_code == 403
    assert not ReviewerSettings.objects.exists()


def test_the_settings_page_is_in_french_and_german(reviewer_client):
    for language, words in (("fr", "Raccourcis clavier"), ("de", "Tastenkürzel")):
        body = reviewer_client.get(SETTINGS, HTTP_ACCEPT_LANGUAGE=language).content.decode()

        assert f"<h1>{words}</h1>" in body, language
