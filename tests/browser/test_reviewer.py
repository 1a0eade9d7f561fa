"""A reviewer's journey in a real browser: sign in to the admin with a password and a TOTP code,
find applications with the search box, approve one, reject one with a reason, remove one after
confirming; then the applicants' mail and the audit trail."""

from __future__ import annotations

from urllib.parse import urlsplit

import pytest
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from coalition.models import (
    Endorsement,
    EndorsementEvent,
    Organization,
    RejectionReason,
    Sector,
)
from tests.browser.journeys import mail_to, mails_to, submit
from tests.wall_helpers import make_logo

Status = Endorsement.Status
PASSWORD = "correct horse battery"


def _endorsement(campaign, name: str, status: str, email: str) -> Endorsement:
    organization = Organization.objects.create(
        name=name,
        # A domain of its own, proven by the contact's address there: the admin may approve it
        # (one that needs the workspace's ticks is approved there, see test_review_workspace).
        website=f"https://{name.split()[0].lower()}.example",
        country="DE",
        sector=Sector.objects.get(slug="child-protection-ngo"),
        logo=make_logo(),
    )
    return Endorsement.objects.create(
        organization=organization,
        campaign=campaign,
        status=status,
        contact_name=f"Contact of {name}",
        contact_role="Director",
        contact_email=email,
        domain_verified=True,
        consent_authority=True,
        consent_publish=True,
    )


@pytest.fixture
def applications(reference_data) -> dict[str, Endorsement]:
    return {
        "approve": _endorsement(
            reference_data, "Linden Helpline", Status.PENDING, "mira@linden.example"
        ),
        "reject": _endorsement(
            reference_data, "Spruce Trading Ltd", Status.PENDING, "sales@spruce.example"
        ),
        "remove": _endorsement(
            reference_data, "Poplar Network", Status.APPROVED, "jo@poplar.example"
        ),
    }


def _code(device: TOTPDevice) -> str:
    """The code the reviewer's authenticator app shows now."""
    return f"{totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits):06d}"


def _open_in_admin(page, site: str, name: str) -> None:
    """From the list of endorsements, search for ``name`` and open it."""
    page.goto(f"{site}/admin/coalition/endorsement/")
    page.get_by_role("textbox", name="Search").fill(name)
    submit(page, page.get_by_role("button", name="Search"))
    results = page.locator("#result_list")
    expect(results.get_by_role("link", name=name, exact=True)).to_have_count(1)
    submit(page, results.get_by_role("link", name=name, exact=True))
    expect(page.locator("#endorsement-decisions")).to_be_visible()


def test_a_reviewer_signs_in_with_two_factors_and_decides(
    page, site, settings, reviewer_user, applications, mailoutbox, shot
):
    settings.REQUIRE_STAFF_2FA = True
    device = TOTPDevice.objects.create(user=reviewer_user, name="phone", confirmed=True)
    reason = RejectionReason.objects.get(code="not-an-organization")
    approve, reject, remove = (applications[key] for key in ("approve", "reject", "remove"))

    # Sign in: password and the authenticator's code, in one form.
    page.goto(f"{site}/admin/")
    expect(page.get_by_label("OTP Token")).to_be_visible()
    page.get_by_label("Username").fill("reviewer")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_label("OTP Token").fill(_code(device))
    shot(page, "1-sign-in")
    submit(page, page.get_by_role("button", name="Log in"))
    assert page.url == f"{site}/admin/"
    expect(page.get_by_role("button", name="Log out")).to_be_visible()

    # Approve.
    _open_in_admin(page, site, approve.organization.name)
    shot(page, "2-application")
    submit(page, page.get_by_role("button", name="Approve", exact=True))
    expect(page.locator(".messagelist")).to_contain_text(
        f"“{approve.organization.name}” has been approved."
    )
    approve.refresh_from_db()
    assert approve.status == Status.APPROVED
    assert approve.decided_by == reviewer_user

    # Reject, with a reason and a note for the other reviewers.
    _open_in_admin(page, site, reject.organization.name)
    submit(page, page.get_by_role("button", name="Reject", exact=True))
    page.get_by_label("Reason").select_option(value=str(reason.pk))
    page.get_by_label("Note").fill("Registry lookup: a shop, not an organization.")
    shot(page, "3-reject")
    submit(page, page.get_by_role("button", name="Reject", exact=True))
    expect(page.locator(".messagelist")).to_contain_text(
        f"“{reject.organization.name}” has been rejected."
    )
    reject.refresh_from_db()
    assert reject.status == Status.REJECTED
    assert reject.rejection_reason == reason

    # Remove: the button asks first, on a page of its own, with room for a note.
    _open_in_admin(page, site, remove.organization.name)
    submit(page, page.get_by_role("button", name="Remove", exact=True))
    shot(page, "4-remove-asks")
    remove.refresh_from_db()
    assert remove.status == Status.APPROVED, "Remove decided at once, without asking first"
    assert urlsplit(page.url).path == f"/admin/coalition/endorsement/{remove.pk}/remove/"
    page.get_by_label("Note").fill("Asked by the organization's board.")
    submit(page, page.get_by_role("button", name="Remove", exact=True))
    shot(page, "5-removed")
    expect(page.locator(".messagelist")).to_contain_text(
        f"“{remove.organization.name}” has been removed from the wall."
    )
    remove.refresh_from_db()
    assert remove.status == Status.REMOVED

    # The applicants are told; the reason's text goes out, the reviewers' note never does.
    mail_to(approve.contact_email, f"{approve.organization.name} now stands with the coalition")
    rejected = mail_to(reject.contact_email, f"About {reject.organization.name}'s application")
    assert reason.text in rejected.body
    assert "Registry lookup" not in rejected.body
    mail_to(remove.contact_email, f"{remove.organization.name} has been removed from the coalition")
    for endorsement in (approve, reject, remove):
        assert len(mails_to(endorsement.contact_email)) == 1

    # The audit trail: who, from which state to which, and why.
    events = {
        event.endorsement_id: event
        for event in EndorsementEvent.objects.filter(
            endorsement__in=[approve, reject, remove]
        ).select_related("reason", "user")
    }
    assert len(events) == 3
    for endorsement, from_status, to_status in (
        (approve, Status.PENDING, Status.APPROVED),
        (reject, Status.PENDING, Status.REJECTED),
        (remove, Status.APPROVED, Status.REMOVED),
    ):
        event = events[endorsement.pk]
        assert (event.from_status, event.to_status) == (from_status, to_status)
        assert event.actor == EndorsementEvent.Actor.REVIEWER
        assert event.user == reviewer_user
    assert events[reject.pk].reason == reason
    assert events[reject.pk].note == "Registry lookup: a shop, not an organization."
    assert events[remove.pk].note == "Asked by the organization's board."

    # The wall: the approved one is on it, the removed one is gone.
    page.goto(f"{site}/")
    wall = page.locator(".wall")
    expect(wall.get_by_role("img", name=approve.organization.name, exact=True)).to_have_count(1)
    expect(wall.get_by_role("img", name=remove.organization.name, exact=True)).to_have_count(0)
    expect(wall.get_by_role("img", name=reject.organization.name, exact=True)).to_have_count(0)
