from __future__ import annotations

import pytest

from coalition.models import Endorsement

Status = Endorsement.Status


@pytest.mark.parametrize(
    "status",
    [Status.UNCONFIRMED, Status.PENDING, Status.REJECTED, Status.WITHDRAWN, Status.REMOVED],
)
def test_only_approved_allies_reach_the_public_page(client, make_endorsement, status):
    make_endorsement(status=Status.APPROVED, name="Visible Trust")
    hidden = make_endorsement(status=status, name="Hidden Society")

    response = client.get("/")

    assert response.status_code == 200
    body = response.content.decode()
    assert "Visible Trust" in body
    assert "Hidden Society" not in body
    assert hidden.contact_email not in body
    assert "1 organization stands together" in body


def test_contact_data_never_reaches_the_public_page(client, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED)

    body = client.get(f"/campaigns/{ally.campaign.slug}/").content.decode()

    assert ally.organization.name in body
    assert ally.contact_email not in body
    assert ally.contact_name not in body


def test_an_unknown_campaign_is_a_404(client, campaign):
    assert client.get("/campaigns/no-such-campaign/").status_code == 404


def test_the_home_page_without_any_campaign_is_a_404_not_a_500(client, db):
    assert client.get("/").status_code == 404


def test_pages_refuse_to_be_framed(client, campaign):
    assert client.get("/").headers["X-Frame-Options"] == "DENY"
