"""A campaign's reviewer in a real browser: signs in through the admin's sign-in, sees only their
campaign's queue, decides there, and meets a 404 at another campaign's application."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from django.contrib.auth.models import User
from django.utils import timezone
from playwright.sync_api import expect

from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.models import Campaign, Endorsement, Organization, Sector, email_domain_matches
from tests.browser.journeys import submit

Status = Endorsement.Status
SHOTS = Path("/tmp/shots/scope")  # noqa: S108 - where the lead looks for them
PASSWORD = "team horse battery"


def _application(campaign: Campaign, name: str, domain: str, *, days: float) -> Endorsement:
    organization = Organization.objects.create(
        name=name,
        website=f"https://{domain}",
        country="DE",
        sector=Sector.objects.get(slug="child-protection-ngo"),
        statement_en="Children deserve to be found and helped.",
    )
    email = f"office@{domain}"
    return Endorsement.objects.create(
        organization=organization,
        campaign=campaign,
        status=Status.PENDING,
        contact_name=f"Contact of {name}",
        contact_role="Director",
        contact_email=email,
        domain_verified=email_domain_matches(email, organization.domain),
        consent_authority=True,
        consent_publish=True,
        confirmed_at=timezone.now() - timedelta(days=days),
    )


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def test_a_campaign_reviewer_sees_and_decides_only_their_campaign(browser, site, reference_data):
    campaign = reference_data
    other = Campaign.objects.create(
        slug="open-letter",
        title="Open letter on encryption",
        statement="We ask lawmakers to protect encryption.",
    )
    ours = _application(campaign, "Harbour Child Aid", "harbour-aid.org", days=2)
    _application(campaign, "Northern Helpline", "northern-helpline.org", days=1)
    theirs = _application(other, "Crypto Friends", "crypto-friends.org", days=3)
    rita = User.objects.create_user(
        "rita", "rita@partner.example", PASSWORD, is_staff=True, first_name="Rita"
    )
    CampaignMember.objects.create(campaign=campaign, user=rita, role=TeamRole.REVIEWER)

    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        page.goto(f"{site}/review/")
        assert "/admin/login/" in page.url
        page.get_by_label("Username").fill("rita")
        page.get_by_label("Password").fill(PASSWORD)
        submit(page, page.get_by_role("button", name="Log in"))
        assert page.url == f"{site}/review/"

        expect(page.get_by_role("link", name="Harbour Child Aid")).to_be_visible()
        expect(page.get_by_role("link", name="Northern Helpline")).to_be_visible()
        expect(page.get_by_text("Crypto Friends")).to_have_count(0)
        expect(page.get_by_role("link", name="Needs a decision 2")).to_be_visible()
        expect(page.get_by_role("option", name=other.title)).to_have_count(0)
        _shot(page, "queue")

        page.get_by_role("link", name="Harbour Child Aid").click()
        expect(page.locator("h1")).to_contain_text("Harbour Child Aid")
        submit(page, page.get_by_role("button", name="Approve"))
        expect(page.locator("h1")).to_contain_text("Northern Helpline")
        ours.refresh_from_db()
        assert ours.status == Status.APPROVED
        assert ours.decided_by == rita

        response = page.goto(f"{site}/review/{theirs.public_id}/")
        assert response.status == 404
        _shot(page, "other-campaign-404")
        theirs.refresh_from_db()
        assert theirs.status == Status.PENDING

        page.goto(f"{site}/review/dashboard/")
        expect(page.get_by_role("option", name=other.title)).to_have_count(0)
        _shot(page, "dashboard")

        # Taken off the team: the very next page refuses her.
        CampaignMember.objects.filter(user=rita).delete()
        response = page.goto(f"{site}/review/")
        assert response.status == 403
        expect(page.locator("h1")).to_have_text("This workspace is for reviewers")
    finally:
        context.close()
