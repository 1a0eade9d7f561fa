"""The map of allies: ``/campaigns/<slug>/map.svg`` and the map with its table on the page."""

from __future__ import annotations

import io
import json
import re
import xml.etree.ElementTree as ET

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext

from coalition import services
from coalition.campaigns import worldmap
from coalition.images import colours
from coalition.models import Campaign, Endorsement
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, sector_tree

SVG = "{http://www.w3.org/2000/svg}"
MAP = "/campaigns/keep-detection/map.svg"


@pytest.fixture
def sectors(db):
    return sector_tree()


@pytest.fixture
def allies(campaign, sectors) -> Campaign:
    """Five allies in Germany (two of them NGOs), two in France, one in Luxembourg."""
    bulk_allies(campaign, sectors["tech"], 3, country="DE")
    bulk_allies(campaign, sectors["ngo"], 2, country="DE")
    bulk_allies(campaign, sectors["tech"], 2, country="FR")
    bulk_allies(campaign, sectors["tech"], 1, country="LU")
    return campaign


def parsed(response) -> ET.Element:
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    return ET.fromstring(response.content)  # noqa: S314 - our own output


def country_links(root: ET.Element) -> dict[str, str]:
    """Each linked country's <title>, by the country code its link filters on."""
    links = {}
    for link in root.iter(f"{SVG}a"):
        code = re.search(r"country=([A-Z]{2})", link.get("href")).group(1)
        links[code] = link.find(f"{SVG}title").text
    return links


def test_the_map_is_an_svg_image_with_a_title_and_a_link_per_country(client, allies):
    root = parsed(client.get(MAP))

    assert root.get("role") == "img"
    assert root.find(f"{SVG}title").text == "Keep detection legal: organizations by country"
    assert root.find(f"{SVG}desc").text == "8 organizations in 3 countries."
    assert country_links(root) == {
        "DE": "Germany: 5 organizations",
        "FR": "France: 2 organizations",
        "LU": "Luxembourg: 1 organization",
    }


def test_each_country_links_to_the_wall_filtered_to_it(client, allies, settings):
    settings.SITE_URL = "https://coalition.example.org"

    root = parsed(client.get(MAP))

    hrefs = sorted(link.get("href") for link in root.iter(f"{SVG}a"))
    assert hrefs == [
        "https://coalition.example.org/campaigns/keep-detection/?country=DE",
        "https://coalition.example.org/campaigns/keep-detection/?country=FR",
        "https://coalition.example.org/campaigns/keep-detection/?country=LU",
    ]


def test_the_map_takes_the_walls_filters(client, allies):
    root = parsed(client.get(f"{MAP}?sector=ngo"))

    assert country_links(root) == {"DE": "Germany: 2 organizations"}
    assert next(root.iter(f"{SVG}a")).get("href").endswith("?country=DE&sector=ngo")


def test_the_titles_are_in_the_maps_language(client, allies):
    root = parsed(client.get(f"/de{MAP}"))

    assert country_links(root)["DE"].startswith("Deutschland: 5")
    assert client.get(f"/de{MAP}")["Content-Language"] == "de"


def test_countries_are_shaded_by_their_number_with_a_legend(client, allies):
    root = parsed(client.get(MAP))

    fills = {
        re.search(r"country=([A-Z]{2})", link.get("href")).group(1): link.find(f"{SVG}path").get(
            "fill"
        )
        for link in root.iter(f"{SVG}a")
    }
    accent = colours.DEFAULT_ACCENT
    assert fills["DE"] == accent  # the most allies: the accent itself
    assert len(set(fills.values())) == 3
    legend = " ".join(text.text for text in root.iter(f"{SVG}text"))
    assert "Organizations per country:" in legend
    assert "none" in legend
    # Up to five counts, a class each.
    assert "country: none 1 2 3 4 5 Map shapes: MapSVG, CC BY 4.0" in legend


def test_the_map_follows_the_campaigns_accent(client, allies):
    Campaign.objects.filter(pk=allies.pk).update(accent_color="#1d4ed8")
    services.public_version_bump()

    root = parsed(client.get(MAP))

    assert "#1d4ed8" in {path.get("fill") for path in root.iter(f"{SVG}path")}


def test_small_countries_stay_clickable_with_a_marker(client, allies, sectors):
    # With allies across the ocean the map shows the world, where Luxembourg is a speck.
    bulk_allies(allies, sectors["tech"], 1, country="US")
    root = parsed(client.get(MAP))

    markers = {
        re.search(r"country=([A-Z]{2})", link.get("href")).group(1)
        for link in root.iter(f"{SVG}a")
        if link.find(f"{SVG}circle") is not None
    }
    assert markers == {"LU"}


@pytest.mark.parametrize("hostile", HOSTILE_NAMES)
def test_hostile_names_are_escaped_in_the_maps_titles(client, campaign, sectors, hostile):
    Campaign.objects.filter(pk=campaign.pk).update(title_en=hostile)
    bulk_allies(campaign, sectors["tech"], 1, country="DE", prefix=hostile)

    response = client.get(MAP)
    root = parsed(response)  # well-formed XML whatever the names

    assert root.find(f"{SVG}title").text.startswith(hostile.split("\u202e")[0])
    assert b"<script" not in response.content
    assert b"<img" not in response.content
    assert b"<![CDATA[" not in response.content


def test_the_map_is_small(client, allies):
    assert len(client.get(MAP).content) < 80_000
    assert len(client.get("/campaigns/keep-detection/map.svg?country=US").content) < 120_000


def test_the_map_zooms_to_the_countries_with_allies(client, allies):
    view = [
        float(part) for part in parsed(client.get(MAP)).find(f"{SVG}svg").get("viewBox").split()
    ]

    # Germany, France and Luxembourg: a part of Europe, not the world (1010 units wide).
    assert view[2] < 300
    assert view[0] < 461  # France's west
    assert view[0] + view[2] > 517  # Germany's east


def test_an_empty_campaign_shows_the_whole_world(client, campaign):
    root = parsed(client.get(MAP))

    assert root.find(f"{SVG}desc").text == "No organization has signed on yet."
    assert list(root.iter(f"{SVG}a")) == []
    assert root.find(f"{SVG}svg").get("viewBox") == "0 0 1010 666"


def test_the_map_is_cached_and_purged_like_the_wall(client, allies, sectors):
    first = client.get(MAP)
    with CaptureQueriesContext(connection) as queries:
        again = client.get(MAP)
        not_modified = client.get(MAP, HTTP_IF_NONE_MATCH=first["ETag"])

    assert len(queries) == 0
    assert again.content == first.content
    assert not_modified.status_code == 304
    assert "campaign-" in first["xkey"].split()[1]
    assert first["xkey"].split()[0] == "site"
    assert "s-maxage=300" in first["Cache-Control"]

    bulk_allies(allies, sectors["tech"], 1, country="IT")
    services.public_version_bump()

    assert "IT" in country_links(parsed(client.get(MAP)))


def test_the_map_opened_on_its_own_runs_nothing(client, allies):
    response = client.get(MAP)

    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Access-Control-Allow-Origin"] == "*"


def test_bad_filters_are_a_400_and_an_unknown_campaign_a_404(client, allies):
    assert client.get(f"{MAP}?country=XX").status_code == 400
    assert client.get(f"{MAP}?sector=nope").status_code == 400
    assert client.get("/campaigns/nope/map.svg").status_code == 404


def test_only_approved_allies_are_on_the_map(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 1, country="DE")
    bulk_allies(campaign, sectors["tech"], 4, country="PL", status=Endorsement.Status.PENDING)

    assert set(country_links(parsed(client.get(MAP)))) == {"DE"}


def test_the_page_shows_the_map_and_a_table_of_the_same_numbers(client, allies):
    body = client.get("/").content.decode()

    assert '<svg xmlns="http://www.w3.org/2000/svg"' in body
    table = body.split('<table class="map-table">')[1].split("</table>")[0]
    rows = re.findall(
        r'<th scope="row"><a href="([^"]+)">([^<]+)</a></th><td class="number">(\d+)</td>', table
    )
    assert rows == [
        ("/?country=DE#wall-heading", "Germany", "5"),
        ("/?country=FR#wall-heading", "France", "2"),
        ("/?country=LU#wall-heading", "Luxembourg", "1"),
    ]
    # The map is for the eye and the mouse: the keyboard and screen readers use the table.
    svg = body.split('<div class="map-figure">')[1].split("</svg>")[0]
    assert 'aria-hidden="true"' in svg.split(">")[0]
    assert 'role="img"' not in svg
    assert svg.count('tabindex="-1"') == 3
    assert "MapSVG" in body
    assert "CC BY 4.0" in body


def test_the_table_is_in_the_pages_language(client, allies):
    body = client.get("/fr/").content.decode()

    assert '<a href="/fr/?country=DE#wall-heading">Allemagne</a>' in body


# The map's classes and its data


@pytest.mark.parametrize(
    ("maximum", "labels"),
    [
        (1, ["1"]),
        (3, ["1", "2", "3"]),
        (6, ["1", "2", "3–4", "5–6"]),
        (37, ["1", "2–4", "5–9", "10–19", "20–37"]),
        (1000, ["1–2", "3–19", "20–49", "50–299", "300–1000"]),
    ],
)
def test_the_legend_classes_are_few_and_nicely_bounded(maximum, labels):
    classes = worldmap.legend_classes(maximum, colours.parse_hex("#0b6e4f"))

    assert [c.label for c in classes] == labels
    assert classes[-1].colour == "#0b6e4f"


def test_every_shape_is_a_country_we_can_name_with_its_licence_beside_it():
    from django_countries import countries

    world = worldmap.world()

    assert len(world.shapes) > 240
    assert {"DE", "FR", "MT", "LU", "SG", "US", "BR"} <= set(world.shapes)
    unknown = [code for code in world.shapes if not countries.name(code)]
    assert unknown in ([], ["XK"])
    licence = (worldmap.DATA.parent / "LICENSE-world-map.md").read_text()
    assert "Creative Commons Attribution 4.0" in licence
    assert "MapSVG" in licence


def test_the_vendoring_command_converts_and_simplifies_the_source(tmp_path):
    source = tmp_path / "index.js"
    square = "m 10,10 " + " ".join(["1,0"] * 20) + " 0,20 -20,0 z"
    data = {
        "label": "Map",
        "viewBox": "0 0 100 100",
        "locations": [
            {"id": "de", "name": "Germany", "path": square},
            {"id": "um-dq", "name": "Islet", "path": "m 1,1 1,0 0,1 z"},
        ],
    }
    source.write_text(f"export default {json.dumps(data)}")
    output = tmp_path / "world.json"

    call_command("vendor_world_map", str(source), "--output", str(output), stdout=io.StringIO())

    written = json.loads(output.read_text())
    assert set(written["countries"]) == {"DE"}
    germany = written["countries"]["DE"]
    assert germany["box"] == [10.0, 10.0, 30.0, 30.0]
    assert germany["d"] == "M10 10l20 0 0 20-20 0z"  # the 20 steps along one side are one
