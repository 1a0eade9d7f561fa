"""The way to the workspace: the mail that tells reviewers of an application or of changes to
review opens its decision screen (/review/<public_id>/), not the admin's read-only page; the
admin's home leads to the workspace."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User

from coalition import services
from coalition.models import Endorsement, OutboundEmail

Status = Endorsement.Status
SITE = "https://registry.example"


@pytest.fixture(autouse=True)
def _site_url(settings):
    settings.SITE_URL = SITE


def _notice(template: str) -> OutboundEmail:
    return OutboundEmail.objects.get(template=template)


def test_the_new_application_notice_opens_the_decision_screen(
    make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=Status.UNCONFIRMED)

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_confirm(endorsement=endorsement)

    notice = _notice("review-needed")
    link = f"{SITE}/review/{endorsement.public_id}/"
    assert notice.to == [reviewer.email]
    assert link in notice.body_text
    assert f'href="{link}"' in notice.body_html
    for body in (notice.body_text, notice.body_html):
        assert "/admin/" not in body
        # The applicant's private links are theirs, not the reviewers'.
        assert "/manage/" not in body
        assert "/confirm/" not in body


def test_the_changes_notice_opens_the_decision_screen(
    make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=Status.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        services.organization_update(
            endorsement=endorsement, website=endorsement.organization.website, statement="New."
        )

    notice = _notice("changes-to-review")
    link = f"{SITE}/review/{endorsement.public_id}/"
    assert link in notice.body_text
    assert f'href="{link}"' in notice.body_html
    assert "/admin/" not in notice.body_text + notice.body_html


def test_the_admin_home_leads_a_reviewer_to_the_workspace(reviewer_client, make_endorsement):
    make_endorsement(status=Status.PENDING)
    make_endorsement(status=Status.PENDING)

    body = reviewer_client.get("/admin/").content.decode()

    assert 'id="review-workspace"' in body
    assert '<a class="button default" href="/review/">Open the review workspace</a>' in body
    assert "2 applications are waiting for a decision." in body


def test_the_admin_home_says_one_application_in_the_singular(reviewer_client, make_endorsement):
    make_endorsement(status=Status.PENDING)

    body = reviewer_client.get("/admin/").content.decode()

    assert "1 application is waiting for a decision." in body


def test_staff_who_may_not_decide_are_not_sent_to_the_workspace(client, db):
    clerk = User.objects.create_superuser("root", "root@registry.example", "x")
    clerk.is_superuser = False
    clerk.save()
    client.force_login(clerk)

    response = client.get("/admin/")

    assert response.status_code == 200
    assert 'id="review-workspace"' not in response.content.decode()
