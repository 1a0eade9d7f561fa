"""The campaign page's JSON-LD: the organizer, the page and exactly the allies its wall shows,
read back from the rendered HTML by extruct (as search engines' extractors read it) and
expanded by a JSON-LD processor (PyLD)."""

from __future__ import annotations

import html
import re

import extruct
import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from pyld import jsonld

from coalition import services
from coalition.models import Campaign, Endorsement, Organization
from coalition.wall import structured_data
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, make_logo

Status = Endorsement.Status
SCHEMA = "http://schema.org/"
SITE = "https://coalition.example"

# The part of schema.org's own context (https://schema.org/docs/jsonldcontext.jsonld) that these
# documents use, served locally: the tests make no network request. As there, the vocabulary
# is http://schema.org/ and url, logo, mainEntity and publisher take IRIs.
SCHEMA_CONTEXT = {
    "@context": {
        "@vocab": SCHEMA,
        "schema": SCHEMA,
        "url": {"@id": "schema:url", "@type": "@id"},
        "logo": {"@id": "schema:logo", "@type": "@id"},
        "mainEntity": {"@id": "schema:mainEntity", "@type": "@id"},
        "publisher": {"@id": "schema:publisher", "@type": "@id"},
    }
}


def load_schema_org(url: str, options: dict | None = None) -> dict:
    assert url.rstrip("/") in ("https://schema.org", "http://schema.org"), url
    return {"contextUrl": None, "documentUrl": url, "document": SCHEMA_CONTEXT}


def json_ld(body: str, url: str = f"{SITE}/") -> dict:
    """The page's one JSON-LD document, as extruct extracts it."""
    documents = extruct.extract(body, base_url=url, syntaxes=["json-ld"], uniform=False)["json-ld"]
    assert len(documents) == 1
    return documents[0]


def expanded(document: dict) -> list[dict]:
    return jsonld.expand(document, {"documentLoader": load_schema_org})


def by_type(document: dict, kind: str) -> dict:
    [node] = [node for node in document["@graph"] if node["@type"] == kind]
    return node


def ally_names(document: dict) -> list[str]:
    return [element["item"]["name"] for element in by_type(document, "ItemList")["itemListElement"]]


def names_on(body: str) -> list[str]:
    """The allies' names as the wall's tiles show them (image alt, or the name alone)."""
    wall = body.split('<ul class="wall', 1)[1].split("</ul>", 1)[0]
    tiles = re.findall(r'alt="([^"]*)"|<span class="logo-text">([^<]*)</span>', wall)
    return [html.unescape(alt or text) for alt, text in tiles]


@pytest.fixture
def site_url(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def organized(campaign) -> Campaign:
    campaign.organizer_name = "Child Safety Alliance"
    campaign.organizer_website = "https://childsafety.example.org"
    campaign.organizer_logo = make_logo((20, 90, 160))
    campaign.lead = "Keep detection of known abuse material legal."
    campaign.save()
    services.public_version_bump()
    return campaign


def test_the_campaign_page_names_its_organizer_page_and_allies(
    client, site_url, organized, make_endorsement
):
    ally = make_endorsement(status=Status.APPROVED, name="Visible Trust", country="BE")
    Organization.objects.filter(pk=ally.organization_id).update(logo=make_logo())
    second = make_endorsement(status=Status.APPROVED, name="Second Alliance", country="FR")

    document = json_ld(client.get("/").content.decode())

    logo = Organization.objects.get(pk=ally.organization_id).logo
    organizer = by_type(document, "Organization")
    assert organizer == {
        "@type": "Organization",
        "@id": f"{SITE}/#organizer",
        "name": "Child Safety Alliance",
        "url": "https://childsafety.example.org",
        "logo": f"{SITE}{organized.organizer_logo.png.url}",
    }
    page = by_type(document, "WebPage")
    assert page["url"] == f"{SITE}/"
    assert page["name"] == "Keep detection legal"
    assert page["description"] == "Keep detection of known abuse material legal."
    assert page["inLanguage"] == "en"
    assert page["publisher"] == {"@id": f"{SITE}/#organizer"}
    allies = by_type(document, "ItemList")
    assert page["mainEntity"] == {"@id": allies["@id"]}
    assert allies["numberOfItems"] == 2
    assert allies["itemListElement"] == [
        {
            "@type": "ListItem",
            "position": 1,
            "item": {
                "@type": "Organization",
                "name": "Second Alliance",
                "url": second.organization.website,
                "address": {"@type": "PostalAddress", "addressCountry": "FR"},
            },
        },
        {
            "@type": "ListItem",
            "position": 2,
            "item": {
                "@type": "Organization",
                "name": "Visible Trust",
                "url": ally.organization.website,
                "logo": f"{SITE}{logo.png.url}",
                "address": {"@type": "PostalAddress", "addressCountry": "BE"},
            },
        },
    ]


def test_a_json_ld_processor_expands_it_to_schema_org_terms(
    client, site_url, organized, make_endorsement
):
    ally = make_endorsement(status=Status.APPROVED, name="Visible Trust", country="BE")
    Organization.objects.filter(pk=ally.organization_id).update(logo=make_logo())

    nodes = expanded(json_ld(client.get("/").content.decode()))

    types = {node["@id"]: node["@type"] for node in nodes}
    assert types[f"{SITE}/#organizer"] == [f"{SCHEMA}Organization"]
    assert types[f"{SITE}/"] == [f"{SCHEMA}WebPage"]
    [item_list] = [node for node in nodes if node["@type"] == [f"{SCHEMA}ItemList"]]
    [element] = item_list[f"{SCHEMA}itemListElement"]
    [organization] = element[f"{SCHEMA}item"]
    assert organization[f"{SCHEMA}name"] == [{"@value": "Visible Trust"}]
    assert organization[f"{SCHEMA}url"] == [{"@id": ally.organization.website}]
    assert organization[f"{SCHEMA}logo"][0]["@id"].startswith(f"{SITE}/media/logos/")
    [address] = organization[f"{SCHEMA}address"]
    assert address["@type"] == [f"{SCHEMA}PostalAddress"]
    assert address[f"{SCHEMA}addressCountry"] == [{"@value": "BE"}]
    # And as RDF: one organization per ally, and the organizer.
    quads = jsonld.to_rdf(
        json_ld(client.get("/").content.decode()),
        {"documentLoader": load_schema_org, "format": "application/n-quads"},
    )
    assert quads.count(f"<{SCHEMA}Organization>") == 2


@pytest.mark.parametrize("query", ["", "?country=FR", "?order=newest", "?q=alliance"])
def test_the_json_ld_lists_the_allies_the_page_shows(client, make_endorsement, query):
    for name, country in [("Alpha Alliance", "FR"), ("Beta Trust", "DE"), ("Gamma Alliance", "FR")]:
        make_endorsement(status=Status.APPROVED, name=name, country=country)

    body = client.get(f"/{query}").content.decode()

    assert ally_names(json_ld(body)) == names_on(body)
    assert names_on(body)


def test_a_later_page_lists_its_own_allies_at_their_positions(client, site_url, campaign, sector):
    # Numbered by a counter the whole session shares: the page's order is by name.
    names = sorted(ally.organization.name for ally in bulk_allies(campaign, sector, 203))

    body = client.get("/?page=2").content.decode()

    document = json_ld(body, f"{SITE}/?page=2")
    allies = by_type(document, "ItemList")
    assert ally_names(document) == names_on(body) == names[200:]
    assert [element["position"] for element in allies["itemListElement"]] == [201, 202, 203]
    assert allies["numberOfItems"] == 203
    page = by_type(document, "WebPage")
    assert page["url"] == f"{SITE}/?page=2"
    assert page["isPartOf"]["url"] == f"{SITE}/"


def test_nothing_but_approved_allies_and_their_public_fields(client, make_endorsement):
    make_endorsement(status=Status.APPROVED, name="Approved Ally")
    for status in (Status.UNCONFIRMED, Status.PENDING, Status.REJECTED, Status.WITHDRAWN):
        make_endorsement(status=status, name=f"Hidden {status}")

    body = client.get("/").content.decode()
    document = json_ld(body)

    assert ally_names(document) == ["Approved Ally"]
    text = str(document)
    assert "Hidden" not in text
    assert "@" not in text.replace("'@", "")  # no contact address
    assert "Contact" not in text


def test_hostile_names_cannot_leave_the_script(client, make_endorsement):
    hostile = [
        *HOSTILE_NAMES,
        "</script><script>alert(1)</script>",
        "<!-- <script>",
        "Ελληνική Ένωση 🛡️",
    ]
    for name in hostile:
        make_endorsement(status=Status.APPROVED, name=name)

    body = client.get("/").content.decode()

    assert sorted(ally_names(json_ld(body))) == sorted(hostile)
    block = body.split('<script type="application/ld+json">', 1)[1].split("</script>", 1)[0]
    assert "<" not in block
    assert ">" not in block
    assert "Ελληνική Ένωση 🛡️" in block  # kept as text, not escaped needlessly


def test_building_it_reads_nothing_from_the_database(campaign):
    tile = {
        "public_id": "abc",
        "name": "Tile Org",
        "website": "https://tile.example.org",
        "country": "DE",
        "logo": False,
        "png_url": "",
    }
    with CaptureQueriesContext(connection) as queries:
        data = structured_data.campaign_page(
            campaign=campaign,
            canonical_url=f"{SITE}/",
            page_url=f"{SITE}/",
            site_name="Coalition Registry",
            organizer_logo=None,
            items=[tile],
            first_position=1,
            total=1,
        )
        structured_data.script(data)

    assert len(queries) == 0
    assert by_type(data, "Organization")["name"] == "Coalition Registry"


def test_the_page_costs_no_query_more_for_it(client, campaign, sector, monkeypatch):
    bulk_allies(campaign, sector, 20, logo=make_logo())

    def page_queries() -> tuple[int, str]:
        services.public_version_bump()
        with CaptureQueriesContext(connection) as queries:
            body = client.get("/").content.decode()
        return len(queries), body

    with_json_ld, body = page_queries()
    monkeypatch.setattr(structured_data, "script", lambda data: "")
    without, plain = page_queries()

    assert "application/ld+json" in body
    assert "application/ld+json" not in plain
    assert with_json_ld == without


def test_the_teams_preview_carries_none(client, superuser, campaign, make_endorsement):
    make_endorsement(status=Status.APPROVED, name="Visible Trust")
    client.force_login(superuser)

    body = client.get(f"/review/preview/{campaign.slug}/").content.decode()

    assert "application/ld+json" not in body
