"""The browser of whoever changes the public pages is told to drop its copies of them, so that
the next page it opens shows the change."""

from __future__ import annotations

import pytest
from django.utils import timezone

from coalition.endorsements import tokens
from coalition.models import Endorsement

Status = Endorsement.Status
CLEAR = '"cache"'
# Real commits: the public version moves in the commit's callback, inside the request. Rolled
# back by restoring the data the migrations made (the Reviewers group).
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_withdrawing_tells_the_applicants_browser_to_drop_its_copies(client, make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED)

    response = client.post(
        f"/manage/{tokens.manage_token(endorsement)}/withdraw/", {"confirm": "on"}
    )

    assert response.status_code == 200
    endorsement.refresh_from_db()
    assert endorsement.status == Status.WITHDRAWN
    assert response["Clear-Site-Data"] == CLEAR


def test_a_reviewers_approval_tells_their_browser_too_on_the_redirect(
    reviewer_client, make_endorsement
):
    endorsement = make_endorsement(website="https://solo.net", contact_email="a@solo.net")
    # Proven by email (a confirmed address at its own domain): nothing for the reviewer to tick.
    Endorsement.objects.filter(pk=endorsement.pk).update(
        confirmed_at=timezone.now(), domain_verified=True
    )
    screen = f"/review/{endorsement.public_id}/"
    reviewer_client.get(screen)

    response = reviewer_client.post(f"{screen}approve/", {})

    assert response.status_code == 302
    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED
    assert response["Clear-Site-Data"] == CLEAR


def test_a_request_that_changes_nothing_public_keeps_the_browsers_cache(client, make_endorsement):
    pending = make_endorsement(status=Status.PENDING)
    approved = make_endorsement(status=Status.APPROVED)

    refused = client.post(f"/manage/{tokens.manage_token(approved)}/withdraw/", {})
    edited = client.post(
        f"/manage/{tokens.manage_token(pending)}/",
        {"website": pending.organization.website, "statement": "Not public yet."},
    )
    page = client.get("/")

    assert refused.status_code == 400
    assert edited.status_code in (200, 302)
    assert page.status_code == 200
    for response in (refused, edited, page):
        assert "Clear-Site-Data" not in response
