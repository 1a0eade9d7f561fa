"""A campaign's owner invites a reviewer in a real browser: the owner signs in, fills in the
invitation by its labels, the mail comes out of the outbox, the invitee opens its link, chooses a
name and password (and, with two factors required, enrols the authenticator from the key the
page shows) and lands in the workspace, seeing their campaign's applications only.

Screenshots go to /tmp/shots/team/ for a person to look at (``TEAM_SCREENSHOTS=0`` turns them
off).
"""

from __future__ import annotations

import os
from base64 import b32decode
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from coalition.campaigns import invitations
from coalition.models import Campaign, CampaignMember, Endorsement, Sector, TeamEvent, TeamRole
from tests.browser import describe, run_axe
from tests.browser.journeys import link, mails_to, submit
from tests.factories import endorsement

SHOTS = Path("/tmp/shots/team")  # noqa: S108 - where the lead looks for them
OWNER_PASSWORD = "owner horse battery"
NEW_PASSWORD = "a long walk by the river"


def _shot(page, name: str) -> None:
    if os.getenv("TEAM_SCREENSHOTS", "1") == "0":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _waiting(campaign: Campaign, number: int, name: str) -> Endorsement:
    application = endorsement(
        number=number,
        campaign=campaign,
        sector=Sector.objects.get(slug="child-protection-ngo"),
        name=name,
    )
    Endorsement.objects.filter(pk=application.pk).update(confirmed_at=timezone.now())
    return application


@pytest.fixture
def owner(reference_data) -> User:
    user = User.objects.create_user(
        "olga@ngo.example",
        "olga@ngo.example",
        OWNER_PASSWORD,
        is_staff=True,
        first_name="Olga",
        last_name="Berg",
    )
    CampaignMember.objects.create(campaign=reference_data, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture
def two_campaigns(reference_data) -> tuple[Campaign, Campaign]:
    """The owner's campaign with an application waiting, and another campaign with its own."""
    other = Campaign.objects.create(slug="other-campaign", title="Another coalition")
    _waiting(reference_data, 1, "Linden Helpline")
    _waiting(other, 2, "Poplar Network")
    return reference_data, other


def _sign_in_as_owner(page, site: str) -> None:
    page.goto(f"{site}/review/team/")
    assert "/admin/login/" in page.url
    page.get_by_label("Username").fill("olga@ngo.example")
    page.get_by_label("Password").fill(OWNER_PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))


def test_an_owner_invites_a_reviewer_who_joins_and_lands_in_the_workspace(
    browser, site, owner, two_campaigns, mailoutbox
):
    campaign, _other = two_campaigns
    owner_context = browser.new_context(viewport={"width": 1280, "height": 900})
    owner_context.set_default_timeout(10_000)
    page = owner_context.new_page()
    try:
        _sign_in_as_owner(page, site)
        assert page.url == f"{site}/review/team/{campaign.slug}/"
        expect(page.get_by_role("heading", level=1)).to_contain_text("Team of")
        expect(page.get_by_role("heading", name="Members")).to_be_visible()

        page.get_by_label("Email", exact=True).fill("nils@partner.example")
        page.get_by_label("Role", exact=True).select_option(label="Reviewer")
        expect(page.get_by_role("combobox", name="Language", exact=True)).to_have_value("en")
        submit(page, page.get_by_role("button", name="Send invitation"))
        expect(page.get_by_role("status")).to_contain_text(
            "Invitation sent to nils@partner.example"
        )
        invitations_table = page.locator(
            "section", has=page.get_by_role("heading", name="Open invitations")
        )
        expect(invitations_table).to_contain_text("nils@partner.example")
        expect(invitations_table.get_by_role("button", name="Withdraw")).to_be_visible()
        _shot(page, "1-owner-invited")

        [message] = mails_to("nils@partner.example")
        assert "Olga Berg invites you to join the team of" in message.body
        assert "within 7 days" in message.body
        join_url = link(message, "join")
        assert join_url.startswith(f"{site}/review/join/")

        invitee_context = browser.new_context(viewport={"width": 1280, "height": 900})
        invitee_context.set_default_timeout(10_000)
        invitee = invitee_context.new_page()
        invitee.goto(join_url)
        expect(invitee.get_by_role("heading", level=1)).to_contain_text("Join the team of")
        expect(invitee.locator("main, body").first).to_contain_text(
            "Olga Berg invites you to join the team of"
        )
        invitee.get_by_label("Name", exact=True).fill("Nils Ek")
        invitee.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        invitee.get_by_label("Password again", exact=True).fill(NEW_PASSWORD)
        _shot(invitee, "2-invitee-join-form")
        submit(invitee, invitee.get_by_role("button", name="Join the team"))
        assert invitee.url == f"{site}/review/"
        expect(invitee.get_by_role("status")).to_contain_text("Welcome to the team of")
        # A reviewer manages no team: no Team link.
        expect(
            invitee.get_by_role("navigation", name="Review workspace").get_by_role(
                "link", name="Team"
            )
        ).to_have_count(0)
        # Their campaign's application, and not the other campaign's.
        expect(invitee.locator("body")).to_contain_text("Linden Helpline")
        expect(invitee.locator("body")).not_to_contain_text("Poplar Network")
        _shot(invitee, "3-invitee-in-the-workspace")

        nils = User.objects.get(username="nils@partner.example")
        assert (nils.first_name, nils.last_name, nils.is_staff) == ("Nils", "Ek", True)
        assert CampaignMember.objects.get(user=nils).role == TeamRole.REVIEWER
        assert list(TeamEvent.objects.filter(campaign=campaign).values_list("action", "by")) == [
            (TeamEvent.Action.INVITED, owner.pk),
            (TeamEvent.Action.JOINED, nils.pk),
        ]

        # The link worked once.
        response = invitee.goto(join_url)
        assert response.status == 410
        expect(invitee.locator("body")).to_contain_text("This invitation has been used already")
        _shot(invitee, "3b-link-used-twice")

        # The owner sees the new member and the trail, by the workspace's Team link.
        page.goto(f"{site}/review/")
        submit(
            page,
            page.get_by_role("navigation", name="Review workspace").get_by_role(
                "link", name="Team"
            ),
        )
        assert page.url == f"{site}/review/team/{campaign.slug}/"
        members = page.locator("section", has=page.get_by_role("heading", name="Members"))
        expect(members).to_contain_text("Nils Ek")
        expect(members).to_contain_text("nils@partner.example")
        trail = page.locator("section", has=page.get_by_role("heading", name="Audit trail"))
        expect(trail).to_contain_text("Joined")
        expect(trail).to_contain_text("Invited")
        expect(page.locator("body")).to_contain_text("No invitation is waiting for an answer.")
        _shot(page, "4-owner-sees-the-team")

        # Removing asks first; then Nils is off the team.
        member = CampaignMember.objects.get(user=nils)
        submit(page, page.get_by_role("link", name="Remove Nils Ek"))
        expect(page.get_by_role("heading", level=1)).to_contain_text("Remove Nils Ek from the team")
        _shot(page, "5-owner-confirms-removal")
        submit(page, page.get_by_role("button", name="Remove from the team"))
        expect(page.get_by_role("status")).to_contain_text("Nils Ek is no longer on the team.")
        assert not CampaignMember.objects.filter(pk=member.pk).exists()
        response = invitee.goto(f"{site}/review/")
        assert response.status == 403
    finally:
        owner_context.close()


def test_with_two_factors_required_the_invitee_enrols_an_authenticator(
    browser, site, settings, owner, two_campaigns, mailoutbox
):
    settings.REQUIRE_STAFF_2FA = True
    campaign, _other = two_campaigns
    _invitation, join_url = invitations.invitation_send(
        campaign=campaign,
        email="nils@partner.example",
        role=TeamRole.REVIEWER,
        by=owner,
        language="en",
    )
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(join_url)
        expect(page.get_by_role("group", name="Two-factor sign-in")).to_be_visible()
        expect(page.get_by_role("img", name="QR code for your authenticator app")).to_be_visible()
        key = page.locator(".totp-key").inner_text().strip()
        page.get_by_label("Name", exact=True).fill("Nils Ek")
        page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Password again", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Code from the app").fill("000000")
        _shot(page, "6-join-with-two-factors")
        with page.expect_navigation():
            page.get_by_role("button", name="Join the team").click()
        expect(page.locator("body")).to_contain_text("not the one your authenticator app shows")
        _shot(page, "6b-wrong-code")
        assert not User.objects.filter(username="nils@partner.example").exists()

        code = totp(b32decode(key))
        page.get_by_label("Password", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Password again", exact=True).fill(NEW_PASSWORD)
        page.get_by_label("Code from the app").fill(f"{code:06d}")
        submit(page, page.get_by_role("button", name="Join the team"))
        assert page.url == f"{site}/review/"
        expect(page.locator("body")).to_contain_text("Linden Helpline")
        device = TOTPDevice.objects.get(user__username="nils@partner.example")
        assert device.confirmed
        _shot(page, "7-joined-with-two-factors")
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 812)])
def test_the_team_page_and_the_join_page_fit_and_pass_axe(
    browser, site, settings, owner, two_campaigns, axe, width, height
):
    settings.REQUIRE_STAFF_2FA = False
    campaign, _other = two_campaigns
    invitations.invitation_send(
        campaign=campaign, email="ines@ngo.example", role=TeamRole.OWNER, by=owner, language="en"
    )
    _invitation, join_url = invitations.invitation_send(
        campaign=campaign,
        email="nils@partner.example",
        role=TeamRole.REVIEWER,
        by=owner,
        language="en",
    )
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _sign_in_as_owner(page, site)
        page.wait_for_load_state("networkidle")
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(page, f"8-team-page-{width}")
        violations = run_axe(page)
        assert violations == [], describe(violations)

        joining = browser.new_context(viewport={"width": width, "height": height})
        joining.set_default_timeout(10_000)
        join_page = joining.new_page()
        join_page.goto(join_url)
        join_page.wait_for_load_state("networkidle")
        assert join_page.evaluate("document.documentElement.scrollWidth") <= width
        _shot(join_page, f"9-join-page-{width}")
        violations = run_axe(join_page)
        assert violations == [], describe(violations)
        joining.close()
    finally:
        context.close()
