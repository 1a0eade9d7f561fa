"""The API's campaign object with its dates (issue 22): goal, closes_at, publish_at (null once
public), time_zone and the timeline in the requested language; and the schema that says so."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.db.models import Count
from django.utils import timezone
from rest_framework.test import APIClient

from api.serializers import CampaignSerializer
from coalition.models import Campaign, Milestone

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

DETAIL = "/api/v1/campaigns/keep-detection/"
CLOSES_AT = datetime(2027, 3, 31, 21, 59, tzinfo=UTC)


@pytest.fixture
def api() -> APIClient:
    return APIClient()


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


def test_the_campaign_carries_its_goal_deadline_zone_and_timeline(api, dated):
    with time_machine.travel(datetime(2027, 3, 1, tzinfo=UTC), tick=False):
        campaign = api.get(DETAIL).json()

    assert campaign["goal"] == 500
    assert campaign["closes_at"] == "2027-03-31T21:59:00Z"
    assert campaign["publish_at"] is None
    assert campaign["time_zone"] == "Europe/Brussels"
    assert campaign["accepts_applications"] is True
    assert campaign["timeline"] == [
        {
            "date": "2027-04-12",
            "title": "Letter handed to the LIBE committee",
            "link": "https://example.org/libe",
        },
        {"date": "2027-05-20", "title": "Plenary vote", "link": None},
    ]


def test_the_timeline_is_in_the_language_asked_for(api, dated):
    by_parameter = api.get(DETAIL, {"lang": "fr"}).json()
    by_header = api.get(DETAIL, HTTP_ACCEPT_LANGUAGE="fr").json()

    for answer in (by_parameter, by_header):
        assert [step["title"] for step in answer["timeline"]] == [
            "Lettre remise à la commission LIBE",
            "Vote en plénière",
        ]
        assert answer["timeline"][0]["link"] == "https://example.org/fr/libe"


def test_a_step_without_a_translation_falls_back_to_english(api, dated):
    Milestone.objects.create(campaign=dated, date=date(2027, 6, 1), title_en="Trilogue")

    answer = api.get(DETAIL, {"lang": "de"}).json()

    assert answer["timeline"][-1]["title"] == "Trilogue"
    assert answer["timeline"][0]["title"] == "Letter handed to the LIBE committee"


def test_a_campaign_without_dates_says_null_and_an_empty_timeline(api, campaign):
    answer = api.get(DETAIL).json()

    assert answer["goal"] is None
    assert answer["closes_at"] is None
    assert answer["publish_at"] is None
    assert answer["time_zone"] == "UTC"
    assert answer["timeline"] == []


def test_publish_at_is_null_once_the_campaign_is_public(api, campaign):
    campaign.publish_at = timezone.now() - timedelta(days=1)
    campaign.save()

    assert api.get(DETAIL).json()["publish_at"] is None


def test_publish_at_is_given_while_the_campaign_is_not_yet_public(dated):
    """The serializer's own rule; the public API does not find an embargoed campaign at all."""
    dated.publish_at = datetime(2027, 6, 1, 8, 0, tzinfo=UTC)
    dated.save()
    annotated = (
        Campaign.objects.filter(pk=dated.pk)
        .annotate(ally_count=Count("endorsements"))
        .prefetch_related("milestones")
        .get()
    )

    with time_machine.travel(datetime(2027, 5, 1, tzinfo=UTC), tick=False):
        before = CampaignSerializer(annotated).data
    with time_machine.travel(datetime(2027, 6, 2, tzinfo=UTC), tick=False):
        after = CampaignSerializer(annotated).data

    assert before["publish_at"] == "2027-06-01T08:00:00Z"
    assert after["publish_at"] is None


def test_past_its_deadline_the_campaign_accepts_no_applications(api, dated):
    with time_machine.travel(datetime(2027, 4, 1, tzinfo=UTC), tick=False):
        campaign = api.get(DETAIL).json()

    assert campaign["accepts_applications"] is False
    assert campaign["closes_at"] == "2027-03-31T21:59:00Z"


def test_the_list_carries_each_campaigns_timeline_in_a_fixed_number_of_queries(
    api, dated, django_assert_max_num_queries
):
    other = Campaign.objects.create(slug="second", title="Second", statement="Second.")
    for day in range(1, 6):
        Milestone.objects.create(campaign=other, date=date(2027, 1, day), title_en=f"Step {day}")

    # The campaigns with their counts, and every timeline: two, however many campaigns.
    with django_assert_max_num_queries(2):
        listing = api.get("/api/v1/campaigns/").json()

    by_slug = {campaign["slug"]: campaign for campaign in listing}
    assert len(by_slug["second"]["timeline"]) == 5
    assert len(by_slug["keep-detection"]["timeline"]) == 2


def test_the_schema_documents_the_dates_and_the_timeline(client, db):
    document = client.get("/api/schema/?format=json").json()
    campaign = document["components"]["schemas"]["Campaign"]
    milestone = document["components"]["schemas"]["Milestone"]
    detail = document["paths"]["/api/v1/campaigns/{slug}/"]["get"]

    properties = campaign["properties"]
    assert {"goal", "closes_at", "publish_at", "time_zone", "timeline"} <= set(properties)
    assert properties["goal"]["nullable"] is True
    assert properties["closes_at"]["format"] == "date-time"
    assert properties["publish_at"]["nullable"] is True
    assert properties["timeline"]["items"]["$ref"] == "#/components/schemas/Milestone"
    assert set(milestone["properties"]) == {"date", "title", "link"}
    assert milestone["properties"]["date"]["format"] == "date"
    assert milestone["properties"]["link"]["nullable"] is True
    assert "lang" in {parameter["name"] for parameter in detail["parameters"]}
