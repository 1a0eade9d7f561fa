"""One query of allies for every surface: the wall, the embeds, the images, the feed and the API
read the same parameters (``coalition.wall.queries``), with the same messages."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from django.http import QueryDict
from django.utils import timezone
from hypothesis import given
from hypothesis import strategies as st
from rest_framework.test import APIClient

from coalition.models import Campaign, Endorsement
from coalition.wall import selectors
from coalition.wall.parameters import QueryError
from coalition.wall.queries import COUNTRY_CODES, LISTING, MAX_PAGE, SEARCH_MAX_LENGTH, AllyQuery

Status = Endorsement.Status


def parse(query_string: str, **kwargs) -> AllyQuery:
    return AllyQuery.parse(QueryDict(query_string), **kwargs)


def problems(query_string: str, **kwargs) -> dict[str, str]:
    with pytest.raises(QueryError) as raised:
        parse(query_string, **kwargs)
    return raised.value.problems


# The query itself


def test_q_and_search_are_two_spellings_of_one_parameter():
    assert parse("q=alpha").search == parse("search=alpha").search == "alpha"
    assert parse("q=alpha&search=alpha").search == "alpha"


def test_order_and_ordering_are_two_spellings_of_one_parameter_with_the_same_values():
    assert parse("order=newest").order == "newest"
    assert parse("ordering=-approved_at").order == "newest"
    assert parse("ordering=newest").order == parse("order=-approved_at").order == "newest"
    assert parse("ordering=name").order == "name"


def test_both_spellings_with_different_values_are_a_problem_naming_both():
    assert problems("q=alpha&search=beta") == {"search": "Give “search” or “q”, not both."}


def test_each_spelling_hears_the_order_in_its_own_words():
    assert problems("order=random") == {"order": "Order by “name” or “newest”, not “random”."}
    assert problems("ordering=-name", read=LISTING) == {
        "order": "Order by “name” or “-approved_at”, not “-name”."
    }


def test_every_parameter_at_fault_is_named_at_once():
    found = problems(
        "country=XX&sector=no%20slug&verified=maybe&order=random&page=0&q=" + "x" * 101
    )

    assert set(found) == {"country", "sector", "search", "verified", "order", "page"}


def test_a_page_reads_neither_the_campaign_nor_the_page_size():
    query = parse("campaign=other&page_size=3", campaign="keep-detection", page_size=200)

    assert (query.campaign, query.page_size) == ("keep-detection", 200)


def test_the_api_reads_the_campaign_and_the_page_size_within_its_limit():
    query = parse("campaign=other&page_size=3", read=LISTING, max_page_size=500)

    assert (query.campaign, query.page_size) == ("other", 3)
    assert set(problems("page_size=501", read=LISTING, max_page_size=500)) == {"page_size"}


def test_a_search_with_control_characters_or_too_long_is_refused():
    assert set(problems("q=a%09b")) == {"search"}
    assert set(problems("q=a%0Ab")) == {"search"}
    assert parse("q=" + "x" * SEARCH_MAX_LENGTH).search == "x" * SEARCH_MAX_LENGTH
    assert parse("q=%20%20spaced%20%20").search == "spaced"


def test_more_than_fifty_values_are_refused_before_any_is_looked_at():
    codes = sorted(COUNTRY_CODES)[:51]

    assert problems("country=" + ",".join(codes)) == {"country": "Give at most 50 values."}
    assert len(parse("country=" + ",".join(codes[:50])).countries) == 50


def test_unknown_sectors_are_named_together_with_the_other_problems():
    found = problems("country=XX&sector=ngo,nope,gone", known_sectors=["ngo"])

    assert found["country"].startswith("“XX” is not a country we know")
    assert found["sector"] == "“gone”, “nope” are not sectors we know."


slugs = st.from_regex(r"[a-z0-9_-]{1,20}", fullmatch=True)
queries = st.builds(
    AllyQuery,
    campaign=st.just("keep-detection"),
    countries=st.lists(st.sampled_from(sorted(COUNTRY_CODES)), max_size=5, unique=True).map(
        lambda codes: tuple(sorted(codes))
    ),
    sectors=st.lists(slugs, max_size=5, unique=True).map(lambda s: tuple(sorted(s))),
    search=st.text(
        st.characters(blacklist_categories=("Cc", "Cs")), max_size=SEARCH_MAX_LENGTH
    ).map(str.strip),
    verified=st.one_of(st.none(), st.booleans()),
    order=st.sampled_from(["name", "newest"]),
    page=st.integers(min_value=1, max_value=MAX_PAGE),
)


@given(query=queries)
def test_a_query_is_read_back_from_its_own_link(query):
    link = urlencode(query.to_params())

    assert parse(link, campaign="keep-detection") == query


# Every surface


@pytest.fixture
def allies(make_endorsement):
    now = timezone.now()
    for name, minutes, verified in [("Alpha", 20, True), ("Beta", 10, False), ("Gamma", 30, True)]:
        endorsement = make_endorsement(status=Status.APPROVED, name=name)
        Endorsement.objects.filter(pk=endorsement.pk).update(
            approved_at=now - timedelta(minutes=minutes), domain_verified=verified
        )


def wall_names(response) -> list[str]:
    return re.findall(
        r'<span class="(?:name|logo-text)"[^>]*>([^<]*)</span>', response.content.decode()
    )


def api_names(response) -> list[str]:
    return [ally["name"] for ally in response.json()["results"]]


def test_the_wall_and_the_api_take_either_spelling(client, allies):
    api = APIClient()

    assert wall_names(client.get("/?q=alp")) == wall_names(client.get("/?search=alp")) == ["Alpha"]
    assert api_names(api.get("/api/v1/allies/?q=alp")) == ["Alpha"]
    assert wall_names(client.get("/?ordering=-approved_at")) == ["Beta", "Alpha", "Gamma"]
    assert api_names(api.get("/api/v1/allies/?order=newest")) == ["Beta", "Alpha", "Gamma"]


def test_verified_filters_the_wall_its_images_and_the_api_alike(client, allies):
    svg = client.get("/campaigns/keep-detection/wall.svg?verified=true").content.decode()

    assert wall_names(client.get("/?verified=true")) == ["Alpha", "Gamma"]
    assert "Alpha" in svg
    assert "Beta" not in svg
    assert api_names(APIClient().get("/api/v1/allies/?verified=false")) == ["Beta"]


def test_a_bad_value_gets_the_same_message_on_a_page_and_in_the_api(client, allies):
    page = client.get("/?country=XX").content.decode()
    error = APIClient().get("/api/v1/allies/?country=XX").json()["errors"][0]
    message = "“XX” is not a country we know (use ISO 3166-1 alpha-2 codes such as DE)."

    assert f"Country: {message}" in page
    assert error["parameter"] == "country"
    assert error["message"].startswith(message)


def test_the_api_names_an_error_with_its_own_spelling_whichever_was_used(allies):
    error = APIClient().get("/api/v1/allies/?order=random").json()["errors"][0]

    assert error["parameter"] == "ordering"
    assert error["accepts"]


def test_both_spellings_at_odds_are_a_400_on_the_wall_and_in_the_api(client, allies):
    page = client.get("/?q=alpha&search=beta")
    api = APIClient().get("/api/v1/allies/?q=alpha&search=beta")

    assert page.status_code == api.status_code == 400
    assert "Search by name: Give “search” or “q”, not both." in page.content.decode()
    assert [error["parameter"] for error in api.json()["errors"]] == ["search"]


# Selectors answer with domain errors, each interface with its own answer


def test_selectors_raise_domain_errors_never_http_404(db):
    with pytest.raises(Campaign.DoesNotExist):
        selectors.campaign_get(slug=None)
    with pytest.raises(Campaign.DoesNotExist):
        selectors.campaign_get(slug="nope")
    with pytest.raises(Endorsement.DoesNotExist):
        selectors.ally_with_id(public_id="nope").get()
    with pytest.raises(Endorsement.DoesNotExist):
        selectors.ally_with_id(public_id="a\x00b").get()


def test_an_unknown_campaign_is_an_html_404_on_a_page_and_json_in_the_api(client, campaign):
    api = APIClient()

    assert client.get("/campaigns/nope/").status_code == 404
    assert client.get("/campaigns/nope/feed/").status_code == 404
    assert api.get("/api/v1/allies/?campaign=nope").json()["errors"][0]["parameter"] == "campaign"
    assert api.get("/api/v1/campaigns/nope/").status_code == 404
