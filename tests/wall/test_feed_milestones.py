"""The campaign's feed with its timeline (issue 22): an entry per milestone beside the allies',
newest first, each with its title, its day as published date, its link (or the campaign's
timeline) and an id that stays the same; in the reader's language. Checked with ElementTree
against RFC 4287, and read by feedparser as feed readers do."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import date, datetime
from datetime import timezone as dt_timezone

import feedparser
import pytest
from django.core.cache import cache

from coalition.models import Campaign, Endorsement, Milestone

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

ATOM = "{http://www.w3.org/2005/Atom}"
FEED = "/campaigns/keep-detection/feed/"
Status = Endorsement.Status


@pytest.fixture
def dated(campaign, make_endorsement) -> Campaign:
    campaign.time_zone = "Europe/Brussels"
    campaign.save()
    ally = make_endorsement(status=Status.APPROVED, name="Harbor Light Trust")
    Endorsement.objects.filter(pk=ally.pk).update(
        approved_at=datetime(2027, 4, 20, 10, 0, tzinfo=UTC)
    )
    Milestone.objects.create(
        campaign=campaign,
        date=date(2027, 5, 20),
        title_en="Plenary vote",
        title_fr="Vote en plénière",
    )
    Milestone.objects.create(
        campaign=campaign,
        date=date(2027, 4, 12),
        title_en="Letter handed to the LIBE committee",
        title_fr="Lettre remise à la commission LIBE",
        link_en="https://example.org/libe",
    )
    return campaign


def _entries(client, path: str = FEED, **extra) -> list[ET.Element]:
    response = client.get(path, **extra)
    assert response.status_code == 200
    feed = ET.fromstring(response.content)  # noqa: S314 - our own output
    return feed.findall(f"{ATOM}entry")


def _text(entry: ET.Element, name: str) -> str:
    child = entry.find(f"{ATOM}{name}")
    assert child is not None, f"<{name}> is missing"
    return (child.text or "").strip()


def test_each_milestone_is_an_entry_beside_the_allies_newest_first(client, dated):
    entries = _entries(client)

    assert [_text(entry, "title") for entry in entries] == [
        "Plenary vote",
        "Harbor Light Trust",
        "Letter handed to the LIBE committee",
    ]


def test_a_milestone_entry_has_its_day_its_link_and_a_stable_id(client, dated):
    vote, _ally, letter = _entries(client)
    # The campaign's page, on the site's address as this request sees it.
    page = vote.find(f"{ATOM}link").get("href").removesuffix("#timeline")

    # Midnight in Brussels (summer time: UTC+2).
    assert _text(letter, "published") == "2027-04-12T00:00:00+02:00"
    assert letter.find(f"{ATOM}link").get("href") == "https://example.org/libe"
    assert page.endswith("/campaigns/keep-detection/")
    milestone = Milestone.objects.get(title_en="Plenary vote")
    assert _text(vote, "id") == f"{page}#milestone-{milestone.pk}"
    for entry in (vote, letter):
        assert _text(entry, "updated")
        assert "on the timeline of Keep detection legal" in _text(entry, "summary")


def test_a_milestones_id_survives_a_change_of_its_title(client, dated):
    before = {_text(entry, "id") for entry in _entries(client)}
    milestone = Milestone.objects.get(title_en="Plenary vote")
    milestone.title_en = "Plenary vote postponed"
    milestone.save()
    cache.clear()

    entries = _entries(client)

    assert {_text(entry, "id") for entry in entries} == before
    assert "Plenary vote postponed" in [_text(entry, "title") for entry in entries]


def test_the_milestones_are_in_the_readers_language(client, dated):
    titles = [_text(entry, "title") for entry in _entries(client, f"/fr{FEED}")]

    assert "Vote en plénière" in titles
    assert "Lettre remise à la commission LIBE" in titles


def test_a_feed_without_milestones_lists_the_allies_alone(client, campaign, make_endorsement):
    make_endorsement(status=Status.APPROVED, name="Harbor Light Trust")

    assert [_text(entry, "title") for entry in _entries(client)] == ["Harbor Light Trust"]


def test_the_feed_parses_without_errors_in_a_feed_reader(client, dated):
    parsed = feedparser.parse(client.get(FEED).content)

    assert not parsed.bozo, parsed.get("bozo_exception")
    assert parsed.entries[0].title == "Plenary vote"
    assert len({entry.id for entry in parsed.entries}) == 3


def test_an_ally_without_an_approval_time_sorts_as_the_oldest_entry(client, dated):
    # Allies approved before approval times were kept have none: the feed still answers.
    Endorsement.objects.filter(status=Status.APPROVED).update(approved_at=None)

    titles = [_text(entry, "title") for entry in _entries(client)]

    assert titles[-1] == "Harbor Light Trust"
