"""A campaign's team in the workspace: its reviewers and owners see and decide only their
campaigns' applications; any other answers 404; the Reviewers group and superusers see all."""

from __future__ import annotations

import csv
import io

import pytest
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition import services
from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.errors import EndorsementTransitionError
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    OrganizationVersion,
    ReviewClaim,
)
from tests.factories import on_own_domains

Status = Endorsement.Status
QUEUE = "/review/"


def screen(endorsement: Endorsement) -> str:
    return f"/review/{endorsement.public_id}/"


def names(response) -> list[str]:
    return [row["organization"].name for row in response.context["rows"]]


def counts(response) -> dict[str, int]:
    return {tab["slug"]: tab["count"] for tab in response.context["tabs"]}


@pytest.fixture
def make_endorsement(make_endorsement):
    """conftest's, each organization on a domain of its own, proven by the contact's address
    (so that approving needs nothing acknowledged)."""
    return on_own_domains(make_endorsement, "team-org")


@pytest.fixture
def other_campaign(db) -> Campaign:
    return Campaign.objects.create(
        slug="open-letter",
        title="Open letter on encryption",
        statement="We ask lawmakers to protect encryption.",
    )


def member(campaign: Campaign, username: str, role: str = TeamRole.REVIEWER) -> User:
    user = User.objects.create_user(
        username, f"{username}@partner.example", "team horse battery", is_staff=True
    )
    CampaignMember.objects.create(campaign=campaign, user=user, role=role)
    return user


@pytest.fixture
def rita(campaign) -> User:
    """A reviewer of the default campaign only: staff, no permission of her own."""
    return member(campaign, "rita")


@pytest.fixture
def rita_client(rita) -> Client:
    client = Client()
    client.force_login(rita)
    return client


@pytest.fixture
def ours(make_endorsement) -> Endorsement:
    return make_endorsement(name="Ours Pending")


@pytest.fixture
def theirs(make_endorsement, other_campaign) -> Endorsement:
    return make_endorsement(name="Theirs Pending", campaign=other_campaign)


# The queue ----------------------------------------------------------------------------------


def test_a_campaign_reviewer_sees_only_their_campaigns_pending_applications(
    rita_client, ours, theirs
):
    response = rita_client.get(QUEUE)

    assert response.status_code == 200
    assert names(response) == ["Ours Pending"]
    assert counts(response)["pending"] == 1
    assert "Theirs Pending" not in response.content.decode()


def test_every_tab_and_its_count_leaves_other_campaigns_out(
    rita_client, make_endorsement, campaign, other_campaign
):
    for target, prefix in ((campaign, "Ours"), (other_campaign, "Theirs")):
        make_endorsement(name=f"{prefix} Pending", campaign=target)
        decided = make_endorsement(name=f"{prefix} Decided", campaign=target)
        Endorsement.objects.filter(pk=decided.pk).update(
            status=Status.APPROVED, approved_at=timezone.now(), decided_at=timezone.now()
        )
        changing = make_endorsement(
            name=f"{prefix} Changing", campaign=target, status=Status.APPROVED
        )
        services.organization_update(
            endorsement=changing, website=f"https://{prefix.lower()}-new.org", statement="New"
        )
        reported = make_endorsement(name=f"{prefix} Reported", campaign=target)
        services.endorsement_withdraw(
            endorsement=reported, actor=EndorsementEvent.Actor.APPLICANT, reported=True
        )

    expected = {
        "pending": ["Ours Pending"],
        "changes": ["Ours Changing"],
        "reported": ["Ours Reported"],
        "proof": [],
        "decided": ["Ours Decided"],
    }
    for tab, shown in expected.items():
        response = rita_client.get(QUEUE if tab == "pending" else f"{QUEUE}{tab}/")
        assert response.status_code == 200
        assert names(response) == shown, tab
        assert counts(response) == {slug: len(rows) for slug, rows in expected.items()}
        assert "Theirs" not in response.content.decode()


def test_searching_finds_nothing_of_another_campaign(rita_client, ours, theirs):
    response = rita_client.get(f"{QUEUE}?q=Pending")

    assert names(response) == ["Ours Pending"]
    assert rita_client.get(f"{QUEUE}?q={theirs.public_id}").context["rows"] == []


def test_another_campaign_is_no_choice_of_the_queues_filter(
    rita_client, ours, theirs, other_campaign
):
    page = rita_client.get(QUEUE).content.decode()
    assert other_campaign.title not in page

    response = rita_client.get(f"{QUEUE}?campaign={other_campaign.slug}")

    assert response.status_code == 400
    assert names(response) == ["Ours Pending"]


def test_the_reviewers_group_still_sees_every_campaign(reviewer_client, ours, theirs):
    response = reviewer_client.get(QUEUE)

    assert sorted(names(response)) == ["Ours Pending", "Theirs Pending"]
    assert counts(response)["pending"] == 2
    assert reviewer_client.get(screen(theirs)).status_code == 200


def test_a_superuser_sees_every_campaign(client, superuser, ours, theirs):
    client.force_login(superuser)

    response = client.get(QUEUE)

    assert sorted(names(response)) == ["Ours Pending", "Theirs Pending"]
    assert client.get(screen(theirs)).status_code == 200


# Another campaign's application: 404 --------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("get", "{screen}"),
        ("get", "{screen}status/"),
        ("get", "{screen}take-over/"),
        ("post", "{screen}approve/"),
        ("post", "{screen}reject/"),
        ("post", "{screen}remove/"),
        ("post", "{screen}evidence/"),
        ("post", "{screen}claim/"),
        ("post", "{screen}release/"),
        ("post", "{screen}take-over/"),
    ],
)
def test_another_campaigns_application_answers_404(rita_client, theirs, method, path):
    response = getattr(rita_client, method)(path.format(screen=screen(theirs)))

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING
    assert not ReviewClaim.objects.exists()
    assert not theirs.events.exists()


def test_approving_another_campaigns_application_changes_nothing(rita_client, theirs):
    response = rita_client.post(
        f"{screen(theirs)}approve/",
        {"approve-acknowledge": "on", "approve-note": "Looks fine to me"},
    )

    assert response.status_code == 404
    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING
    assert theirs.decided_by is None
    assert theirs.approved_at is None


@pytest.mark.parametrize("decision", ["approve", "decline"])
def test_another_campaigns_proposed_changes_answer_404(
    rita_client, make_endorsement, other_campaign, decision
):
    theirs = make_endorsement(name="Theirs", campaign=other_campaign, status=Status.APPROVED)
    services.organization_update(
        endorsement=theirs, website="https://theirs-new.org", statement="New words"
    )
    version = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)

    response = rita_client.post(f"{screen(theirs)}changes/{version.pk}/{decision}/")

    assert response.status_code == 404
    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.PROPOSED


def test_a_campaign_reviewer_decides_their_own_campaigns_application(rita_client, rita, ours):
    opened = rita_client.get(screen(ours))
    assert opened.status_code == 200
    assert ReviewClaim.objects.get().reviewer == rita

    response = rita_client.post(f"{screen(ours)}approve/", {"approve-note": ""})

    assert response.status_code == 302
    ours.refresh_from_db()
    assert ours.status == Status.APPROVED
    assert ours.decided_by == rita


def test_an_owner_of_one_campaign_gets_404_for_another(client, campaign, other_campaign, theirs):
    olu = member(campaign, "olu", TeamRole.OWNER)
    client.force_login(olu)

    assert client.get(QUEUE).status_code == 200
    assert client.get(screen(theirs)).status_code == 404
    assert client.post(f"{screen(theirs)}reject/").status_code == 404


def test_the_evidence_names_another_campaigns_application_without_linking_to_it(
    rita_client, reviewer_client, make_endorsement, other_campaign
):
    # Two organizations on one registrable domain: the evidence lists the other one.
    ours = make_endorsement(name="Shared One", website="https://one.shared-domain.org")
    theirs = make_endorsement(
        name="Shared Two", website="https://two.shared-domain.org", campaign=other_campaign
    )
    services.evidence_refresh(endorsement=ours)

    page = rita_client.get(screen(ours)).content.decode()

    assert "Shared Two" in page
    assert screen(theirs) not in page
    # The Reviewers group, who may open it, still gets the link.
    assert screen(theirs) in reviewer_client.get(screen(ours)).content.decode()


# Who comes in ---------------------------------------------------------------------------------


def test_staff_on_no_team_are_still_refused(client, ours):
    clerk = User.objects.create_user("clerk", "clerk@registry.example", "pw", is_staff=True)
    client.force_login(clerk)

    response = client.get(QUEUE)

    assert response.status_code == 403
    assert b"This workspace is for reviewers" in response.content


def test_a_team_member_who_is_not_staff_is_refused(client, campaign, ours):
    outsider = User.objects.create_user("outsider", "outsider@partner.example", "pw")
    CampaignMember.objects.create(campaign=campaign, user=outsider, role=TeamRole.REVIEWER)
    client.force_login(outsider)

    assert client.get(QUEUE).status_code == 403


def test_with_two_factors_required_a_team_member_without_a_code_signs_in_again(
    rita_client, rita, ours, settings
):
    settings.REQUIRE_STAFF_2FA = True
    TOTPDevice.objects.create(user=rita, name="phone", confirmed=True)

    response = rita_client.get(QUEUE)

    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=/review/")


def test_taken_off_the_team_they_are_refused_on_the_next_request(rita_client, rita, ours):
    assert rita_client.get(screen(ours)).status_code == 200

    CampaignMember.objects.filter(user=rita).delete()

    assert rita_client.get(QUEUE).status_code == 403
    assert rita_client.get(screen(ours)).status_code == 403
    response = rita_client.post(f"{screen(ours)}approve/", {"approve-note": ""})
    assert response.status_code == 403
    ours.refresh_from_db()
    assert ours.status == Status.PENDING


def test_taken_off_one_of_two_teams_that_campaign_answers_404_at_once(
    rita_client, rita, other_campaign, ours, theirs
):
    CampaignMember.objects.create(campaign=other_campaign, user=rita, role=TeamRole.REVIEWER)
    assert rita_client.get(screen(theirs)).status_code == 200

    CampaignMember.objects.filter(user=rita, campaign=other_campaign).delete()

    assert rita_client.get(screen(theirs)).status_code == 404
    assert names(rita_client.get(QUEUE)) == ["Ours Pending"]


# The rule in the services --------------------------------------------------------------------


def test_the_service_refuses_a_decision_by_someone_who_does_not_review_the_campaign(
    rita, theirs, reason
):
    with pytest.raises(EndorsementTransitionError, match="You do not review the campaign"):
        services.endorsement_approve(endorsement=theirs, by=rita, note="", acknowledged=True)
    with pytest.raises(EndorsementTransitionError):
        services.endorsement_reject(endorsement=theirs, by=rita, reason=reason)

    theirs.refresh_from_db()
    assert theirs.status == Status.PENDING
    assert not theirs.events.exists()


def test_the_service_refuses_staff_on_no_team(ours, db):
    clerk = User.objects.create_user("clerk", "clerk@registry.example", "pw", is_staff=True)

    with pytest.raises(EndorsementTransitionError):
        services.endorsement_approve(endorsement=ours, by=clerk)

    ours.refresh_from_db()
    assert ours.status == Status.PENDING


def test_the_service_lets_a_team_member_and_the_system_decide(rita, ours, make_endorsement):
    services.endorsement_approve(endorsement=ours, by=rita)
    seeded = make_endorsement(name="Seeded", website="https://seeded-elsewhere.net")
    services.endorsement_approve(endorsement=seeded, by=None, note="Demo", acknowledged=True)

    assert Endorsement.objects.get(pk=ours.pk).decided_by == rita
    assert Endorsement.objects.get(pk=seeded.pk).status == Status.APPROVED


def test_changes_showing_on_another_campaigns_wall_are_refused_by_the_service(
    rita, campaign, other_campaign, make_endorsement
):
    ours = make_endorsement(name="Both Walls", status=Status.APPROVED)
    # The same organization, approved on the other campaign's wall too.
    Endorsement.objects.create(
        organization=ours.organization,
        campaign=other_campaign,
        status=Status.APPROVED,
        approved_at=timezone.now(),
        contact_email="someone@example.org",
        consent_authority=True,
        consent_publish=True,
    )
    version = services.organization_update(
        endorsement=ours, website="https://both-walls-new.org", statement="New words"
    )

    with pytest.raises(EndorsementTransitionError, match="Open letter on encryption"):
        services.organization_version_approve(version=version, by=rita)
    with pytest.raises(EndorsementTransitionError):
        services.organization_version_decline(version=version, by=rita)

    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.PROPOSED
    CampaignMember.objects.create(campaign=other_campaign, user=rita, role=TeamRole.REVIEWER)
    services.organization_version_approve(version=version, by=rita)
    version.refresh_from_db()
    assert version.state == OrganizationVersion.State.CURRENT


# The dashboard and its export ----------------------------------------------------------------


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode())))


def test_the_dashboard_and_its_csv_count_only_their_campaigns(
    rita_client, ours, theirs, other_campaign
):
    Endorsement.objects.filter(pk=ours.pk).update(source={"ref": "ours-newsletter"})
    Endorsement.objects.filter(pk=theirs.pk).update(source={"ref": "theirs-newsletter"})

    page = rita_client.get("/review/dashboard/?campaign=all")
    exported = rita_client.get("/review/dashboard/?campaign=all&format=csv")

    assert page.status_code == 200
    assert page.context["data"].pending == 1
    assert sum(week["total"] for week in page.context["data"].weekly) == 1
    html = page.content.decode()
    assert "ours-newsletter" in html
    assert "theirs-newsletter" not in html
    assert other_campaign.title not in html
    assert exported.status_code == 200
    cells = {cell for row in _csv(exported) for cell in row}
    assert "ours-newsletter" in cells
    assert "theirs-newsletter" not in cells


def test_another_campaigns_dashboard_is_refused(rita_client, theirs, other_campaign):
    response = rita_client.get(f"/review/dashboard/?campaign={other_campaign.slug}&format=csv")

    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")


def test_the_reviewers_group_dashboard_still_counts_every_campaign(reviewer_client, ours, theirs):
    page = reviewer_client.get("/review/dashboard/?campaign=all")

    assert page.context["data"].pending == 2


# The admin -----------------------------------------------------------------------------------


def test_the_admin_shows_a_team_member_nothing_but_the_way_to_their_queue(
    rita_client, ours, theirs
):
    home = rita_client.get("/admin/")

    assert home.status_code == 200
    html = home.content.decode()
    assert "1 application is waiting for a decision." in html
    assert 'href="/review/"' in html
    assert "Theirs Pending" not in html
    for path in (
        "/admin/coalition/endorsement/",
        f"/admin/coalition/endorsement/{theirs.pk}/change/",
        "/admin/coalition/organization/",
        "/admin/coalition/campaign/",
        "/admin/coalition/campaignmember/",
        "/admin/coalition/teamevent/",
    ):
        assert rita_client.get(path).status_code == 403, path
