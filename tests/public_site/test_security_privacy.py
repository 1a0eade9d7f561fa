"""No public page tells whether an email address or an organization has applied: only what is
approved is public, and every other answer is the same whether or not anybody applied."""

from __future__ import annotations

import re
from urllib.parse import quote

import pytest
from django.core import signing

from coalition import services
from coalition.endorsements import tokens
from coalition.models import Endorsement
from tests.factories import application_form

Status = Endorsement.Status
SECRET_STATUSES = [Status.UNCONFIRMED, Status.PENDING, Status.REJECTED, Status.WITHDRAWN]


def _same_page(body: str, *echoed: str) -> str:
    """A page without what differs on every request anyway (CSRF and form timing tokens) and
    without what the visitor sent and sees again (``echoed``: the page's own address)."""
    body = re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", body)
    body = re.sub(r'name="started" value="[^"]*"', "", body)
    for value in echoed:
        body = body.replace(value, "ECHOED").replace(quote(value, safe=""), "ECHOED")
    return body


@pytest.fixture
def applicant(make_endorsement) -> Endorsement:
    return make_endorsement(
        status=Status.PENDING, name="Quiet Foundation", contact_email="quiet@quiet.example.org"
    )


# /resend/ -----------------------------------------------------------------------------------


def test_resend_answers_the_same_for_an_address_that_applied_and_one_that_did_not(
    client, applicant, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        known = client.post("/resend/", {"contact_email": "quiet@quiet.example.org"})
    with django_capture_on_commit_callbacks(execute=True):
        unknown = client.post("/resend/", {"contact_email": "nobody@nowhere.example.org"})

    assert known.status_code == unknown.status_code == 200
    assert _same_page(known.content.decode()) == _same_page(unknown.content.decode())
    assert [message.to for message in mailoutbox] == [["quiet@quiet.example.org"]]


# The application form ------------------------------------------------------------------------


def test_applying_again_with_the_same_organization_and_address_looks_like_a_first_application(
    client, campaign, sector
):
    # Each answered with the "check your email" page it redirects to (Post/Redirect/Get).
    first = client.post("/apply/", application_form(sector), follow=True)
    second = client.post("/apply/", application_form(sector), follow=True)

    assert first.status_code == second.status_code == 200
    assert _same_page(first.content.decode()) == _same_page(second.content.decode())


def test_applying_as_an_organization_that_is_already_approved_reveals_nothing_more(
    client, campaign, sector, make_endorsement
):
    make_endorsement(
        status=Status.APPROVED,
        name="Harbour Light Children's Trust",
        website="https://harbourlight.example.org",
        contact_email="aoife@harbourlight.example.org",
    )
    fresh = client.post(
        "/apply/",
        application_form(
            sector,
            name="Brand New Trust",
            website="brandnew.example.org",
            contact_email="aoife@brandnew.example.org",
        ),
        follow=True,
    )
    again = client.post("/apply/", application_form(sector), follow=True)

    assert fresh.status_code == again.status_code == 200
    normalize = {
        "Brand New Trust": "NAME",
        "Harbour Light Children&#x27;s Trust": "NAME",
        "aoife@brandnew.example.org": "EMAIL",
        "aoife@harbourlight.example.org": "EMAIL",
    }
    bodies = []
    for response in (fresh, again):
        body = _same_page(response.content.decode())
        for value, placeholder in normalize.items():
            body = body.replace(value, placeholder)
        bodies.append(body)
    assert bodies[0] == bodies[1]


# Private links --------------------------------------------------------------------------------


def _bad_links(endorsement: Endorsement) -> dict[str, list[str]]:
    """For each kind of link: forged, malformed, for nobody, and for a deleted application."""
    nobody = "E-doesnotexist"
    deleted = {
        "confirm": tokens.confirm_token(endorsement),
        "not-us": tokens.not_us_token(endorsement),
        "manage": tokens.manage_token(endorsement),
    }
    return {
        "confirm": [
            "x",
            "not-a-token",
            deleted["confirm"][:-2] + "xx",
            signing.dumps(nobody, salt="coalition.confirm", compress=True),
            deleted["confirm"],
            tokens.manage_token(endorsement),  # a link of another kind
        ],
        "not-us": [
            "not-a-token",
            deleted["not-us"][:-2] + "xx",
            signing.dumps(nobody, salt="coalition.not-us", compress=True),
            deleted["not-us"],
        ],
        "manage": [
            "not-a-token",
            deleted["manage"][:-2] + "xx",
            signing.dumps([nobody, 0], salt="coalition.manage", compress=True),
            deleted["manage"],
        ],
    }


def test_every_bad_private_link_gets_the_same_page(client, applicant):
    links = _bad_links(applicant)
    Endorsement.objects.filter(pk=applicant.pk).delete()

    pages = set()
    for kind, values in links.items():
        for token in values:
            for url in (
                f"/{kind}/{token}/",
                *([f"/manage/{token}/data.json"] * (kind == "manage")),
            ):
                response = client.get(url)
                assert response.status_code == 400, url
                pages.add(_same_page(response.content.decode(), url))
    assert len(pages) == 1


def test_a_revoked_manage_link_looks_like_any_bad_link(client, applicant):
    token = tokens.manage_token(applicant)
    services.endorsement_manage_links_revoke(endorsement=applicant)

    revoked = client.get(f"/manage/{token}/")
    forged = client.get("/manage/not-a-token/")

    assert revoked.status_code == forged.status_code == 400
    assert _same_page(revoked.content.decode(), f"/manage/{token}/") == _same_page(
        forged.content.decode(), "/manage/not-a-token/"
    )


# Public reads ---------------------------------------------------------------------------------


@pytest.mark.parametrize("status", SECRET_STATUSES)
def test_nothing_but_approved_entries_reaches_a_public_surface(client, make_endorsement, status):
    make_endorsement(status=Status.APPROVED, name="Public Ally")
    secret = make_endorsement(status=status, name="Secret Society", country="FR")
    urls = [
        "/",
        "/?q=Secret",
        "/?country=FR",
        "/embed/keep-detection/",
        "/embed/keep-detection/?q=Secret",
        "/campaigns/keep-detection/wall.svg",
        "/campaigns/keep-detection/feed/",
        "/campaigns/keep-detection/embed/",
        "/api/v1/allies/",
        "/api/v1/allies/?search=Secret",
        "/api/v1/allies/?format=csv",
        "/api/v1/facets/",
    ]
    for url in urls:
        body = client.get(url).content.decode()
        assert "Secret Society" not in body, url
        assert secret.public_id not in body, url
        assert secret.contact_email not in body, url
    assert "Public Ally" in client.get("/").content.decode()


@pytest.mark.parametrize("status", SECRET_STATUSES)
def test_the_api_answers_an_unapproved_id_as_it_answers_an_unknown_one(
    client, make_endorsement, status
):
    secret = make_endorsement(status=status)

    hidden = client.get(f"/api/v1/allies/{secret.public_id}/")
    unknown = client.get("/api/v1/allies/E-doesnotexist/")

    assert hidden.status_code == unknown.status_code == 404
    assert hidden.json() == unknown.json()


@pytest.mark.parametrize("status", SECRET_STATUSES)
def test_searching_for_an_unapproved_name_looks_like_searching_for_nothing(
    client, make_endorsement, status
):
    make_endorsement(status=Status.APPROVED, name="Public Ally")
    make_endorsement(status=status, name="Secretive Trust")

    def page(q: str) -> str:
        return client.get(f"/?q={q}").content.decode().replace(q, "QUERY")

    assert page("Secretive") == page("Nonexistx")
    assert client.get("/api/v1/allies/?search=Secretive").json()["count"] == 0
    assert client.get("/api/v1/facets/?search=Secretive").json() == (
        client.get("/api/v1/facets/?search=Nonexistx").json()
    )
