"""The API against its own OpenAPI schema: generated requests, no 500, responses as documented."""

from __future__ import annotations

import re

import pytest
import schemathesis
from django.core import signals
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from schemathesis.specs.openapi.checks import positive_data_acceptance

from coalition.models import Endorsement, Logo, Sector
from coalition.wsgi import application

# Loaded once, as served; generating it needs no database.
schema = schemathesis.openapi.from_wsgi("/api/schema/?format=json", application)


@pytest.fixture
def wsgi_in_test_transaction():
    """Requests go straight to the WSGI application here, not through Django's test client, so
    do as the client does: keep the test's database connection (and transaction) open."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def allies(make_endorsement, campaign, wsgi_in_test_transaction) -> None:
    """Approved allies (one with a logo, one in a child sector) and one that is not public."""
    parent = Sector.objects.create(
        slug="ngo",
        name="NGO",
        transparency_register_category=Sector.TransparencyRegisterCategory.NGOS,
    )
    child = Sector.objects.create(
        slug="child-rights",
        name="Child rights",
        parent=parent,
        transparency_register_category=Sector.TransparencyRegisterCategory.NGOS,
    )
    logo = Logo.objects.create(
        digest="c" * 64,
        width=120,
        height=60,
        png="l.png",
        webp="l.webp",
        png_2x="l2.png",
        webp_2x="l2.webp",
    )
    for n, (country, sector) in enumerate([("DE", parent), ("FR", child), ("AT", child)]):
        ally = make_endorsement(status=Endorsement.Status.APPROVED, country=country, sector=sector)
        if n == 0:
            ally.organization.logo = logo
            ally.organization.save()
    make_endorsement(status=Endorsement.Status.PENDING)


@schema.parametrize()
@settings(
    max_examples=30,
    deadline=None,
    database=None,  # no .hypothesis/ folder in the work tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
def test_the_api_keeps_to_its_schema(case, allies):
    case.call_and_validate(
        # The WSGI transport hands over the body as sent, and never unzips what a browser would:
        # ask for it plain (the compressed bodies are tested in
        # tests/publishing/test_compression.py).
        headers={"Accept-Encoding": "identity"},
        excluded_checks=[positive_data_acceptance],
        additional_checks=[accepted_unless_naming_nothing],
    )


def accepted_unless_naming_nothing(ctx, response, case) -> bool | None:
    """schemathesis' ``positive_data_acceptance``, but for the 400 the schema documents for a
    well-formed campaign or sector slug that names nothing: a schema says what a slug looks
    like, never which exist."""
    if response.status_code == 400:
        errors = response.json()["errors"]
        if errors and all(
            error["parameter"] in ("campaign", "sector") and "/api/v1/" in error["message"]
            for error in errors
        ):
            return None
    return positive_data_acceptance(ctx, response, case)


def test_the_docs_are_served_without_any_cdn(client, db):
    response = client.get("/api/docs/")
    page = response.content.decode()

    assert response.status_code == 200
    assert "/static/drf_spectacular_sidecar/" in page
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page)


def test_the_schema_documents_every_endpoint_and_parameter(client, db):
    document = client.get("/api/schema/?format=json").json()
    allies = document["paths"]["/api/v1/allies/"]["get"]

    assert document["openapi"].startswith("3.")
    assert set(document["paths"]) == {
        "/api/v1/allies/",
        "/api/v1/allies/{id}/",
        "/api/v1/campaigns/",
        "/api/v1/campaigns/{slug}/",
        "/api/v1/facets/",
    }
    assert {parameter["name"] for parameter in allies["parameters"]} == {
        "campaign",
        "country",
        "sector",
        "search",
        "verified",
        "ordering",
        "page",
        "page_size",
        "lang",
        "format",
    }
    assert {"200", "400", "404", "429"} <= set(allies["responses"])


def test_the_schema_says_a_filter_value_that_names_nothing_is_a_400(client, db):
    document = client.get("/api/schema/?format=json").json()

    for path in ("/api/v1/allies/", "/api/v1/facets/"):
        operation = document["paths"][path]["get"]
        bad_request = operation["responses"]["400"]["description"]
        not_found = operation["responses"]["404"]["description"]
        parameters = {parameter["name"]: parameter for parameter in operation["parameters"]}

        assert "names nothing" in bad_request
        assert "/api/v1/campaigns/" in bad_request
        assert "/api/v1/facets/" in bad_request
        assert "ISO 3166-1 alpha-2" in bad_request
        assert "past the last one" in not_found
        for name in ("campaign", "sector", "country"):
            assert "400" in parameters[name]["description"]
