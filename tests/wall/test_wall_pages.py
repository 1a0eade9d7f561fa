"""The wall's pages, on the site and in the embed: a page past the last is a 404 that says so."""

from __future__ import annotations

import pytest

from coalition import services
from tests.wall_helpers import bulk_allies, sector_tree

WALLS = ["/", "/campaigns/keep-detection/", "/embed/keep-detection/"]


@pytest.fixture
def sectors(db):
    return sector_tree()


@pytest.fixture
def two_pages(campaign, sectors) -> None:
    """201 allies: a full first page of 200 and one on the second."""
    bulk_allies(campaign, sectors["tech"], 201)


@pytest.mark.parametrize("wall", WALLS)
def test_a_page_past_the_last_is_a_404_linking_to_the_last_page(client, two_pages, wall):
    response = client.get(f"{wall}?page=999")

    body = response.content.decode()
    assert response.status_code == 404
    assert "This page does not exist" in body
    assert "There is no page 999 of the wall of “Keep detection legal”: it has 2 pages." in body
    assert f'<a href="{wall}?page=2">Go to the last page (page 2)</a>' in body
    assert "Bulk Org" not in body


@pytest.mark.parametrize("wall", WALLS)
def test_the_page_past_the_last_has_the_site_look(client, two_pages, wall):
    body = client.get(f"{wall}?page=3").content.decode()

    assert '<header class="site-header">' in body
    assert "/static/coalition/site.css" in body


def test_the_link_to_the_last_page_keeps_the_filters_and_display_options(client, two_pages):
    wall = client.get("/campaigns/keep-detection/?page=5&country=de&order=newest")
    embed = client.get("/embed/keep-detection/?page=5&theme=dark&names=0")

    assert wall.status_code == embed.status_code == 404
    assert 'href="/campaigns/keep-detection/?country=DE&amp;order=newest&amp;page=2"' in (
        wall.content.decode()
    )
    assert 'href="/embed/keep-detection/?page=2&amp;theme=dark&amp;names=0"' in (
        embed.content.decode()
    )


def test_the_last_page_itself_is_shown(client, two_pages):
    response = client.get("/?page=2")

    assert response.status_code == 200
    assert response.content.decode().count('class="ally"') == 1


@pytest.mark.parametrize("wall", WALLS)
def test_an_empty_wall_has_its_first_page_and_no_other(client, campaign, wall):
    first = client.get(wall)
    also_first = client.get(f"{wall}?page=1")
    second = client.get(f"{wall}?page=2")

    assert first.status_code == also_first.status_code == 200
    assert "No organization has signed on yet." in first.content.decode()
    assert second.status_code == 404
    assert "it has 1 page." in second.content.decode()
    assert f'<a href="{wall}">Go to the last page (page 1)</a>' in second.content.decode()


def test_a_page_that_did_not_exist_is_shown_once_it_does(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 200)
    before = client.get("/?page=2")
    bulk_allies(campaign, sectors["tech"], 1)
    services.public_version_bump()
    after = client.get("/?page=2")

    assert before.status_code == 404
    assert after.status_code == 200


def test_the_embed_says_a_page_is_past_the_last_in_its_own_language(client, two_pages):
    response = client.get("/embed/keep-detection/?page=3&lang=fr")

    assert response.status_code == 404
    assert '<html lang="fr">' in response.content.decode()


@pytest.mark.parametrize("wall", WALLS)
@pytest.mark.parametrize(
    ("page", "message"), [("abc", "The page must be a whole number."), ("0", "Page:")]
)
def test_a_malformed_page_is_still_a_400_with_a_message(client, two_pages, wall, page, message):
    response = client.get(f"{wall}?page={page}")

    assert response.status_code == 400
    assert message in response.content.decode()
