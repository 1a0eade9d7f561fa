"""The workspace's pages as a reviewer reads them at 1280 px: the queue, a decision with the
rejection open, the decided list; axe-core on each, and what the eye sees (no blank band under
the rejection, every reason whole, one date format).

Screenshots go to /tmp/shots/ for a person to look at.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.utils import timezone
from playwright.sync_api import expect

from coalition import services
from coalition.models import (
    Endorsement,
    Organization,
    RejectionReason,
    Sector,
    email_domain_matches,
)
from tests.browser import describe, run_axe
from tests.browser.journeys import submit
from tests.wall_helpers import make_logo

Status = Endorsement.Status
SHOTS = Path("/tmp/shots")  # noqa: S108 - where the lead looks for them
PASSWORD = "correct horse battery"


def _application(campaign, n: int, *, days: float) -> Endorsement:
    organization = Organization.objects.create(
        name=f"Helpline number {n}",
        website=f"https://helpline-{n}.org",
        country="DE" if n % 2 else "FR",
        sector=Sector.objects.get(slug="child-protection-ngo"),
        logo=make_logo(color=(40 * n % 250, 90, 120)),
        statement_en="Children deserve to be found and helped.",
    )
    endorsement = Endorsement.objects.create(
        organization=organization,
        campaign=campaign,
        status=Status.PENDING,
        contact_name=f"Contact {n}",
        contact_email=f"office@helpline-{n}.org",
        domain_verified=email_domain_matches(f"office@helpline-{n}.org", organization.domain),
        consent_authority=True,
        consent_publish=True,
        confirmed_at=timezone.now() - timedelta(days=days),
    )
    services.evidence_refresh(endorsement=endorsement)
    return endorsement


@pytest.fixture
def reviewer(reference_data) -> User:
    user = User.objects.create_user(
        "ana", "ana@registry.example", PASSWORD, is_staff=True, first_name="Ana"
    )
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


@pytest.fixture
def workspace(reference_data, reviewer) -> list[Endorsement]:
    """Four applications waiting (one just now), three decided (two rejected with reasons)."""
    made = [_application(reference_data, n, days=n) for n in range(1, 8)]
    Endorsement.objects.filter(pk=made[0].pk).update(
        confirmed_at=timezone.now() - timedelta(seconds=20)
    )
    services.endorsement_approve(endorsement=made[4], by=reviewer, note="Checked by phone.")
    for endorsement, code in ((made[5], "identity-not-verifiable"), (made[6], "duplicate")):
        services.endorsement_reject(
            endorsement=endorsement,
            by=reviewer,
            reason=RejectionReason.objects.get(code=code),
            note="",
        )
    return made


def _sign_in(page, site: str) -> None:
    page.goto(f"{site}/review/")
    page.get_by_label("Username").fill("ana")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))


def _shot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


def _no_axe_violations(page) -> None:
    violations = run_axe(page)
    assert violations == [], describe(violations)


def test_the_queue_decision_and_decided_list_read_well_at_1280(browser, site, workspace, axe):
    """Screenshots: /tmp/shots/queue-1280.png, decision-reject-open-1280.png, decided-1280.png,
    admin-home-1280.png, decision-fr-1280.png and decision-de-1280.png."""
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        _sign_in(page, site)
        page.wait_for_load_state("networkidle")
        _shot(page, "queue-1280")
        _no_axe_violations(page)

        expect(page.locator(".queue-row", has_text="Helpline number 1")).to_contain_text(
            "less than a minute"
        )

        page.goto(f"{site}/review/{workspace[1].public_id}/")
        page.locator("[data-reject] summary").click()
        page.wait_for_load_state("networkidle")
        _shot(page, "decision-reject-open-1280")
        # The open rejection takes a row of its own: the approval keeps its one line, with no
        # blank band above it (there were ~280 px).
        approve = page.locator("[data-approve]").bounding_box()
        reject = page.locator("[data-reject]").bounding_box()
        assert approve["height"] < 80, approve
        assert 0 <= reject["y"] - (approve["y"] + approve["height"]) < 24, (approve, reject)
        # Every reason whole: the text the applicant is sent, wrapped, never cut.
        labels = page.locator("[data-reject] .choice-list label")
        texts = [reason.text for reason in RejectionReason.objects.filter(active=True)]
        expect(labels).to_have_text(texts)
        for index in range(labels.count()):
            assert labels.nth(index).evaluate("e => e.scrollWidth <= e.clientWidth"), index
        _no_axe_violations(page)

        page.goto(f"{site}/review/decided/")
        page.wait_for_load_state("networkidle")
        _shot(page, "decided-1280")
        dates = page.locator(".col-age time").all_inner_texts()
        assert len(dates) == 3
        assert all(re.fullmatch(r"\d{1,2} [A-Z][a-z]{2} \d{4}, \d\d:\d\d", text) for text in dates)
        _no_axe_violations(page)

        # The admin's home leads to the workspace.
        page.goto(f"{site}/admin/")
        _shot(page, "admin-home-1280")
        submit(page, page.get_by_role("link", name="Open the review workspace"))
        assert page.url == f"{site}/review/"

        # A decided application in French and German: its dates in their words.
        for language, decided in (("fr", "Refusé par Ana le"), ("de", "Von Ana am")):
            page.goto(f"{site}/language/{language}/?next=/review/{workspace[5].public_id}/")
            page.wait_for_load_state("networkidle")
            _shot(page, f"decision-{language}-1280")
            expect(page.locator("[data-outcome]")).to_contain_text(decided)
            expect(page.locator("[data-claim-box]")).to_be_hidden()
    finally:
        context.close()
