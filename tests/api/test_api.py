from __future__ import annotations

import csv
import io
from datetime import timedelta
from unittest import mock

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.db import OperationalError, connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from coalition import services
from coalition.models import Endorsement, Logo, Organization, Sector
from tests.wall_helpers import make_logo

Status = Endorsement.Status

ALLY_KEYS = {
    "id",
    "name",
    "website",
    "country",
    "sector",
    "logo",
    "statement",
    "verified",
    "verification",
    "approved_at",
    "proof_url",
}
LOGO_KEYS = {"png", "webp", "png_2x", "webp_2x", "width", "height"}
CSV_COLUMNS = [
    "id",
    "name",
    "website",
    "country_code",
    "country_name",
    "sector_slug",
    "sector_name",
    "sector_parent",
    "logo_png",
    "logo_webp",
    "logo_png_2x",
    "logo_webp_2x",
    "logo_width",
    "logo_height",
    "statement",
    "verified",
    "verification",
    "approved_at",
]


@pytest.fixture
def api() -> APIClient:
    return APIClient()


@pytest.fixture
def make_ally(make_endorsement):
    """An approved endorsement, approved ``minutes_ago`` (so that orderings are certain)."""

    def make(*, minutes_ago: int = 0, verified: bool = False, **kwargs) -> Endorsement:
        endorsement = make_endorsement(status=Status.APPROVED, **kwargs)
        approved_at = timezone.now() - timedelta(minutes=minutes_ago)
        Endorsement.objects.filter(pk=endorsement.pk).update(
            approved_at=approved_at, domain_verified=verified
        )
        endorsement.refresh_from_db()
        return endorsement

    return make


@pytest.fixture
def ngo_sectors(db) -> dict[str, Sector]:
    """A parent sector with two children, and an unrelated one."""
    category = Sector.TransparencyRegisterCategory.NGOS
    ngo = Sector.objects.create(slug="ngo", name="NGO", transparency_register_category=category)
    return {
        "ngo": ngo,
        "child-rights": Sector.objects.create(
            slug="child-rights",
            name="Child rights",
            parent=ngo,
            transparency_register_category=category,
        ),
        "survivors": Sector.objects.create(
            slug="survivors", name="Survivors", parent=ngo, transparency_register_category=category
        ),
        "research": Sector.objects.create(
            slug="research",
            name="Research",
            transparency_register_category=Sector.TransparencyRegisterCategory.THINK_TANKS,
        ),
    }


def names(response) -> list[str]:
    return [ally["name"] for ally in response.json()["results"]]


def csv_rows(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


# What the API shows


def test_an_ally_shows_exactly_the_public_fields(api, make_ally, settings):
    settings.SITE_URL = "https://coalition.example"
    ally = make_ally(name="Kinderschutz e.V.", country="DE", verified=True)
    organization = ally.organization
    organization.statement = "We stand together."
    organization.logo = Logo.objects.create(
        digest="a" * 64,
        width=200,
        height=100,
        png="logos/aa/aaa.png",
        webp="logos/aa/aaa.webp",
        png_2x="logos/aa/aaa-2x.png",
        webp_2x="logos/aa/aaa-2x.webp",
    )
    organization.save()

    page = api.get("/api/v1/allies/").json()
    detail = api.get(f"/api/v1/allies/{ally.public_id}/").json()

    assert set(page) == {"count", "next", "previous", "results"}
    assert page["results"] == [detail]
    assert set(detail) == ALLY_KEYS
    assert detail["id"] == ally.public_id
    assert detail["name"] == "Kinderschutz e.V."
    assert detail["website"] == organization.website
    assert detail["country"] == {"code": "DE", "name": "Germany"}
    assert detail["sector"] == {
        "slug": "child-protection-ngo",
        "name": "Child-protection NGO",
        "parent": None,
    }
    assert set(detail["logo"]) == LOGO_KEYS
    assert detail["logo"]["png"] == "https://coalition.example/media/logos/aa/aaa.png"
    assert detail["logo"]["webp_2x"] == "https://coalition.example/media/logos/aa/aaa-2x.webp"
    assert (detail["logo"]["width"], detail["logo"]["height"]) == (200, 100)
    assert detail["statement"] == "We stand together."
    assert detail["verified"] is True
    assert detail["verification"] == "email"
    assert detail["approved_at"].startswith(str(ally.approved_at.year))


def test_an_ally_without_a_logo_has_a_null_logo(api, make_ally):
    ally = make_ally()

    assert api.get(f"/api/v1/allies/{ally.public_id}/").json()["logo"] is None


def test_a_logo_already_on_an_absolute_url_is_kept(api, make_ally):
    ally = make_ally()
    ally.organization.logo = Logo.objects.create(
        digest="b" * 64, width=10, height=10, png="x.png", webp="x.webp", png_2x="y", webp_2x="z"
    )
    ally.organization.save()

    with mock.patch(
        "django.core.files.storage.FileSystemStorage.url",
        lambda self, name: f"https://cdn.example/{name}",
    ):
        logo = api.get(f"/api/v1/allies/{ally.public_id}/").json()["logo"]

    assert logo["png"] == "https://cdn.example/x.png"


@pytest.mark.parametrize(
    "status",
    [Status.UNCONFIRMED, Status.PENDING, Status.REJECTED, Status.WITHDRAWN, Status.REMOVED],
)
def test_only_approved_allies_appear_in_any_response(api, make_ally, make_endorsement, status):
    approved = make_ally(name="Approved Org", country="DE")
    hidden = make_endorsement(status=status, name="Hidden Org", country="FR")

    bodies = [
        api.get(path).content.decode("utf-8-sig")
        for path in (
            "/api/v1/allies/",
            "/api/v1/allies/?format=csv",
            "/api/v1/allies/?country=FR",
            "/api/v1/facets/",
            "/api/v1/campaigns/",
        )
    ]

    assert api.get(f"/api/v1/allies/{hidden.public_id}/").status_code == 404
    assert api.get(f"/api/v1/allies/{approved.public_id}/").status_code == 200
    for body in bodies:
        assert "Hidden Org" not in body
        assert hidden.public_id not in body
        assert '"FR"' not in body
    assert api.get("/api/v1/facets/").json()["total"] == 1
    assert api.get("/api/v1/campaigns/").json()[0]["ally_count"] == 1


def test_contact_data_never_appears_in_json_or_csv(api, make_ally):
    ally = make_ally(contact_email="jane.doe@secret-contact.example")
    Endorsement.objects.filter(pk=ally.pk).update(
        contact_name="Jane Doe", contact_role="Secret Role"
    )

    bodies = [
        api.get(path).content.decode("utf-8-sig")
        for path in (
            "/api/v1/allies/",
            f"/api/v1/allies/{ally.public_id}/",
            "/api/v1/allies/?format=csv",
            "/api/v1/facets/",
            "/api/v1/campaigns/keep-detection/",
        )
    ]

    for body in bodies:
        assert "secret-contact" not in body
        assert "Jane Doe" not in body
        assert "Secret Role" not in body
        assert "contact" not in body.lower()


def test_the_csv_has_the_public_columns_and_one_row_an_ally(api, make_ally):
    ally = make_ally(name="Spreadsheet Org", country="FR")

    response = api.get("/api/v1/allies/?format=csv")
    rows = csv_rows(response)

    assert response.status_code == 200
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert rows[0] == CSV_COLUMNS
    assert len(rows) == 2
    row = dict(zip(CSV_COLUMNS, rows[1], strict=True))
    assert row["id"] == ally.public_id
    assert row["name"] == "Spreadsheet Org"
    assert row["country_code"] == "FR"
    assert row["verified"] == "false"
    assert row["verification"] == ""


def test_the_csv_says_how_each_domain_was_proven(api, make_ally):
    ally = make_ally(name="Proven Org")
    Endorsement.objects.filter(pk=ally.pk).update(domain_verified=True)

    row = dict(zip(CSV_COLUMNS, csv_rows(api.get("/api/v1/allies/?format=csv"))[1], strict=True))

    assert (row["verified"], row["verification"]) == ("true", "email")


def test_the_csv_defuses_cells_a_spreadsheet_would_run_as_formulas(api, make_ally):
    ally = make_ally(name='=HYPERLINK("https://evil.example","click")')
    Organization.objects.filter(pk=ally.organization_id).update(statement="+1+cmd|' /C calc'!A0")

    row = dict(zip(CSV_COLUMNS, csv_rows(api.get("/api/v1/allies/?format=csv"))[1], strict=True))

    assert row["name"] == '\'=HYPERLINK("https://evil.example","click")'
    assert row["statement"].startswith("'+1")


def test_campaigns_show_their_count_of_approved_allies(api, campaign, make_ally, make_endorsement):
    make_ally()
    make_ally()
    make_endorsement(status=Status.PENDING)

    listing = api.get("/api/v1/campaigns/").json()
    detail = api.get("/api/v1/campaigns/keep-detection/").json()

    assert listing == [detail]
    assert set(detail) == {
        "slug",
        "title",
        "lead",
        "statement",
        "organizer",
        "is_default",
        "accepts_applications",
        "ally_count",
        "goal",
        "closes_at",
        "publish_at",
        "time_zone",
        "timeline",
    }
    assert detail["slug"] == "keep-detection"
    assert detail["ally_count"] == 2


def test_an_unknown_campaign_is_a_json_404_naming_the_slug(api, campaign):
    response = api.get("/api/v1/campaigns/nope/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["parameter"] == "slug"


# Filters


def test_allies_are_of_the_default_campaign_unless_one_is_named(api, make_ally, campaign):
    other = type(campaign).objects.create(slug="other", title="Other", statement="Other.")
    make_ally(name="Default Ally")
    make_ally(name="Other Ally", campaign=other)

    assert names(api.get("/api/v1/allies/")) == ["Default Ally"]
    assert names(api.get("/api/v1/allies/?campaign=other")) == ["Other Ally"]
    assert api.get("/api/v1/facets/?campaign=other").json()["total"] == 1


@pytest.mark.parametrize("query", ["country=DE&country=FR", "country=DE,FR", "country=de, fr"])
def test_the_country_filter_takes_repeated_or_comma_separated_codes(api, make_ally, query):
    make_ally(name="A German", country="DE")
    make_ally(name="B French", country="FR")
    make_ally(name="C Italian", country="IT")

    assert names(api.get(f"/api/v1/allies/?{query}")) == ["A German", "B French"]
    assert names(api.get("/api/v1/allies/?country=IT")) == ["C Italian"]


def test_a_parent_sector_includes_its_children(api, make_ally, ngo_sectors):
    make_ally(name="A Parent", sector=ngo_sectors["ngo"])
    make_ally(name="B Child", sector=ngo_sectors["child-rights"])
    make_ally(name="C Other child", sector=ngo_sectors["survivors"])
    make_ally(name="D Research", sector=ngo_sectors["research"])

    assert names(api.get("/api/v1/allies/?sector=ngo")) == ["A Parent", "B Child", "C Other child"]
    assert names(api.get("/api/v1/allies/?sector=child-rights")) == ["B Child"]
    assert names(api.get("/api/v1/allies/?sector=survivors,research")) == [
        "C Other child",
        "D Research",
    ]
    assert names(api.get("/api/v1/allies/?sector=survivors&sector=research")) == [
        "C Other child",
        "D Research",
    ]
    child = api.get("/api/v1/allies/?sector=child-rights").json()["results"][0]
    assert child["sector"] == {"slug": "child-rights", "name": "Child rights", "parent": "ngo"}


def test_search_finds_allies_by_part_of_their_name(api, make_ally):
    make_ally(name="Save the Children Fund")
    make_ally(name="Open Rights Group")

    assert names(api.get("/api/v1/allies/?search=children")) == ["Save the Children Fund"]
    assert names(api.get("/api/v1/allies/?search=nothing-like-it")) == []


def test_the_verified_filter_selects_by_domain_verification(api, make_ally):
    make_ally(name="Verified", verified=True)
    make_ally(name="Unverified", verified=False)

    assert names(api.get("/api/v1/allies/?verified=true")) == ["Verified"]
    assert names(api.get("/api/v1/allies/?verified=false")) == ["Unverified"]


def test_filters_combine(api, make_ally, ngo_sectors):
    make_ally(name="Match", country="DE", sector=ngo_sectors["child-rights"], verified=True)
    make_ally(name="Match too", country="FR", sector=ngo_sectors["ngo"], verified=True)
    make_ally(name="Wrong country", country="IT", sector=ngo_sectors["ngo"], verified=True)
    make_ally(name="Wrong sector", country="DE", sector=ngo_sectors["research"], verified=True)
    make_ally(name="Unverified Match", country="DE", sector=ngo_sectors["ngo"], verified=False)

    query = "country=DE,FR&sector=ngo&verified=true&search=match"
    facets = api.get(f"/api/v1/facets/?{query}").json()

    assert names(api.get(f"/api/v1/allies/?{query}")) == ["Match", "Match too"]
    assert facets["total"] == 2
    assert {row["code"]: row["count"] for row in facets["countries"]} == {"DE": 1, "FR": 1}


def test_allies_are_ordered_by_name_or_newest_first(api, make_ally):
    make_ally(name="Beta", minutes_ago=30)
    make_ally(name="Alpha", minutes_ago=20)
    make_ally(name="Gamma", minutes_ago=10)

    assert names(api.get("/api/v1/allies/")) == ["Alpha", "Beta", "Gamma"]
    assert names(api.get("/api/v1/allies/?ordering=name")) == ["Alpha", "Beta", "Gamma"]
    assert names(api.get("/api/v1/allies/?ordering=-approved_at")) == ["Gamma", "Alpha", "Beta"]


def test_pages_hold_page_size_allies_and_link_to_each_other(api, make_ally, settings):
    settings.SITE_URL = "https://coalition.example"
    for n in range(5):
        make_ally(name=f"Org {n}")

    first = api.get("/api/v1/allies/?page_size=2&country=DE&utm_source=x").json()
    last = api.get("/api/v1/allies/?page_size=2&page=3").json()

    assert first["count"] == 5
    assert [ally["name"] for ally in first["results"]] == ["Org 0", "Org 1"]
    assert first["previous"] is None
    # The query as Varnish passes it on: only what the list reads, sorted.
    assert first["next"] == (
        "https://coalition.example/api/v1/allies/?country=DE&page_size=2&page=2"
    )
    assert [ally["name"] for ally in last["results"]] == ["Org 4"]
    assert last["next"] is None


def test_a_page_size_up_to_500_is_accepted(api, make_ally):
    make_ally()

    assert api.get("/api/v1/allies/?page_size=500").status_code == 200
    assert api.get("/api/v1/allies/?page_size=501").status_code == 400


# Errors


@pytest.mark.parametrize(
    ("query", "status", "parameter"),
    [
        ("country=XX", 400, "country"),
        ("country=DEU", 400, "country"),
        ("sector=unknown-sector", 400, "sector"),
        ("sector=not%20a%20slug", 400, "sector"),
        ("campaign=unknown-campaign", 400, "campaign"),
        ("campaign=no%20slug", 400, "campaign"),
        ("verified=maybe", 400, "verified"),
        ("ordering=-name", 400, "ordering"),
        ("page=0", 400, "page"),
        ("page=abc", 400, "page"),
        ("page=99", 404, "page"),
        ("page=-1", 400, "page"),
        ("page=" + "9" * 5000, 400, "page"),
        ("page_size=0", 400, "page_size"),
        ("page_size=lots", 400, "page_size"),
        ("page_size=" + "9" * 5000, 400, "page_size"),
        ("lang=es", 400, "lang"),
        ("format=xml", 400, "format"),
        (f"search={'x' * 101}", 400, "search"),
        ("search=nul%00byte", 400, "search"),
    ],
)
def test_a_bad_parameter_gets_a_json_error_naming_it_and_what_it_accepts(
    api, make_ally, query, status, parameter
):
    make_ally()

    response = api.get(f"/api/v1/allies/?{query}")

    assert response.status_code == status
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert set(body) == {"detail", "errors"}
    assert [error["parameter"] for error in body["errors"]] == [parameter]
    assert set(body["errors"][0]) == {"parameter", "message", "accepts"}
    assert body["errors"][0]["accepts"]
    assert "Cache-Control" not in response or "public" not in response["Cache-Control"]


def test_the_facets_check_their_parameters_too(api, make_ally):
    make_ally()

    response = api.get("/api/v1/facets/?country=ZZ&sector=nope!")

    assert response.status_code == 400
    assert {error["parameter"] for error in response.json()["errors"]} == {"country", "sector"}


def test_an_unknown_ally_is_a_json_404_naming_the_id(api, make_ally):
    make_ally()

    response = api.get("/api/v1/allies/not-an-id/")

    assert response.status_code == 404
    assert response.json()["errors"][0]["parameter"] == "id"


@pytest.mark.parametrize(
    ("query", "parameter", "listed_at"),
    [
        ("sector=no-such-sector", "sector", "/api/v1/facets/"),
        ("sector=ngo,no-such-sector", "sector", "/api/v1/facets/"),
        ("campaign=nope", "campaign", "/api/v1/campaigns/"),
        ("country=XX", "country", "/api/v1/facets/"),
    ],
)
def test_a_filter_value_that_names_nothing_is_a_400_saying_where_the_values_are_listed(
    api, make_ally, ngo_sectors, query, parameter, listed_at
):
    make_ally()

    for endpoint in ("/api/v1/allies/", "/api/v1/facets/"):
        response = api.get(f"{endpoint}?{query}")

        assert response.status_code == 400
        assert response["Content-Type"] == "application/json"
        body = response.json()
        assert set(body) == {"detail", "errors"}
        assert [error["parameter"] for error in body["errors"]] == [parameter]
        assert listed_at in body["errors"][0]["message"]
        assert body["errors"][0]["accepts"]


def test_an_unknown_sector_is_named_and_every_sector_is_listed(api, make_ally, ngo_sectors):
    make_ally()

    message = api.get("/api/v1/allies/?sector=ngo,nope").json()["errors"][0]["message"]

    assert "“nope”" in message
    assert "“ngo”" not in message
    for slug in ("ngo", "child-rights", "survivors", "research"):
        assert slug in message


def test_an_unknown_country_is_named_as_not_an_iso_code(api, make_ally):
    make_ally()

    message = api.get("/api/v1/allies/?country=XX").json()["errors"][0]["message"]

    assert "“XX”" in message
    assert "ISO 3166-1 alpha-2" in message


def test_a_sector_unknown_when_asked_for_is_found_once_it_exists(api, make_ally):
    ally = make_ally(name="Later sector")

    before = api.get("/api/v1/allies/?sector=later")
    later = Sector.objects.create(
        slug="later",
        name="Later",
        transparency_register_category=Sector.TransparencyRegisterCategory.NGOS,
    )
    Organization.objects.filter(pk=ally.organization.pk).update(sector=later)
    services.public_version_bump()
    after = api.get("/api/v1/allies/?sector=later")

    assert before.status_code == 400
    assert after.status_code == 200
    assert names(after) == ["Later sector"]


@pytest.mark.parametrize("value", ["0", "-1", "-500", "501", "100000", "1.5", "lots"])
def test_a_page_size_outside_1_to_500_is_a_400_saying_so(api, make_ally, value):
    make_ally()

    response = api.get(f"/api/v1/allies/?page_size={value}")

    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [error["parameter"] for error in errors] == ["page_size"]
    assert "page_size must be between 1 and 500" in errors[0]["message"]
    assert f"“{value}”" in errors[0]["message"]


def test_a_page_past_the_last_is_still_a_404_naming_the_last_page(api, make_ally):
    make_ally()

    response = api.get("/api/v1/allies/?page=3")

    assert response.status_code == 404
    error = response.json()["errors"][0]
    assert error["parameter"] == "page"
    assert "the last page is 1" in error["message"]


def test_a_csv_error_is_still_json(api, make_ally):
    make_ally()

    response = api.get("/api/v1/allies/?format=csv&country=XX")

    assert response.status_code == 400
    assert response.json()["errors"][0]["parameter"] == "country"


def test_unknown_parameters_are_ignored(api, make_ally):
    make_ally(name="Still here")

    response = api.get("/api/v1/allies/?colour=blue&country[]=x&page_size=2&%00=1")

    assert response.status_code == 200
    assert names(response) == ["Still here"]


def test_without_any_campaign_the_api_says_so_with_a_404(api, db):
    assert api.get("/api/v1/allies/").status_code == 404
    assert api.get("/api/v1/facets/").status_code == 404
    assert api.get("/api/v1/campaigns/").json() == []


def test_an_unknown_api_path_is_a_json_404(api, db):
    response = api.get("/api/v2/allies/")

    assert response.status_code == 404
    assert response.json()["detail"]


def test_writes_are_refused(api, campaign):
    assert api.post("/api/v1/allies/", {"name": "x"}).status_code == 405
    assert api.delete("/api/v1/campaigns/keep-detection/").status_code == 405


# Facets


def test_facets_count_by_country_sector_and_both_and_add_up(api, make_ally, ngo_sectors):
    make_ally(country="DE", sector=ngo_sectors["child-rights"])
    make_ally(country="DE", sector=ngo_sectors["child-rights"])
    make_ally(country="DE", sector=ngo_sectors["research"])
    make_ally(country="FR", sector=ngo_sectors["ngo"])
    make_ally(country="AT", sector=ngo_sectors["survivors"])

    facets = api.get("/api/v1/facets/").json()
    total = api.get("/api/v1/allies/").json()["count"]

    assert set(facets) == {"campaign", "total", "countries", "sectors", "country_sector"}
    assert facets["campaign"] == "keep-detection"
    assert facets["total"] == total == 5
    assert facets["countries"] == [
        {"code": "DE", "name": "Germany", "count": 3},
        {"code": "AT", "name": "Austria", "count": 1},
        {"code": "FR", "name": "France", "count": 1},
    ]
    assert {row["slug"]: row["count"] for row in facets["sectors"]} == {
        "child-rights": 2,
        "research": 1,
        "ngo": 1,
        "survivors": 1,
    }
    assert {"slug": "child-rights", "name": "Child rights", "parent": "ngo", "count": 2} in (
        facets["sectors"]
    )
    assert {"country": "DE", "sector": "child-rights", "count": 2} in facets["country_sector"]
    for key in ("countries", "sectors", "country_sector"):
        assert sum(row["count"] for row in facets[key]) == facets["total"]


def test_facets_follow_the_filters(api, make_ally, ngo_sectors):
    make_ally(country="DE", sector=ngo_sectors["child-rights"])
    make_ally(country="FR", sector=ngo_sectors["survivors"])
    make_ally(country="FR", sector=ngo_sectors["research"])

    facets = api.get("/api/v1/facets/?sector=ngo").json()

    assert facets["total"] == api.get("/api/v1/allies/?sector=ngo").json()["count"] == 2
    assert {row["code"] for row in facets["countries"]} == {"DE", "FR"}
    assert {row["slug"] for row in facets["sectors"]} == {"child-rights", "survivors"}


# Languages


@pytest.mark.parametrize(
    ("headers", "query", "germany", "language"),
    [
        ({}, "", "Germany", "en"),
        ({}, "?lang=fr", "Allemagne", "fr"),
        ({}, "?lang=de", "Deutschland", "de"),
        ({"HTTP_ACCEPT_LANGUAGE": "de-AT,de;q=0.9"}, "", "Deutschland", "de"),
        ({"HTTP_ACCEPT_LANGUAGE": "es,fr;q=0.8"}, "", "Allemagne", "fr"),
        ({"HTTP_ACCEPT_LANGUAGE": "de"}, "?lang=fr", "Allemagne", "fr"),
    ],
)
def test_country_names_follow_lang_or_accept_language(
    api, make_ally, headers, query, germany, language
):
    ally = make_ally(country="DE")
    separator = "&" if query else "?"

    listing = api.get(f"/api/v1/allies/{query}", **headers)
    detail = api.get(f"/api/v1/allies/{ally.public_id}/{query}", **headers)
    facets = api.get(f"/api/v1/facets/{query}", **headers)
    csv_body = api.get(f"/api/v1/allies/{query}{separator}format=csv", **headers)

    assert listing.json()["results"][0]["country"]["name"] == germany
    assert detail.json()["country"]["name"] == germany
    assert facets.json()["countries"][0]["name"] == germany
    assert germany in csv_body.content.decode("utf-8-sig")
    assert listing["Content-Language"] == language
    assert "Accept-Language" in listing["Vary"]


def test_the_language_cookie_does_not_change_the_api(api, make_ally):
    make_ally(country="DE")
    api.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"

    assert api.get("/api/v1/allies/").json()["results"][0]["country"]["name"] == "Germany"


# HTTP caching


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/allies/",
        "/api/v1/allies/?format=csv",
        "/api/v1/allies/{id}/",
        "/api/v1/facets/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/keep-detection/",
    ],
)
def test_every_response_can_be_revalidated_without_touching_the_database(
    api, make_ally, path, django_assert_num_queries
):
    path = path.format(id=make_ally().public_id)
    first = api.get(path)
    assert first.status_code == 200
    assert first["ETag"]
    assert first["Last-Modified"]
    cache_control = first["Cache-Control"]
    for directive in (
        "public",
        "max-age=",
        "s-maxage=",
        "stale-while-revalidate=",
        "stale-if-error=",
    ):
        assert directive in cache_control

    with django_assert_num_queries(0):
        warm = api.get(path)
        by_etag = api.get(path, HTTP_IF_NONE_MATCH=first["ETag"])
        by_date = api.get(path, HTTP_IF_MODIFIED_SINCE=first["Last-Modified"])

    assert warm.status_code == 200
    assert warm.content == first.content
    assert warm["ETag"] == first["ETag"]
    assert warm["X-Cache"] == "hit"
    assert warm["Content-Type"] == first["Content-Type"]
    assert by_etag.status_code == 304
    assert by_etag.content == b""
    assert by_date.status_code == 304


def test_each_variant_has_its_own_etag(api, make_ally):
    make_ally(country="DE")
    paths = [
        "/api/v1/allies/",
        "/api/v1/allies/?country=DE",
        "/api/v1/allies/?ordering=-approved_at",
        "/api/v1/allies/?page_size=10",
        "/api/v1/allies/?format=csv",
        "/api/v1/allies/?lang=fr",
        "/api/v1/facets/",
    ]

    etags = {api.get(path)["ETag"] for path in paths}

    assert len(etags) == len(paths)
    assert (
        api.get("/api/v1/allies/?country=de,DE")["ETag"]
        == api.get("/api/v1/allies/?country=DE")["ETag"]
    )


def test_a_stale_etag_gets_the_new_data(api, make_ally):
    make_ally()
    old = api.get("/api/v1/allies/")
    services.public_version_bump()

    response = api.get("/api/v1/allies/", HTTP_IF_NONE_MATCH=old["ETag"])

    assert response.status_code == 200
    assert response["ETag"] != old["ETag"]


def _approve(endorsement, reviewer):
    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )


def _withdraw(endorsement, reviewer):
    services.endorsement_withdraw(endorsement=endorsement)


def _remove(endorsement, reviewer):
    services.endorsement_remove(endorsement=endorsement, by=reviewer)


def _edit(endorsement, reviewer):
    version = services.organization_update(
        endorsement=endorsement, website="https://renamed.example.org", statement="Edited."
    )
    services.organization_version_approve(version=version, by=reviewer)


@pytest.mark.parametrize(
    ("start", "change"),
    [
        (Status.PENDING, _approve),
        (Status.APPROVED, _withdraw),
        (Status.APPROVED, _remove),
        (Status.APPROVED, _edit),
    ],
)
def test_every_public_change_is_visible_at_once(
    api, make_endorsement, reviewer, start, change, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=start, name="Changing Org")
    paths = [
        "/api/v1/allies/",
        "/api/v1/facets/",
        "/api/v1/campaigns/",
        "/api/v1/allies/?format=csv",
    ]
    before = {path: api.get(path) for path in paths}
    detail_before = api.get(f"/api/v1/allies/{endorsement.public_id}/")

    with django_capture_on_commit_callbacks(execute=True):
        change(endorsement, reviewer)

    after = {path: api.get(path) for path in paths}
    detail_after = api.get(f"/api/v1/allies/{endorsement.public_id}/")
    for path in paths:
        assert after[path]["ETag"] != before[path]["ETag"]
        assert after[path]["X-Cache"] == "miss"
        assert api.get(path, HTTP_IF_NONE_MATCH=before[path]["ETag"]).status_code == 200
    listed = after["/api/v1/allies/"].json()["results"]
    if change is _approve:
        assert [ally["name"] for ally in listed] == ["Changing Org"]
        assert detail_before.status_code == 404
        assert detail_after.status_code == 200
    elif change is _edit:
        assert listed[0]["website"] == "https://renamed.example.org/"
        assert listed[0]["statement"] == "Edited."
        assert detail_after.json()["statement"] == "Edited."
    else:
        assert listed == []
        assert detail_before.status_code == 200
        assert detail_after.status_code == 404


def _bulk_allies(campaign, sectors: list[Sector], count: int) -> None:
    """``count`` approved allies, written in a few queries (save() would normalize one by one)."""
    start = Organization.objects.count()
    organizations = Organization.objects.bulk_create(
        Organization(
            name=f"Bulk Org {start + n:05d}",
            website=f"https://bulk{start + n}.example.org/",
            domain=f"bulk{start + n}.example.org",
            country=("DE", "FR", "AT", "IT", "PL")[n % 5],
            sector=sectors[n % len(sectors)],
        )
        for n in range(count)
    )
    if organizations[0].pk is None:  # backends that return no keys from bulk_create
        organizations = list(Organization.objects.order_by("-pk")[:count])
    now = timezone.now()
    Endorsement.objects.bulk_create(
        Endorsement(
            organization=organization,
            campaign=campaign,
            status=Status.APPROVED,
            approved_at=now - timedelta(seconds=n),
            domain_verified=n % 2 == 0,
            contact_email=f"contact@{organization.domain}",
        )
        for n, organization in enumerate(organizations)
    )


def _queries(api, path: str) -> int:
    cache.clear()
    with CaptureQueriesContext(connection) as queries:
        response = api.get(path)
    assert response.status_code == 200
    return len(queries)


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/allies/?page_size=500",
        "/api/v1/allies/?page_size=500&format=csv",
        "/api/v1/allies/?sector=ngo&country=DE,FR&verified=true&ordering=-approved_at",
        "/api/v1/facets/?sector=ngo",
        "/api/v1/campaigns/",
    ],
)
def test_the_number_of_queries_stays_the_same_from_10_to_1000_allies(
    api, campaign, ngo_sectors, path
):
    sectors = list(ngo_sectors.values())
    _bulk_allies(campaign, sectors, 10)
    with_ten = _queries(api, path)

    _bulk_allies(campaign, sectors, 990)
    with_a_thousand = _queries(api, path)

    assert Endorsement.objects.filter(status=Status.APPROVED).count() == 1000
    assert with_a_thousand == with_ten
    assert with_ten <= 5


# CORS


def test_any_site_may_read_the_api_without_credentials(api, campaign):
    response = api.get("/api/v1/campaigns/", HTTP_ORIGIN="https://partner.example")

    assert response["Access-Control-Allow-Origin"] == "*"
    assert "Access-Control-Allow-Credentials" not in response
    assert "ETag" in response["Access-Control-Expose-Headers"]


def test_a_preflight_allows_only_reading(api, campaign):
    response = api.options(
        "/api/v1/allies/",
        HTTP_ORIGIN="https://partner.example",
        HTTP_ACCESS_CONTROL_REQUEST_METHOD="GET",
    )

    assert response.status_code == 200
    assert response["Access-Control-Allow-Origin"] == "*"
    assert set(response["Access-Control-Allow-Methods"].split(", ")) == {"GET", "HEAD", "OPTIONS"}
    assert "Access-Control-Allow-Credentials" not in response


@pytest.mark.parametrize("path", ["/", "/apply/", "/admin/login/"])
def test_the_rest_of_the_site_is_not_shared_with_other_origins(client, campaign, path):
    response = client.get(path, HTTP_ORIGIN="https://partner.example")

    assert "Access-Control-Allow-Origin" not in response


# Throttling


@pytest.fixture
def low_rate(settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "3/minute"},
    }
    cache.clear()


def test_a_client_over_the_rate_gets_a_json_429(api, campaign, low_rate):
    statuses = [api.get("/api/v1/campaigns/").status_code for _ in range(4)]
    response = api.get("/api/v1/campaigns/")

    assert statuses == [200, 200, 200, 429]
    assert response.status_code == 429
    assert int(response["Retry-After"]) > 0
    assert set(response.json()) == {"detail", "errors"}
    assert api.get("/api/v1/campaigns/", REMOTE_ADDR="203.0.113.9").status_code == 200


def test_the_throttle_counts_304s_and_cached_answers_too(api, campaign, low_rate):
    etag = api.get("/api/v1/campaigns/")["ETag"]
    api.get("/api/v1/campaigns/", HTTP_IF_NONE_MATCH=etag)
    api.get("/api/v1/campaigns/")

    assert api.get("/api/v1/campaigns/").status_code == 429


def test_a_cache_outage_lets_requests_through(api, campaign, low_rate):
    down = ConnectionError("down")
    with (
        mock.patch("coalition.web.ratelimit.cache.incr", side_effect=down),
        mock.patch("coalition.web.ratelimit.get_redis_connection", side_effect=down),  # with Redis
    ):
        statuses = {api.get("/api/v1/campaigns/").status_code for _ in range(5)}

    assert statuses == {200}


def test_a_cache_outage_never_makes_the_api_fail(api, make_ally):
    make_ally()
    broken = mock.Mock(side_effect=ConnectionError("cache down"))
    with (
        mock.patch.object(cache, "get", broken),
        mock.patch.object(cache, "set", broken),
        mock.patch.object(cache, "add", broken),
        mock.patch.object(cache, "incr", broken),
    ):
        responses = [
            api.get(path) for path in ("/api/v1/allies/", "/api/v1/facets/", "/api/v1/campaigns/")
        ]

    assert [response.status_code for response in responses] == [200, 200, 200]


def test_with_the_database_down_the_last_good_answer_is_served_or_a_json_503(api, make_ally):
    make_ally(name="Cached Org")
    assert api.get("/api/v1/allies/").status_code == 200
    services.public_version_bump()

    with mock.patch(
        "coalition.wall.selectors.campaign_get", side_effect=OperationalError("connection refused")
    ):
        stale = api.get("/api/v1/allies/")
        unavailable = api.get("/api/v1/facets/")

    assert stale.status_code == 200
    assert names(stale) == ["Cached Org"]
    assert unavailable.status_code == 503
    assert unavailable.json()["detail"]
    assert unavailable["Retry-After"]


def test_an_ally_shows_its_declared_fields_in_their_order_list_and_detail_alike(api, make_ally):
    from api.serializers import AllySerializer, LogoSerializer

    ally = make_ally(name="Ordered Org")
    Organization.objects.filter(pk=ally.organization_id).update(logo=make_logo())

    listed = api.get("/api/v1/allies/").json()["results"][0]
    detail = api.get(f"/api/v1/allies/{ally.public_id}/").json()

    # The serializers write each ally out by hand (for speed): they must keep to Meta.fields.
    for shown in (listed, detail):
        assert list(shown) == AllySerializer.Meta.fields
        assert list(shown["logo"]) == LogoSerializer.Meta.fields
    assert listed == detail


def test_the_statement_falls_back_across_languages_as_the_organization_shows_it(api, make_ally):
    from django.utils import translation

    texts = {
        "Only English": {"statement_en": "English.", "statement_fr": None, "statement_de": ""},
        "French and German": {
            "statement_en": "",
            "statement_fr": "Français.",
            "statement_de": "Deutsch.",
        },
        "Only German": {"statement_en": "", "statement_fr": "", "statement_de": "Nur Deutsch."},
        "All three": {"statement_en": "All.", "statement_fr": "Tous.", "statement_de": "Alle."},
        "None at all": {"statement_en": "", "statement_fr": None, "statement_de": None},
    }
    for name, columns in texts.items():
        ally = make_ally(name=name)
        Organization.objects.filter(pk=ally.organization_id).update(**columns)
    organizations = {o.name: o for o in Organization.objects.filter(name__in=texts)}

    for language, headers, query in [
        ("en", {}, ""),
        ("fr", {}, "lang=fr"),
        ("de", {}, "lang=de"),
        ("fr", {"HTTP_ACCEPT_LANGUAGE": "fr-CH,fr;q=0.9"}, ""),
        ("de", {"HTTP_ACCEPT_LANGUAGE": "de"}, ""),
    ]:
        with translation.override(language):
            expected = {name: o.statement for name, o in organizations.items()}
        listed = api.get(f"/api/v1/allies/?{query}", **headers).json()["results"]
        rows = csv_rows(api.get(f"/api/v1/allies/?format=csv&{query}", **headers))
        statement = rows[0].index("statement")

        assert {ally["name"]: ally["statement"] for ally in listed} == expected
        assert {row[1]: row[statement] for row in rows[1:]} == expected
        for ally in listed:
            detail = api.get(f"/api/v1/allies/{ally['id']}/?{query}", **headers).json()
            assert detail["statement"] == expected[ally["name"]]
    assert expected["French and German"] == "Deutsch."  # de falls back to en, then fr, ...


def test_the_list_shows_each_allys_verification_as_the_endorsement_has_it(api, make_ally):
    from coalition.models import DomainProof

    now = timezone.now()
    proofs = {
        "By DNS": ({"method": "dns"}, False),
        "By file": ({"method": "well-known"}, False),
        "Lost proof, email": ({"method": "dns", "missing_since": now}, True),
        "Lost proof": ({"method": "well-known", "missing_since": now}, False),
        "Moved": ({"method": "dns", "domain": "old.example.org"}, False),
        "By email": (None, True),
        "Unproven": (None, False),
    }
    for name, (proof, verified) in proofs.items():
        ally = make_ally(name=name, verified=verified)
        if proof is not None:
            DomainProof.objects.create(
                endorsement=ally,
                **{"domain": ally.organization.domain, **proof},
                first_proven_at=now,
                proven_at=now,
            )
    expected = {
        e.organization.name: e.verification
        for e in Endorsement.objects.select_related("organization", "domain_proof")
    }
    assert sorted(expected.values(), key=str) == sorted(
        ["dns", "well-known", "email", None, None, "email", None], key=str
    )

    listed = api.get("/api/v1/allies/").json()["results"]
    rows = csv_rows(api.get("/api/v1/allies/?format=csv"))
    verified, verification = rows[0].index("verified"), rows[0].index("verification")

    assert {a["name"]: a["verification"] for a in listed} == expected
    assert {a["name"]: a["verified"] for a in listed} == {
        name: method is not None for name, method in expected.items()
    }
    assert {row[1]: (row[verified], row[verification]) for row in rows[1:]} == {
        name: ("true" if method else "false", method or "") for name, method in expected.items()
    }
    for ally in listed:
        assert api.get(f"/api/v1/allies/{ally['id']}/").json() == ally
    verified_only = api.get("/api/v1/allies/?verified=true").json()["results"]
    assert sorted(a["name"] for a in verified_only) == sorted(
        name for name, method in expected.items() if method
    )
