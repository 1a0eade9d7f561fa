"""The reviewers' workspace in a real browser: two reviewers at once, the keyboard shortcuts,
someone outside the Reviewers group, the layout at 1280 × 800 and 375 px, and axe-core.

Screenshots of the queue and the decision screen go to /tmp/review-shots/ for a person to look
at (``REVIEW_SCREENSHOTS=0`` turns them off).
"""

from __future__ import annotations

import os
import zlib
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice
from playwright.sync_api import expect

from coalition import services
from coalition.models import (
    Endorsement,
    EndorsementEvent,
    Organization,
    RejectionReason,
    ReviewClaim,
    Sector,
    email_domain_matches,
)
from tests.browser import describe, run_axe
from tests.browser.journeys import mail_to, submit
from tests.wall_helpers import make_logo

Status = Endorsement.Status
SHOTS = Path("/tmp/review-shots")  # noqa: S108 - where the lead looks for them
PASSWORD = "correct horse battery"
_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _reviewer(username: str, first_name: str) -> User:
    user = User.objects.create_user(
        username, f"{username}@registry.example", PASSWORD, is_staff=True, first_name=first_name
    )
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


def _application(
    campaign, name: str, website: str, email: str, *, days: float, status: str = Status.PENDING
) -> Endorsement:
    organization = Organization.objects.create(
        name=name,
        website=website,
        country="DE",
        sector=Sector.objects.get(slug="child-protection-ngo"),
        logo=make_logo(),
        # Each its own: a registry ID shared with a live application needs the reviewer's tick.
        registry_id=f"{zlib.crc32(name.encode()):012d}-34",
        statement_en="Children deserve to be found and helped.",
        statement_de="Kinder verdienen es, gefunden zu werden und Hilfe zu bekommen.",
    )
    endorsement = Endorsement.objects.create(
        organization=organization,
        campaign=campaign,
        status=status,
        contact_name=f"Contact of {name}",
        contact_role="Director",
        contact_email=email,
        domain_verified=email_domain_matches(email, organization.domain),
        consent_authority=True,
        consent_publish=True,
        confirmed_at=timezone.now() - timedelta(days=days),
    )
    services.evidence_refresh(endorsement=endorsement)
    return endorsement


@pytest.fixture
def queue(reference_data) -> dict[str, Endorsement]:
    """Three applications waiting, the oldest first; the second looks like an ally on the wall."""
    on_the_wall = _application(
        reference_data, "Unicef", "https://unicef.org", "a@unicef.org", days=30
    )
    services.endorsement_approve(endorsement=on_the_wall, by=None)
    return {
        "linden": _application(
            reference_data,
            "Linden Helpline",
            "https://linden.example.org",
            "mira@linden.example.org",
            days=3,
        ),
        "lookalike": _application(
            reference_data, "Unlcef e.V.", "https://unlcef.org", "info@unlcef.org", days=2
        ),
        "poplar": _application(
            reference_data,
            "Poplar Network",
            "https://poplar.example.net",
            "jo@poplar.example.net",
            days=1,
        ),
    }


def _context(browser, width: int = 1280, height: int = 800):
    context = browser.new_context(viewport={"width": width, "height": height})
    context.set_default_timeout(10_000)
    context.add_init_script(_RECORD_CSP_VIOLATIONS)
    return context


def _sign_in(page, site: str, username: str, *, device: TOTPDevice | None = None) -> None:
    """Through the admin's own sign-in, which sends the reviewer back to the workspace."""
    page.goto(f"{site}/review/")
    assert "/admin/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    if device is not None:
        code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
        page.get_by_label("OTP Token").fill(f"{code:06d}")
    submit(page, page.get_by_role("button", name="Log in"))
    assert page.url == f"{site}/review/"


def _shot(page, name: str, *, full_page: bool = False) -> None:
    if os.getenv("REVIEW_SCREENSHOTS", "1") == "0":
        return
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=full_page)


def _no_sideways_scrolling(page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], width


def _no_csp_violations(page) -> None:
    assert page.evaluate("window.__cspViolations || []") == []


def test_two_reviewers_see_each_others_claims_and_decisions(
    browser, site, settings, reference_data, queue, mailoutbox
):
    settings.REQUIRE_STAFF_2FA = True  # the admin's sign-in, code included
    ana, bea = _reviewer("ana", "Ana"), _reviewer("bea", "Bea")
    devices = {
        user.username: TOTPDevice.objects.create(user=user, name="phone", confirmed=True)
        for user in (ana, bea)
    }
    linden = queue["linden"]
    context_a, context_b = _context(browser), _context(browser)
    page_a, page_b = context_a.new_page(), context_b.new_page()
    try:
        _sign_in(page_a, site, "ana", device=devices["ana"])
        _sign_in(page_b, site, "bea", device=devices["bea"])

        # A opens the oldest application: it is hers for now.
        submit(page_a, page_a.get_by_role("link", name="Linden Helpline"))
        expect(page_a.locator("[data-claim-text]")).to_contain_text(
            "You are reviewing this application"
        )

        # B sees the claim in the queue and on the page, with no decision controls.
        page_b.reload()
        row = page_b.locator(".queue-row", has_text="Linden Helpline")
        expect(row).to_contain_text("Ana since")
        submit(page_b, page_b.get_by_role("link", name="Linden Helpline"))
        expect(page_b.locator("[data-claim-text]")).to_contain_text("Being reviewed by Ana since")
        expect(page_b.get_by_role("button", name="Approve", exact=True)).to_have_count(0)
        expect(page_b.get_by_role("link", name="Take over…")).to_be_visible()

        # A approves; the workspace opens the next application for her.
        submit(page_a, page_a.get_by_role("button", name="Approve", exact=True))
        expect(page_a.locator(".review-messages")).to_contain_text(
            "“Linden Helpline” has been approved."
        )
        expect(page_a.locator("h1")).to_have_text("Unlcef e.V.")

        # B's page says who decided and how, as soon as B looks at it again.
        page_b.evaluate("window.dispatchEvent(new Event('focus'))")
        outcome = page_b.locator("[data-outcome]")
        expect(outcome).to_be_visible()
        expect(outcome).to_contain_text("Approved by Ana on")

        linden.refresh_from_db()
        assert linden.status == Status.APPROVED
        assert linden.decided_by == ana
        mail_to(linden.contact_email, "Linden Helpline now stands with the coalition")
        _no_csp_violations(page_a)
        _no_csp_violations(page_b)
    finally:
        context_a.close()
        context_b.close()


def test_a_reviewer_takes_over_a_claim_after_confirming(browser, site, queue):
    ana, _bea = _reviewer("ana", "Ana"), _reviewer("bea", "Bea")
    context_a, context_b = _context(browser), _context(browser)
    page_a, page_b = context_a.new_page(), context_b.new_page()
    try:
        _sign_in(page_a, site, "ana")
        _sign_in(page_b, site, "bea")
        submit(page_a, page_a.get_by_role("link", name="Linden Helpline"))
        submit(page_b, page_b.get_by_role("link", name="Linden Helpline"))

        submit(page_b, page_b.get_by_role("link", name="Take over…"))
        expect(page_b.locator("h1")).to_contain_text("Take over")
        submit(page_b, page_b.get_by_role("button", name="Take over", exact=True))
        expect(page_b.locator("[data-claim-text]")).to_contain_text("You took it over from Ana")
        expect(page_b.get_by_role("button", name="Approve", exact=True)).to_be_visible()

        page_a.evaluate("window.dispatchEvent(new Event('focus'))")
        # A's page learns it through the script only when she acts; reloading shows it too.
        page_a.reload()
        expect(page_a.locator("[data-claim-text]")).to_contain_text("Being reviewed by Bea since")
        assert ReviewClaim.objects.get(endorsement=queue["linden"]).reviewer != ana
    finally:
        context_a.close()
        context_b.close()


def test_the_keyboard_shortcuts_work_and_are_listed(browser, site, queue):
    _reviewer("ana", "Ana")
    reason = RejectionReason.objects.get(code="not-an-organization")
    context = _context(browser)
    page = context.new_page()
    try:
        _sign_in(page, site, "ana")
        expect(page.locator("[data-shortcuts]")).to_contain_text("next row")

        # j and k move through the queue's rows; Enter opens one.
        page.keyboard.press("j")
        page.keyboard.press("j")
        page.keyboard.press("k")
        expect(page.get_by_role("link", name="Linden Helpline")).to_be_focused()
        with page.expect_navigation():
            page.keyboard.press("Enter")
        shortcuts = page.locator("[data-shortcuts]")
        expect(shortcuts).to_be_visible()
        for listed in ("approve", "reject", "next", "previous"):
            expect(shortcuts).to_contain_text(listed)

        # j opens the next application, k the previous one.
        with page.expect_navigation():
            page.keyboard.press("j")
        expect(page.locator("h1")).to_have_text("Unlcef e.V.")
        with page.expect_navigation():
            page.keyboard.press("k")
        expect(page.locator("h1")).to_have_text("Linden Helpline")

        # a approves (and the next application opens).
        with page.expect_navigation():
            page.keyboard.press("a")
        expect(page.locator("h1")).to_have_text("Unlcef e.V.")
        assert Endorsement.objects.get(pk=queue["linden"].pk).status == Status.APPROVED

        # On a lookalike, a does not approve before the tick: it brings the reviewer to it.
        page.keyboard.press("a")
        tick = page.get_by_label("I checked that this is a different organization.")
        expect(tick).to_be_focused()
        assert Endorsement.objects.get(pk=queue["lookalike"].pk).status == Status.PENDING

        # r opens the rejection at its first reason; the reviewer picks one, read whole, and
        # sends it.
        page.locator("body").click(position={"x": 5, "y": 5})
        page.keyboard.press("r")
        expect(page.locator("[data-reject] input[type=radio]").first).to_be_focused()
        page.get_by_label(reason.text).check()
        submit(page, page.get_by_role("button", name="Reject", exact=True))
        lookalike = Endorsement.objects.get(pk=queue["lookalike"].pk)
        assert lookalike.status == Status.REJECTED
        assert lookalike.rejection_reason == reason
        _no_csp_violations(page)
    finally:
        context.close()


def test_approving_a_lookalike_needs_the_tick_in_the_browser_too(browser, site, queue):
    ana = _reviewer("ana", "Ana")
    context = _context(browser)
    page = context.new_page()
    try:
        _sign_in(page, site, "ana")
        page.goto(f"{site}/review/{queue['lookalike'].public_id}/")
        expect(page.locator(".panel-evidence")).to_contain_text("Lookalike name")

        page.get_by_role("button", name="Approve", exact=True).click()
        # The browser itself refuses the form without the tick.
        assert Endorsement.objects.get(pk=queue["lookalike"].pk).status == Status.PENDING

        page.get_by_label("I checked that this is a different organization.").check()
        page.locator("[data-approve]").get_by_label("Note").fill("Their register entry differs.")
        submit(page, page.get_by_role("button", name="Approve", exact=True))

        event = EndorsementEvent.objects.get(endorsement=queue["lookalike"])
        assert event.user == ana
        assert "lookalike name of “Unicef” (unicef.org)" in event.acknowledgement
    finally:
        context.close()


def test_someone_outside_the_reviewers_group_is_refused(browser, site, reference_data):
    User.objects.create_user("clerk", "clerk@registry.example", PASSWORD, is_staff=True)
    context = _context(browser)
    page = context.new_page()
    try:
        page.goto(f"{site}/review/")
        page.get_by_label("Username").fill("clerk")
        page.get_by_label("Password").fill(PASSWORD)
        with page.expect_navigation() as navigation:
            page.get_by_role("button", name="Log in").click()
        assert navigation.value.status == 403
        expect(page.locator("h1")).to_have_text("This workspace is for reviewers")
    finally:
        context.close()


@pytest.mark.parametrize(("width", "height"), [(1280, 800), (375, 812)])
def test_the_queue_and_the_decision_screen_fit_and_pass_axe(
    browser, site, queue, axe, width, height
):
    _reviewer("ana", "Ana")
    context = _context(browser, width, height)
    page = context.new_page()
    try:
        _sign_in(page, site, "ana")
        page.wait_for_load_state("networkidle")
        _no_sideways_scrolling(page)
        _shot(page, f"queue-{width}", full_page=width < 1000)
        violations = run_axe(page)
        assert violations == [], describe(violations)

        page.goto(f"{site}/review/{queue['lookalike'].public_id}/")
        page.wait_for_load_state("networkidle")
        _no_sideways_scrolling(page)
        _shot(page, f"decision-{width}", full_page=width < 1000)
        if width >= 1280:
            # Everything needed to decide is above the fold.
            for selector in (
                "[data-approve] button",
                "[data-reject] summary",
                ".tile-light img",
                ".tile-dark img",
                ".panel-organization .facts",
                ".panel-evidence .flags",
                ".panel-contact .contact",
                ".panel-contact .statement",
            ):
                box = page.locator(selector).first.bounding_box()
                assert box is not None, selector
                assert box["y"] + box["height"] <= height, selector
            _shot(page, f"decision-{width}-full", full_page=True)
        violations = run_axe(page)
        assert violations == [], describe(violations)
        _no_csp_violations(page)
    finally:
        context.close()
