"""Review notices and a campaign's team: news of an application to review goes to the reviewers
of every campaign and to that campaign's own team, never to another campaign's."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.template import Context, Template
from django.test import RequestFactory

from coalition import services
from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.models import Campaign, Endorsement
from coalition.reviewing import reviewers

Status = Endorsement.Status


@pytest.fixture
def other_campaign(db) -> Campaign:
    return Campaign.objects.create(
        slug="open-letter", title="Open letter on encryption", statement="Protect encryption."
    )


def member(campaign: Campaign, username: str, role: str, **fields) -> User:
    fields.setdefault("email", f"{username}@partner.example")
    fields.setdefault("is_staff", True)
    user = User.objects.create_user(username, password="pw", **fields)
    CampaignMember.objects.create(campaign=campaign, user=user, role=role)
    return user


@pytest.fixture
def told(make_endorsement, django_capture_on_commit_callbacks, mailoutbox):
    """Confirm an application of ``campaign``; return who was mailed about it besides its
    contact, and the subjects of those mails."""

    def confirm(campaign: Campaign) -> list[str]:
        endorsement = make_endorsement(status=Status.UNCONFIRMED, campaign=campaign)
        with django_capture_on_commit_callbacks(execute=True):
            services.endorsement_confirm(endorsement=endorsement)
        return sorted(
            address
            for message in mailoutbox
            if endorsement.contact_email not in message.to
            for address in message.to
        )

    return confirm


def test_a_new_application_is_announced_to_its_campaigns_team_and_the_reviewers(
    told, campaign, other_campaign, reviewer, settings
):
    settings.ADMINS = [("Ops", "ops@registry.example")]
    owner = member(campaign, "olu", TeamRole.OWNER)
    team_reviewer = member(campaign, "rita", TeamRole.REVIEWER)
    member(other_campaign, "otto", TeamRole.OWNER)
    member(campaign, "gone", TeamRole.REVIEWER, is_active=False)
    member(campaign, "no-address", TeamRole.REVIEWER, email="")

    assert told(campaign) == sorted([reviewer.email, owner.email, team_reviewer.email])


def test_another_campaigns_team_hears_only_of_its_own(told, campaign, other_campaign, reviewer):
    member(campaign, "olu", TeamRole.OWNER)
    otto = member(other_campaign, "otto", TeamRole.OWNER)

    assert told(other_campaign) == sorted([reviewer.email, otto.email])


def test_someone_on_the_team_and_in_the_reviewers_group_gets_one_mail(told, campaign, reviewer):
    CampaignMember.objects.create(campaign=campaign, user=reviewer, role=TeamRole.OWNER)

    assert told(campaign) == [reviewer.email]


def test_a_team_alone_is_told_and_admins_stand_in_for_nobody(
    told, campaign, other_campaign, settings
):
    settings.ADMINS = [("Ops", "ops@registry.example")]
    olu = member(campaign, "olu", TeamRole.OWNER)

    assert told(campaign) == [olu.email]
    # The other campaign has no team and nobody reviews every campaign: ADMINS hear of it.
    assert reviewers.review_notice_addresses(campaign=other_campaign) == ["ops@registry.example"]


def test_without_a_campaign_only_the_reviewers_of_every_campaign_are_counted(campaign, reviewer):
    member(campaign, "olu", TeamRole.OWNER)

    assert reviewers.review_notice_addresses() == [reviewer.email]


def test_proposed_changes_are_announced_to_that_campaigns_team(
    make_endorsement,
    campaign,
    other_campaign,
    reviewer,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    olu = member(campaign, "olu", TeamRole.OWNER)
    member(other_campaign, "otto", TeamRole.OWNER)
    approved = make_endorsement(status=Status.APPROVED)

    with django_capture_on_commit_callbacks(execute=True):
        services.organization_update(
            endorsement=approved, website="https://changed.example.org", statement="New words"
        )

    assert len(mailoutbox) == 1
    assert sorted(mailoutbox[0].to) == sorted([reviewer.email, olu.email])


def _workspace_tag(user) -> str:
    request = RequestFactory().get("/admin/")
    request.user = user
    template = Template(
        "{% load review_notices %}{% review_workspace as workspace %}"
        "{% if workspace %}{{ workspace.pending }}{% else %}none{% endif %}"
    )
    return template.render(Context({"request": request}))


def test_the_admin_homes_count_is_of_the_campaigns_one_reviews(
    make_endorsement, campaign, other_campaign, reviewer
):
    make_endorsement(campaign=campaign)
    make_endorsement(campaign=other_campaign)
    make_endorsement(campaign=other_campaign)
    rita = member(campaign, "rita", TeamRole.REVIEWER)
    clerk = User.objects.create_user("clerk", "clerk@registry.example", "pw", is_staff=True)

    assert _workspace_tag(rita) == "1"
    assert _workspace_tag(reviewer) == "3"
    assert _workspace_tag(clerk) == "none"
