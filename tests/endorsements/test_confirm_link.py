"""The confirmation link: opening it only asks (mail gateways' link scanners open every link), the
button confirms, and the private manage link is handed out once, to whoever confirms."""

from __future__ import annotations

import re

import pytest

from coalition import services
from coalition.endorsements import tokens
from coalition.models import Endorsement

Status = Endorsement.Status


@pytest.fixture
def unconfirmed(make_endorsement) -> Endorsement:
    return make_endorsement(status=Status.UNCONFIRMED)


def _confirm_path(endorsement: Endorsement) -> str:
    return f"/confirm/{tokens.confirm_token(endorsement)}/"


@pytest.mark.parametrize("method", ["get", "head"])
def test_a_link_scanner_opening_the_confirm_link_confirms_nothing(client, unconfirmed, method):
    response = getattr(client, method)(_confirm_path(unconfirmed))

    assert response.status_code == 200
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Status.UNCONFIRMED
    assert not unconfirmed.events.exists()


def test_opening_the_confirm_link_asks_with_a_button_and_shows_no_private_link(client, unconfirmed):
    page = client.get(_confirm_path(unconfirmed)).content.decode()

    assert "Confirm your address" in page
    assert 'method="post"' in page
    assert "/manage/" not in page


def test_the_button_confirms_and_hands_out_the_private_link(client, unconfirmed):
    response = client.post(_confirm_path(unconfirmed))

    assert response.status_code == 200
    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Status.PENDING
    assert "Thank you, your address is confirmed" in response.content.decode()
    # The link is signed at the second it is made: read it back rather than sign one to compare.
    [token] = re.findall(r'href="[^"]*/manage/([^/"]+)/"', response.content.decode())
    assert tokens.endorsement_from_manage_token(token) == unconfirmed


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_confirm_link_used_again_mints_no_private_link(client, unconfirmed, method):
    client.post(_confirm_path(unconfirmed))

    again = getattr(client, method)(_confirm_path(unconfirmed)).content.decode()

    assert "Already confirmed" in again
    assert "/manage/" not in again


def test_after_a_reviewer_revoked_the_links_the_confirm_link_mints_none(client, unconfirmed):
    services.endorsement_manage_links_revoke(endorsement=unconfirmed)

    confirmed = client.post(_confirm_path(unconfirmed)).content.decode()

    unconfirmed.refresh_from_db()
    assert unconfirmed.status == Status.PENDING
    assert "/manage/" not in confirmed
    assert "Ask for a new one" in confirmed
