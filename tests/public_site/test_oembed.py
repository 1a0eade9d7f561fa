"""``/oembed``: the answer oembed.com specifies, for the wall, a campaign's page and a filtered
wall of this site only, cached and purged like the embed; and the discovery links on the pages."""

from __future__ import annotations

import json
import re
from html import unescape
from urllib.parse import parse_qs, urlencode, urlsplit
from xml.etree import ElementTree

import pytest
from django.utils import timezone

from coalition import services
from coalition.models import Campaign, Endorsement
from coalition.publishing import cache_keys
from tests.wall_helpers import sector_tree

Status = Endorsement.Status
SITE = "http://testserver"
ANSWER_FIELDS = {
    "version",
    "type",
    "title",
    "provider_name",
    "provider_url",
    "html",
    "width",
    "height",
    "cache_age",
    "thumbnail_url",
    "thumbnail_width",
    "thumbnail_height",
}


@pytest.fixture
def allies(make_endorsement, db):
    sectors = sector_tree()
    make_endorsement(
        status=Status.APPROVED, name="German Hotline", country="DE", sector=sectors["hotline"]
    )
    make_endorsement(
        status=Status.APPROVED, name="Ελληνική Γραμμή 🛡", country="GR", sector=sectors["tech"]
    )
    make_endorsement(status=Status.PENDING, name="Not Yet Approved", country="FR")


@pytest.fixture
def second_campaign(db) -> Campaign:
    return Campaign.objects.create(
        slug="second-cause", title="A second cause", statement="Another statement."
    )


def ask(client, url: str, **params: str):
    return client.get("/oembed", {"url": url, **params})


def iframe_src(html: str) -> str:
    found = re.search(r'<iframe src="([^"]+)"', html)
    assert found, html
    return unescape(found[1])


def test_the_wall_gets_a_rich_answer_with_the_embeds_iframe(client, allies):
    response = ask(client, f"{SITE}/", format="json")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    data = json.loads(response.content)
    assert set(data) >= ANSWER_FIELDS
    assert data["version"] == "1.0"
    assert data["type"] == "rich"
    assert data["title"] == "Organizations standing with Keep detection legal"
    assert data["provider_url"] == f"{SITE}/"
    assert (data["width"], data["height"]) == (640, 600)
    # A link to the wall first (WordPress shows it until the frame speaks), then the frame.
    assert re.fullmatch(
        r'<blockquote style="display:none"><a href="http://testserver/">[^<]+</a></blockquote>'
        r"<iframe [^>]+></iframe>",
        data["html"],
    )
    assert f'width="{data["width"]}" height="{data["height"]}"' in data["html"]
    assert iframe_src(data["html"]) == f"{SITE}/embed/keep-detection/?lang=en"
    assert data["thumbnail_url"] == f"{SITE}/campaigns/keep-detection/share.png"
    assert (data["thumbnail_width"], data["thumbnail_height"]) == (1200, 630)
    assert isinstance(data["cache_age"], int)
    assert data["cache_age"] > 0


def test_the_iframe_it_points_to_shows_the_approved_allies_only(client, allies):
    data = ask(client, f"{SITE}/campaigns/keep-detection/").json()

    embed = client.get(iframe_src(data["html"]).removeprefix(SITE))

    assert embed.status_code == 200
    page = embed.content.decode()
    assert "German Hotline" in page
    assert "Ελληνική Γραμμή 🛡" in page
    assert "Not Yet Approved" not in page
    # Nothing about applicants in the answer itself.
    assert "@" not in json.dumps(data).replace("http://", "")


def test_a_campaign_page_in_french_gets_a_french_embed(client, allies, second_campaign):
    data = ask(client, f"{SITE}/fr/campaigns/second-cause/").json()

    src = iframe_src(data["html"])
    assert urlsplit(src).path == "/embed/second-cause/"
    assert parse_qs(urlsplit(src).query) == {"lang": ["fr"]}
    assert data["title"].startswith("Organisations") or "second cause" in data["title"]
    assert data["thumbnail_url"] == f"{SITE}/fr/campaigns/second-cause/share.png"


def test_a_filtered_wall_gets_an_iframe_with_the_same_filters(client, allies):
    url = f"{SITE}/campaigns/keep-detection/?sector=hotline&country=de,gr&q=Hotline&order=newest"

    data = ask(client, url).json()

    src = iframe_src(data["html"])
    assert parse_qs(urlsplit(src).query) == {
        "country": ["DE,GR"],
        "sector": ["hotline"],
        "q": ["Hotline"],
        "order": ["newest"],
        "lang": ["en"],
    }
    embed = client.get(src.removeprefix(SITE)).content.decode()
    assert "German Hotline" in embed
    assert "Ελληνική" not in embed


def test_tracking_parameters_and_the_page_number_are_left_out(client, allies):
    plain = ask(client, f"{SITE}/campaigns/keep-detection/?country=DE").json()
    tracked = ask(
        client,
        f"{SITE}/campaigns/keep-detection/?utm_source=news&country=DE&fbclid=x1&gclid=y&page=3"
        "&ref=partner&zz=1",
    ).json()

    assert tracked == plain
    assert iframe_src(tracked["html"]) == f"{SITE}/embed/keep-detection/?country=DE&lang=en"


@pytest.mark.parametrize(
    ("params", "width", "height"),
    [
        ({"maxwidth": "500"}, 500, 600),
        ({"maxheight": "300"}, 640, 300),
        ({"maxwidth": "2000", "maxheight": "1000"}, 640, 600),
        ({"maxwidth": "1", "maxheight": "1"}, 1, 1),
        ({"maxwidth": " 320 ", "maxheight": "0480"}, 320, 480),
    ],
)
def test_the_size_keeps_within_maxwidth_and_maxheight(client, allies, params, width, height):
    data = ask(client, f"{SITE}/", **params).json()

    assert (data["width"], data["height"]) == (width, height)
    assert f'width="{width}" height="{height}"' in data["html"]


@pytest.mark.parametrize("value", ["abc", "-5", "0", "1.5", "9" * 40, "٣٠٠"])
def test_a_bad_bound_is_a_400_saying_which(client, allies, value):
    response = ask(client, f"{SITE}/", maxwidth=value)

    assert response.status_code == 400
    assert "maxwidth" in response.content.decode()
    assert response["Content-Type"].startswith("text/plain")


def test_the_xml_format_says_the_same(client, allies):
    json_answer = ask(client, f"{SITE}/", maxwidth="480").json()
    response = ask(client, f"{SITE}/", maxwidth="480", format="xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/xml; charset=utf-8"
    root = ElementTree.fromstring(response.content)  # noqa: S314 - our own answer
    assert root.tag == "oembed"
    assert {child.tag: child.text for child in root} == {
        name: str(value) for name, value in json_answer.items()
    }


def test_another_format_is_not_implemented(client, allies):
    response = ask(client, f"{SITE}/", format="yaml")

    assert response.status_code == 501


@pytest.mark.parametrize(
    "url",
    [
        "https://evil.example/campaigns/keep-detection/",
        "http://testserver.evil.example/",
        "http://testserver:8080/",
        f"{SITE}/campaigns/keep-detection/apply/",
        f"{SITE}/manage/sometoken/",
        f"{SITE}/admin/",
        f"{SITE}/campaigns/no-such-cause/",
        f"{SITE}/xx/campaigns/keep-detection/",
    ],
)
def test_an_address_that_is_no_wall_of_this_site_is_a_404(client, allies, url):
    response = ask(client, url)

    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/plain")


def test_a_campaign_under_embargo_is_a_404_like_one_that_does_not_exist(
    client, allies, second_campaign
):
    second_campaign.publish_at = timezone.now() + timezone.timedelta(days=3)
    second_campaign.save()

    assert ask(client, f"{SITE}/campaigns/second-cause/").status_code == 404


@pytest.mark.parametrize(
    "url",
    ["", "   ", "not a url", "javascript:alert(1)", "ftp://testserver/", "http://[::1/", "//"],
)
def test_a_missing_or_malformed_address_is_a_400(client, allies, url):
    response = ask(client, url)

    assert response.status_code == 400
    assert "url" in response.content.decode()


def test_a_filter_the_wall_refuses_is_refused_with_the_walls_message(client, allies):
    bad_country = ask(client, f"{SITE}/?country=ZZ")
    bad_sector = ask(client, f"{SITE}/?sector=no-such-sector")
    wall_page = client.get("/?country=ZZ")

    assert bad_country.status_code == 400
    assert bad_sector.status_code == 400
    assert "no-such-sector" in bad_sector.content.decode()
    message = bad_country.content.decode().strip()
    assert message
    assert wall_page.status_code == 400
    assert message.split(": ", 1)[1] in unescape(wall_page.content.decode())


def test_the_answer_is_cached_public_and_named_after_its_campaign(client, allies):
    first = ask(client, f"{SITE}/campaigns/keep-detection/?country=DE")
    again = ask(client, f"{SITE}/campaigns/keep-detection/?country=DE&utm_medium=mail")
    revalidated = client.get(
        "/oembed",
        {"url": f"{SITE}/campaigns/keep-detection/?country=DE"},
        headers={"if-none-match": first["ETag"]},
    )

    assert first["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert revalidated.status_code == 304
    assert first["Cache-Control"].startswith("public, max-age=")
    assert first["Access-Control-Allow-Origin"] == "*"
    keys = first["xkey"].split()
    campaign = Campaign.objects.get(slug="keep-detection")
    assert cache_keys.campaign_key(campaign) in keys
    assert cache_keys.SITE_KEY in keys


def test_editing_the_campaign_moves_the_answer_on(
    client, allies, django_capture_on_commit_callbacks
):
    before = ask(client, f"{SITE}/campaigns/keep-detection/").json()
    campaign = Campaign.objects.get(slug="keep-detection")
    campaign.title = "Keep detection legal, renamed"
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_save(campaign=campaign)

    after = ask(client, f"{SITE}/campaigns/keep-detection/")

    assert after["X-Cache"] == "miss"
    assert after.json()["title"] != before["title"]
    assert "renamed" in after.json()["title"]


def test_the_oembed_query_is_cut_to_what_it_reads(client, allies):
    # WordPress adds dnt=1; a made-up parameter or a tracking one must not make a copy.
    first = ask(client, f"{SITE}/", maxwidth="600", maxheight="900", dnt="1")
    second = client.get(f"/oembed?utm_source=x&maxheight=900&url={SITE}/&maxwidth=600&zz=2")

    assert first.status_code == second.status_code == 200
    assert second["X-Cache"] == "hit"


def _discovery(page: str) -> dict[str, str]:
    links = re.findall(r'<link rel="alternate" type="([^"]+\+oembed)" href="([^"]+)"', page)
    return {kind: unescape(href) for kind, href in links}


@pytest.mark.parametrize(
    ("path", "page_url"),
    [
        ("/", f"{SITE}/"),
        ("/campaigns/keep-detection/", f"{SITE}/"),
        ("/fr/", f"{SITE}/fr/"),
    ],
)
def test_the_wall_pages_link_to_their_oembed_answer(client, allies, path, page_url):
    page = client.get(path).content.decode()

    found = _discovery(page)
    assert set(found) == {"application/json+oembed", "text/xml+oembed"}
    json_link = urlsplit(found["application/json+oembed"])
    assert f"{json_link.scheme}://{json_link.netloc}{json_link.path}" == f"{SITE}/oembed"
    assert parse_qs(json_link.query) == {"url": [page_url], "format": ["json"]}
    answer = client.get(found["application/json+oembed"].removeprefix(SITE))
    assert answer.status_code == 200
    assert answer.json()["type"] == "rich"


def test_a_filtered_wall_page_links_to_the_answer_with_its_filters(client, allies, second_campaign):
    page = client.get("/campaigns/second-cause/?country=de&page=1&utm_source=x").content.decode()

    found = _discovery(page)["application/json+oembed"]
    asked = parse_qs(urlsplit(found).query)["url"][0]
    assert asked == f"{SITE}/campaigns/second-cause/?{urlencode({'country': 'DE'})}"
    answer = client.get(found.removeprefix(SITE)).json()
    assert parse_qs(urlsplit(iframe_src(answer["html"])).query)["country"] == ["DE"]
