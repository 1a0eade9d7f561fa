"""A campaign's team changes (coalition.campaigns.invitations): invitations sent once, used once,
within 7 days, replaced, withdrawn; members' roles and removals, the last owner kept; every
change in the audit trail; the mail in the inviter's chosen language."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition.campaigns import invitations, team
from coalition.campaigns.models import (
    Campaign,
    CampaignInvitation,
    CampaignMember,
    TeamEvent,
    TeamRole,
)

Action = TeamEvent.Action
PASSWORD = "a long walk by the river"


@pytest.fixture
def owner(campaign) -> User:
    user = User.objects.create_user(
        "olga@ngo.example", "olga@ngo.example", "owner password 1", is_staff=True
    )
    user.first_name, user.last_name = "Olga", "Berg"
    user.save()
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


def _token(link: str) -> str:
    path = urlsplit(link).path
    assert path.startswith("/review/join/")
    return path.removeprefix("/review/join/").strip("/")


def _invite(campaign, owner, email="nils@partner.example", role=TeamRole.REVIEWER, language="en"):
    return invitations.invitation_send(
        campaign=campaign, email=email, role=role, by=owner, language=language
    )


def test_an_invitation_stores_only_the_hash_of_its_token(campaign, owner):
    invitation, link = _invite(campaign, owner)
    token = _token(link)
    assert len(token) >= 40
    invitation.refresh_from_db()
    assert invitation.token_hash == hashlib.sha256(token.encode()).hexdigest()
    row = CampaignInvitation.objects.filter(pk=invitation.pk).values()[0]
    assert not any(token in str(value) for value in row.values())


def test_an_invitation_is_valid_for_seven_days(campaign, owner):
    invitation, _link = _invite(campaign, owner)
    assert invitation.expires_at - invitation.created_at == pytest.approx(
        timedelta(days=7), abs=timedelta(seconds=1)
    )


def test_an_invitation_is_recorded_and_mailed_in_the_inviters_chosen_language(
    campaign, owner, mailoutbox, django_capture_on_commit_callbacks
):
    campaign.title_fr = "Garder la détection légale"
    campaign.save()
    with django_capture_on_commit_callbacks(execute=True):
        _invitation, link = _invite(campaign, owner, language="fr")
    event = TeamEvent.objects.get(campaign=campaign)
    assert (event.action, event.by, event.email, event.role) == (
        Action.INVITED,
        owner,
        "nils@partner.example",
        TeamRole.REVIEWER,
    )
    [message] = mailoutbox
    assert message.to == ["nils@partner.example"]
    assert "Garder la détection légale" in message.subject
    assert "Olga Berg" in message.body
    assert "Garder la détection légale" in message.body
    assert "relect" in message.body.lower() or "examin" in message.body.lower()
    assert "7 jours" in message.body
    assert link in message.body
    assert link in message.alternatives[0][0]


def test_the_mail_follows_the_language_chosen_not_the_active_one(
    campaign, owner, mailoutbox, django_capture_on_commit_callbacks
):
    with translation.override("fr"), django_capture_on_commit_callbacks(execute=True):
        _invite(campaign, owner, language="de")
    [message] = mailoutbox
    assert "7 Tage" in message.body


def test_a_link_is_used_once(campaign, owner):
    _invitation, link = _invite(campaign, owner)
    member = invitations.invitation_accept(token=_token(link), name="Nils Ek", password=PASSWORD)
    assert member.role == TeamRole.REVIEWER
    user = member.user
    assert (user.username, user.email, user.first_name, user.last_name, user.is_staff) == (
        "nils@partner.example",
        "nils@partner.example",
        "Nils",
        "Ek",
        True,
    )
    assert user.check_password(PASSWORD)
    assert team.may_review(user, campaign)
    assert not team.may_own(user, campaign)
    with pytest.raises(invitations.InvitationGone, match="used already"):
        invitations.invitation_accept(token=_token(link), name="Someone Else", password=PASSWORD)
    assert User.objects.filter(email="nils@partner.example").count() == 1


def test_joining_is_recorded_and_marks_the_invitation_accepted(campaign, owner):
    invitation, link = _invite(campaign, owner)
    member = invitations.invitation_accept(token=_token(link), name="Nils Ek", password=PASSWORD)
    invitation.refresh_from_db()
    assert invitation.accepted_by == member.user
    assert invitation.accepted_at is not None
    joined = TeamEvent.objects.get(action=Action.JOINED)
    assert (joined.user, joined.by, joined.role) == (member.user, member.user, TeamRole.REVIEWER)


def test_an_expired_link_changes_nothing(campaign, owner):
    _invitation, link = _invite(campaign, owner)
    with (
        time_machine.travel(timezone.now() + timedelta(days=7, minutes=1)),
        pytest.raises(invitations.InvitationGone, match="expired"),
    ):
        invitations.invitation_accept(token=_token(link), name="Nils Ek", password=PASSWORD)
    assert not User.objects.filter(email="nils@partner.example").exists()
    assert not TeamEvent.objects.filter(action=Action.JOINED).exists()


def test_a_link_still_works_on_its_last_day(campaign, owner):
    _invitation, link = _invite(campaign, owner)
    with time_machine.travel(timezone.now() + timedelta(days=6, hours=23)):
        member = invitations.invitation_accept(
            token=_token(link), name="Nils Ek", password=PASSWORD
        )
    assert member.pk


def test_a_new_invitation_to_the_same_address_replaces_the_open_one(campaign, owner):
    first, first_link = _invite(campaign, owner, email="Nils@Partner.example")
    second, second_link = _invite(campaign, owner, role=TeamRole.OWNER)
    first.refresh_from_db()
    assert first.revoked_at is not None
    assert second.is_open()
    with pytest.raises(invitations.InvitationGone, match="withdrawn"):
        invitations.invitation_accept(token=_token(first_link), name="Nils Ek", password=PASSWORD)
    member = invitations.invitation_accept(
        token=_token(second_link), name="Nils Ek", password=PASSWORD
    )
    assert member.role == TeamRole.OWNER
    assert list(TeamEvent.objects.filter(campaign=campaign).values_list("action", flat=True)) == [
        Action.INVITED,
        Action.INVITATION_WITHDRAWN,
        Action.INVITED,
        Action.JOINED,
    ]


def test_a_withdrawn_invitation_cannot_be_used(campaign, owner):
    invitation, link = _invite(campaign, owner)
    invitations.invitation_withdraw(invitation=invitation, by=owner)
    with pytest.raises(invitations.InvitationGone, match="withdrawn"):
        invitations.invitation_accept(token=_token(link), name="Nils Ek", password=PASSWORD)
    event = TeamEvent.objects.filter(action=Action.INVITATION_WITHDRAWN).get()
    assert (event.by, event.email) == (owner, "nils@partner.example")
    with pytest.raises(invitations.TeamError, match="no longer open"):
        invitations.invitation_withdraw(invitation=invitation, by=owner)


def test_a_made_up_link_is_not_valid(db):
    with pytest.raises(invitations.InvitationGone, match="not valid"):
        invitations.invitation_accept(token="made-up", name="Nils Ek", password=PASSWORD)


def test_inviting_someone_already_on_the_team_with_that_role_is_refused(
    campaign, owner, mailoutbox, django_capture_on_commit_callbacks
):
    with (
        django_capture_on_commit_callbacks(execute=True),
        pytest.raises(invitations.TeamError, match="already on this team as owner"),
    ):
        _invite(campaign, owner, email="OLGA@ngo.example", role=TeamRole.OWNER)
    assert not CampaignInvitation.objects.exists()
    assert mailoutbox == []


def test_inviting_a_member_with_another_role_points_at_the_role_change(campaign, owner):
    with pytest.raises(invitations.TeamError, match="change their role"):
        _invite(campaign, owner, email="olga@ngo.example", role=TeamRole.REVIEWER)


def test_bad_input_is_refused_with_a_message(campaign, owner):
    with pytest.raises(invitations.TeamError, match="valid email"):
        _invite(campaign, owner, email="not an address")
    with pytest.raises(invitations.TeamError, match="role"):
        _invite(campaign, owner, role="admin")
    with pytest.raises(invitations.TeamError, match="language"):
        _invite(campaign, owner, language="xx")


def test_only_owners_invite(campaign, owner, reviewer):
    other = Campaign.objects.create(slug="other", title="Other")
    CampaignMember.objects.create(campaign=other, user=reviewer, role=TeamRole.OWNER)
    with pytest.raises(invitations.TeamError, match="owners"):
        _invite(campaign, reviewer)


def test_a_weak_password_is_refused_and_nothing_changes(campaign, owner):
    invitation, link = _invite(campaign, owner)
    with pytest.raises(invitations.TeamError, match=r"too short|too common"):
        invitations.invitation_accept(token=_token(link), name="Nils Ek", password="abc")
    invitation.refresh_from_db()
    assert invitation.is_open()
    assert not User.objects.filter(email="nils@partner.example").exists()


def test_an_existing_account_joins_only_signed_in(campaign, owner, reviewer):
    _invitation, link = _invite(campaign, owner, email="REVIEWER@registry.example")
    with pytest.raises(invitations.AccountExists):
        invitations.invitation_accept(token=_token(link), name="Mallory", password=PASSWORD)
    stranger = User.objects.create_user("stranger", "stranger@else.example", is_staff=True)
    with pytest.raises(invitations.TeamError, match="sign in with that account"):
        invitations.invitation_accept(token=_token(link), user=stranger)
    member = invitations.invitation_accept(token=_token(link), user=reviewer)
    assert (member.user, member.role) == (reviewer, TeamRole.REVIEWER)
    reviewer.refresh_from_db()
    assert reviewer.check_password("correct horse battery")


def test_with_two_factor_required_a_new_account_needs_its_code(campaign, owner, settings):
    settings.REQUIRE_STAFF_2FA = True
    _invitation, link = _invite(campaign, owner)
    token = _token(link)
    with pytest.raises(invitations.TeamError, match="code"):
        invitations.invitation_accept(token=token, name="Nils Ek", password=PASSWORD, totp_code="1")
    assert not User.objects.filter(email="nils@partner.example").exists()
    device = invitations.enrolment_device(token, "nils@partner.example")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    member = invitations.invitation_accept(
        token=token, name="Nils Ek", password=PASSWORD, totp_code=f"{code:06d}"
    )
    [stored] = TOTPDevice.objects.devices_for_user(member.user, confirmed=True)
    assert stored.key == device.key
    # The code just used does not sign in a second time.
    assert not stored.verify_token(f"{code:06d}")


def test_the_last_owner_cannot_be_removed_or_demoted(campaign, owner):
    member = CampaignMember.objects.get(user=owner)
    with pytest.raises(invitations.TeamError, match="last owner"):
        invitations.member_remove(member=member, by=owner)
    with pytest.raises(invitations.TeamError, match="last owner"):
        invitations.member_role_change(member=member, role=TeamRole.REVIEWER, by=owner)
    member.refresh_from_db()
    assert member.role == TeamRole.OWNER
    assert not TeamEvent.objects.exists()


def test_an_owner_changes_a_role_and_removes_a_member_on_the_record(campaign, owner, reviewer):
    member = CampaignMember.objects.create(campaign=campaign, user=reviewer, role=TeamRole.REVIEWER)
    invitations.member_role_change(member=member, role=TeamRole.OWNER, by=owner)
    assert team.may_own(reviewer, campaign)
    # Now there are two owners: the first may step down.
    invitations.member_role_change(
        member=CampaignMember.objects.get(user=owner), role=TeamRole.REVIEWER, by=owner
    )
    invitations.member_remove(member=CampaignMember.objects.get(user=owner), by=reviewer)
    assert not team.may_review(owner, campaign)
    events = list(TeamEvent.objects.values_list("action", "by", "user", "role", "from_role"))
    assert events == [
        (Action.ROLE_CHANGED, owner.pk, reviewer.pk, TeamRole.OWNER, TeamRole.REVIEWER),
        (Action.ROLE_CHANGED, owner.pk, owner.pk, TeamRole.REVIEWER, TeamRole.OWNER),
        (Action.REMOVED, reviewer.pk, owner.pk, "", TeamRole.REVIEWER),
    ]


def test_a_reviewer_cannot_change_the_team(campaign, owner, reviewer):
    reviewer.groups.clear()
    CampaignMember.objects.create(campaign=campaign, user=reviewer, role=TeamRole.REVIEWER)
    with pytest.raises(invitations.TeamError, match="owners"):
        invitations.member_remove(member=CampaignMember.objects.get(user=owner), by=reviewer)


def test_the_audit_trail_cannot_be_changed(campaign, owner):
    _invite(campaign, owner)
    event = TeamEvent.objects.get()
    with pytest.raises(ValidationError):
        event.save()
