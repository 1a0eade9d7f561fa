"""A campaign's page with its dates (issue 22): the count of allies against the goal, the deadline
in the campaign's time zone and language, the timeline; and, once the deadline has passed, the
page says so even where a rendering of it was stored while it was open."""

from __future__ import annotations

import re
from datetime import date, datetime
from datetime import timezone as dt_timezone

import pytest
import time_machine

from coalition.campaigns import dates, page
from coalition.models import Campaign, Endorsement, Milestone
from tests.wall_helpers import bulk_allies, sector_tree

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

APPROVED = Endorsement.Status.APPROVED
# 23:59 in Brussels on 31 March 2027 (summer time since the 28th: UTC+2).
CLOSES_AT = datetime(2027, 3, 31, 21, 59, tzinfo=UTC)
BEFORE = datetime(2027, 3, 1, 12, 0, tzinfo=UTC)
AFTER = datetime(2027, 4, 1, 8, 0, tzinfo=UTC)


@pytest.fixture
def sectors(db):
    return sector_tree()


@pytest.fixture
def dated(campaign) -> Campaign:
    campaign.goal = 500
    campaign.closes_at = CLOSES_AT
    campaign.time_zone = "Europe/Brussels"
    campaign.save()
    Milestone.objects.create(
        campaign=campaign,
        date=date(2027, 5, 20),
        title_en="Plenary vote",
        title_fr="Vote en plénière",
        title_de="Abstimmung im Plenum",
    )
    Milestone.objects.create(
        campaign=campaign,
        date=date(2027, 4, 12),
        title_en="Letter handed to the LIBE committee",
        title_fr="Lettre remise à la commission LIBE",
        link_en="https://example.org/libe",
        link_fr="https://example.org/fr/libe",
    )
    return campaign


def text_of(response) -> str:
    assert response.status_code == 200
    body = response.content.decode()
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


def test_the_page_shows_the_count_against_the_goal_with_an_accessible_bar(client, dated, sectors):
    bulk_allies(dated, sectors["tech"], 128)

    with time_machine.travel(BEFORE, tick=False):
        response = client.get("/")

    body = response.content.decode()
    assert "128 of 500 organizations" in text_of(response)
    bar = re.search(r"<progress[^>]*>", body).group(0)
    assert 'max="500"' in bar
    assert 'value="128"' in bar
    assert 'aria-labelledby="goal-text"' in bar
    assert 'id="goal-text"' in body


def test_a_campaign_past_its_goal_shows_a_full_bar_and_the_true_count(client, campaign, sectors):
    campaign.goal = 3
    campaign.save()
    bulk_allies(campaign, sectors["tech"], 5)

    response = client.get("/")

    assert "5 of 3 organizations" in text_of(response)
    assert 'value="3"' in re.search(r"<progress[^>]*>", response.content.decode()).group(0)


def test_the_deadline_is_said_in_the_campaigns_zone_and_the_visitors_language(client, dated):
    with time_machine.travel(BEFORE, tick=False):
        english = text_of(client.get("/"))
        french = text_of(client.get("/fr/"))
        german = text_of(client.get("/de/"))

    assert "Applications close on 31 March 2027, 23:59 (Europe/Brussels)." in english
    assert "Les candidatures sont ouvertes jusqu’au 31 mars 2027 à 23:59 (Europe/Brussels)." in (
        french
    )
    assert "Anmeldungen sind bis zum 31. März 2027, 23:59 Uhr (Europe/Brussels) möglich." in german
    assert "Sign on" in english


def test_after_the_deadline_the_page_says_closed_and_offers_no_sign_on(client, dated):
    with time_machine.travel(AFTER, tick=False):
        response = client.get("/")

    text = text_of(response)
    assert "Applications closed on 31 March 2027, 23:59 (Europe/Brussels)." in text
    assert 'class="button sign-on"' not in response.content.decode()


def test_the_timeline_lists_the_milestones_by_date_in_the_visitors_language(client, dated):
    english = client.get("/")
    french = client.get("/fr/")

    english_text = text_of(english)
    assert "Timeline" in english_text
    libe = english_text.index("12 April 2027 Letter handed to the LIBE committee")
    vote = english_text.index("20 May 2027 Plenary vote")
    assert libe < vote
    assert '<a href="https://example.org/libe">' in english.content.decode()
    assert '<time datetime="2027-04-12">' in english.content.decode()
    french_text = text_of(french)
    assert "Calendrier" in french_text
    assert "12 avril 2027 Lettre remise à la commission LIBE" in french_text
    assert "20 mai 2027 Vote en plénière" in french_text
    assert '<a href="https://example.org/fr/libe">' in french.content.decode()


def test_a_milestone_without_a_translation_shows_in_english(client, dated):
    Milestone.objects.create(campaign=dated, date=date(2027, 6, 1), title_en="Trilogue")

    assert "1 juin 2027 Trilogue" in text_of(client.get("/fr/"))


def test_nothing_is_shown_without_a_goal_a_deadline_or_a_timeline(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 4)

    response = client.get("/")

    body = response.content.decode()
    assert "<progress" not in body
    assert "Applications close" not in body
    assert 'class="deadline' not in body
    assert 'id="timeline"' not in body
    assert "4 organizations stand together" in text_of(response)


def test_the_count_against_the_goal_is_the_walls_own_count(dated):
    """``goal_progress`` takes the wall's count (``ally_count``): the page counts nothing
    again."""
    goal = page.goal_progress(dated, 128)

    assert goal.text == "128 of 500 organizations"
    assert (goal.shown, goal.goal, goal.percent) == (128, 500, 26)
    assert page.goal_progress(Campaign(goal=None), 5) is None


def test_a_goal_of_one_reads_in_the_singular(db):
    assert page.goal_progress(Campaign(goal=1), 0).text == "0 of 1 organization"


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_page_stored_while_open_says_closed_once_the_deadline_has_passed(client, dated):
    with time_machine.travel(BEFORE, tick=False):
        dates.worker_step()  # as the worker's every pass: the moments to come, told
        first = client.get("/")
        again = client.get("/")

    with time_machine.travel(AFTER, tick=False):
        later = client.get("/")

    assert "Applications close on" in text_of(first)
    assert again["X-Cache"] == "hit"
    assert "Applications closed on" in text_of(later)
    assert later["ETag"] != first["ETag"]


def test_a_stored_page_is_kept_by_no_cache_past_the_deadline(client, dated):
    with time_machine.travel(datetime(2027, 3, 31, 21, 58, tzinfo=UTC), tick=False):
        dates.worker_step()
        response = client.get("/")

    max_age = int(re.search(r"max-age=(\d+)", response["Cache-Control"]).group(1))
    s_maxage = int(re.search(r"s-maxage=(\d+)", response["Cache-Control"]).group(1))
    assert max_age <= 60
    assert s_maxage <= 60


def test_the_embed_offers_no_sign_on_once_the_deadline_has_passed(client, dated):
    with time_machine.travel(BEFORE, tick=False):
        dates.worker_step()
        before = client.get("/embed/keep-detection/").content.decode()
    with time_machine.travel(AFTER, tick=False):
        after = client.get("/embed/keep-detection/").content.decode()

    assert ">Sign on</a>" in before
    assert ">Sign on</a>" not in after
