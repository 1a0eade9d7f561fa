"""The Atom feed of a campaign's newest allies, checked against what RFC 4287 requires of it.

The required elements are checked here with ElementTree: a feed id, title, updated and author
(required when an entry has none of its own), and each entry's id, title, updated and link;
feedparser, a reader no one here wrote, reads it in ``test_feed_milestones.py``.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest
from django.utils import timezone

from coalition.models import Endorsement

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/campaigns/keep-detection/feed/"
Status = Endorsement.Status


@pytest.fixture
def allies(make_endorsement) -> list[Endorsement]:
    made = [
        make_endorsement(status=Status.APPROVED, name="Harbor Light Trust"),
        make_endorsement(status=Status.APPROVED, name="Open Door Network", country="FR"),
    ]
    Endorsement.objects.filter(pk__in=[ally.pk for ally in made]).update(approved_at=timezone.now())
    return made


def _feed(client, **extra) -> ET.Element:
    response = client.get(FEED, **extra)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/atom+xml")
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def _text(element: ET.Element, name: str) -> str:
    child = element.find(f"{ATOM}{name}")
    assert child is not None, f"<{name}> is missing"
    return (child.text or "").strip()


def test_the_feed_has_every_element_rfc_4287_requires(client, allies):
    feed = _feed(client)

    assert _text(feed, "id")
    assert _text(feed, "title")
    assert _text(feed, "updated")
    author = feed.find(f"{ATOM}author")
    assert author is not None
    assert _text(author, "name")
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 2
    for entry in entries:
        assert _text(entry, "id")
        assert _text(entry, "title")
        assert _text(entry, "updated")
        assert entry.find(f"{ATOM}link").get("href").startswith("https://")
    assert len({_text(entry, "id") for entry in entries}) == 2


def test_the_feed_is_authored_by_the_campaign_and_never_by_an_applicant(client, allies):
    feed = _feed(client)

    author = feed.find(f"{ATOM}author")
    assert _text(author, "name") == "Keep detection legal"
    body = ET.tostring(feed, encoding="unicode")
    for ally in allies:
        assert ally.contact_email not in body
        assert ally.contact_name not in body
    assert author.find(f"{ATOM}email") is None


def test_an_empty_feed_still_names_its_author(client, campaign):
    feed = _feed(client)

    assert feed.findall(f"{ATOM}entry") == []
    assert _text(feed.find(f"{ATOM}author"), "name") == "Keep detection legal"


def test_the_feeds_links_and_ids_share_the_sites_address(client, allies, settings):
    settings.SITE_URL = "https://registry.example"

    # Asked for on another name of the same server, the feed still speaks of the site's own.
    feed = _feed(client, HTTP_HOST="localhost")

    alternate = feed.find(f"{ATOM}link[@rel='alternate']").get("href")
    self_link = feed.find(f"{ATOM}link[@rel='self']").get("href")
    assert alternate == "https://registry.example/campaigns/keep-detection/"
    assert self_link == "https://registry.example/campaigns/keep-detection/feed/"
    assert _text(feed, "id") == alternate
    for entry in feed.findall(f"{ATOM}entry"):
        assert _text(entry, "id").startswith(f"{alternate}#ally-")


def test_without_a_site_url_the_feed_follows_the_address_it_was_asked_on(client, allies, settings):
    settings.SITE_URL = ""

    feed = _feed(client)

    base = "http://testserver/campaigns/keep-detection/"
    assert feed.find(f"{ATOM}link[@rel='alternate']").get("href") == base
    assert feed.find(f"{ATOM}link[@rel='self']").get("href") == f"{base}feed/"
    assert _text(feed, "id") == base
    for entry in feed.findall(f"{ATOM}entry"):
        assert _text(entry, "id").startswith(f"{base}#ally-")
