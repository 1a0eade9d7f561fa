"""Updates to allies in a real browser (issue 23): an organization signs on with "Send us
updates about this campaign" ticked and confirms; a reviewer approves; the campaign's owner
writes an update at /review/updates/, tries it on themselves and sends it; the worker mails it;
the contact leaves the list in one click from the mail's List-Unsubscribe header (a POST from
outside the browser, no cookie); the owner's second update reaches them no more, while mail
about their own application still does."""

from __future__ import annotations

import io
import urllib.request
from pathlib import Path

from django.contrib.auth.models import User
from django.core import mail
from django.core.management import call_command
from playwright.sync_api import expect

from coalition import services
from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.models import CampaignUpdate, Endorsement, Sector, UpdateDelivery
from tests.browser.conftest import (  # noqa: F401 - fixtures, found by name
    _migrated,
    _sync_db_beside_playwright,
    migrated_db,
)
from tests.browser.journeys import Applicant, button, field, fill_application, link, submit
from tests.factories import endorsement

Status = Endorsement.Status
SHOTS = Path("/tmp")  # noqa: S108 - where the lead looks for them
PASSWORD = "owner horse battery"


def _shot(page, name: str) -> None:
    page.screenshot(path=str(SHOTS / f"h1-{name}.png"), full_page=True)


def _worker() -> None:
    """One pass of ``manage.py worker``, as the process would make within a second."""
    call_command("worker", "--once", stdout=io.StringIO())


def _updates_to(address: str) -> list[mail.EmailMessage]:
    return [
        message
        for message in mail.outbox
        if address in message.to and "List-Unsubscribe" in message.extra_headers
    ]


def _sign_in(page, site: str, path: str, username: str) -> None:
    page.goto(f"{site}{path}")
    assert "/admin/login/" in page.url
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))
    assert page.url == f"{site}{path}"


def _write_and_send(page, site: str, subject: str, text: str, *, recipients: int) -> None:
    page.goto(f"{site}/review/")
    page.get_by_role("link", name="Updates", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Updates to allies")
    page.get_by_role("link", name="Write an update").click()
    field(page, "en", "Subject in English").fill(subject)
    field(page, "en", "Text in English").fill(text)
    submit(page, button(page, "en", "Save draft"))
    expect(page.get_by_role("status")).to_contain_text("The update is saved as a draft.")
    submit(page, button(page, "en", "Send…"))
    expected = (
        f"This update will be sent to {recipients} ally who asked for updates."
        if recipients == 1
        else f"This update will be sent to {recipients} allies who asked for updates."
    )
    expect(page.locator(".update-count")).to_have_text(expected)


def test_an_ally_gets_an_update_unsubscribes_in_one_click_and_gets_no_second(
    browser, site, settings, reference_data
):
    campaign = reference_data
    # As in production: requests record mail and deliveries, the worker (played here) sends.
    settings.BACKGROUND_WORK_IMMEDIATE = False
    owner = User.objects.create_user("olga", "olga@coalition.example", PASSWORD, is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=owner, role=TeamRole.OWNER)
    # The campaign's own reviewer (a team member: the journey needs no global group, which
    # transactional tests run before this module may have flushed away).
    reviewer = User.objects.create_user("rhea", "rhea@coalition.example", PASSWORD, is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=reviewer, role=TeamRole.REVIEWER)
    applicant = Applicant(
        name="Ωμέγα Παιδική Προστασία",
        website="https://omega-paidia.example.gr",
        email="eleni@omega-paidia.example.gr",
    )
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    try:
        # Sign on, with the updates box ticked by its visible label.
        page.goto(f"{site}/apply/")
        fill_application(page, applicant)
        box = page.get_by_label("Send us updates about this campaign", exact=True)
        expect(box).not_to_be_checked()
        box.check()
        _shot(page, "1-apply")
        submit(page, button(page, "en", "Send application"))
        endorsement = Endorsement.objects.get(contact_email=applicant.email)
        assert endorsement.updates_opt_in is True
        assert endorsement.updates_opt_in_words == "Send us updates about this campaign"

        # Confirm from the mail; a reviewer approves.
        _worker()
        confirm = next(m for m in mail.outbox if applicant.email in m.to)
        page.goto(link(confirm, "confirm"))
        submit(page, button(page, "en", "Confirm my address"))
        endorsement.refresh_from_db()
        assert endorsement.status == Status.PENDING
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked."
        )
        _worker()

        # The owner writes an update, tries it on themselves, sends it.
        owner_context = browser.new_context(viewport={"width": 1200, "height": 900})
        owner_context.set_default_timeout(10_000)
        desk = owner_context.new_page()
        _sign_in(desk, site, "/review/updates/", "olga")
        desk.get_by_role("link", name="Write an update").click()
        field(desk, "en", "Subject in English").fill("The vote is on 12 March")
        field(desk, "en", "Text in English").fill(
            "Dear allies,\n\nThe committee votes on 12 March. Our briefing: "
            "https://example.org/briefing?utm_source=update\n\nThank you for standing with us."
        )
        _shot(desk, "2-write")
        submit(desk, button(desk, "en", "Save draft"))
        update = CampaignUpdate.objects.get()
        submit(desk, button(desk, "en", "Send a test to me"))
        expect(desk.get_by_role("status")).to_contain_text(
            "A test was sent to olga@coalition.example"
        )
        _worker()
        test_mail = [
            m for m in mail.outbox if "olga@coalition.example" in m.to and "Test" in m.subject
        ]
        assert [m.subject for m in test_mail] == ["[Test] The vote is on 12 March"]
        assert "This is a test, sent to you alone." in test_mail[0].body
        assert _updates_to(applicant.email) == []

        submit(desk, button(desk, "en", "Send…"))
        expect(desk.locator(".update-count")).to_have_text(
            "This update will be sent to 1 ally who asked for updates."
        )
        _shot(desk, "3-confirm")
        submit(desk, button(desk, "en", "Send now"))
        expect(desk.get_by_role("status").first).to_contain_text(
            "The update is on its way to 1 ally."
        )
        expect(desk.locator('[data-count="left"]')).to_have_text("1")

        # The worker sends it; the page shows it sent.
        _worker()
        desk.reload()
        expect(desk.locator('[data-count="sent"]')).to_have_text("1")
        expect(desk.locator('[data-count="left"]')).to_have_text("0")
        _shot(desk, "4-sent")
        [update_mail] = _updates_to(applicant.email)
        assert update_mail.subject == "The vote is on 12 March"
        assert "https://example.org/briefing?utm_source=update" in update_mail.body
        headers = update_mail.message()
        assert headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        assert headers["Precedence"] == "bulk"
        unsubscribe_url = headers["List-Unsubscribe"].strip().split(",")[0].strip("<> \n")
        assert unsubscribe_url.startswith(f"{site}/unsubscribe/")
        assert UpdateDelivery.objects.get().sent_at is not None

        # A link scanner (or the reader) opening the link changes nothing: a page with a button.
        page.goto(unsubscribe_url)
        expect(page.get_by_role("button", name="Stop the updates")).to_be_visible()
        _shot(page, "5-unsubscribe-page")
        endorsement.refresh_from_db()
        assert endorsement.updates_opt_in is True

        # The mail provider's one-click POST (RFC 8058): from outside the browser, no cookie.
        request = urllib.request.Request(  # noqa: S310 - the live server's own http URL
            unsubscribe_url,
            data=b"List-Unsubscribe=One-Click",
            headers={"Content-Type": "application/x-www-form-urlencoded"},
            method="POST",
        )
        with urllib.request.urlopen(request, timeout=10) as answer:  # noqa: S310
            assert answer.status == 200
            assert "Cookie" not in request.headers
        endorsement.refresh_from_db()
        assert endorsement.updates_opt_in is False
        assert endorsement.updates_opt_in_changed_at is not None

        # The owner's second update: nobody left to send it to, and no mail for them.
        _write_and_send(
            desk, site, "The vote was postponed", "The vote moves to April.", recipients=0
        )
        submit(desk, button(desk, "en", "Send now"))
        _worker()
        assert [m.subject for m in _updates_to(applicant.email)] == ["The vote is on 12 March"]
        assert CampaignUpdate.objects.filter(sent_at__isnull=False).count() == 2

        # Mail about their own application still reaches them: fresh links on request.
        before = len([m for m in mail.outbox if applicant.email in m.to])
        page.goto(f"{site}/resend/")
        field(page, "en", "Contact email").fill(applicant.email)
        submit(page, button(page, "en", "Send the links"))
        _worker()
        after = [m for m in mail.outbox if applicant.email in m.to]
        assert len(after) == before + 1
        assert "List-Unsubscribe" not in after[-1].extra_headers

        # The manage page offers the box back, unticked now.
        page.goto(link(after[-1], "manage"))
        expect(
            page.get_by_label("Send us updates about this campaign", exact=True)
        ).not_to_be_checked()
        _shot(page, "6-manage")
        owner_context.close()
    finally:
        context.close()
    assert update.pk


def test_send_pressed_again_from_a_second_tab_or_after_back_sends_nothing_more(
    browser, site, settings, reference_data
):
    campaign = reference_data
    settings.BACKGROUND_WORK_IMMEDIATE = False
    owner = User.objects.create_user("olga", "olga@coalition.example", PASSWORD, is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=owner, role=TeamRole.OWNER)
    sector = Sector.objects.first()
    allies = [
        endorsement(number=n, campaign=campaign, sector=sector, status=Status.APPROVED)
        for n in (1, 2)
    ]
    Endorsement.objects.filter(pk__in=[ally.pk for ally in allies]).update(updates_opt_in=True)
    owner_context = browser.new_context(viewport={"width": 1200, "height": 900})
    owner_context.set_default_timeout(10_000)
    try:
        desk = owner_context.new_page()
        _sign_in(desk, site, "/review/updates/", "olga")
        _write_and_send(desk, site, "Vote on 12 March", "The committee votes.", recipients=2)
        # The same confirmation open in a second tab, as a person who opened it twice has it.
        second = owner_context.new_page()
        second.goto(desk.url)
        expect(second.locator(".update-count")).to_have_text(
            "This update will be sent to 2 allies who asked for updates."
        )

        submit(desk, button(desk, "en", "Send now"))
        expect(desk.get_by_role("status").first).to_contain_text(
            "The update is on its way to 2 allies."
        )
        sent_page = desk.url
        # Reload, then Back and whatever the browser shows there: nothing is sent again.
        desk.reload()
        desk.go_back()
        desk.goto(sent_page)
        # The second tab's Send: the page says it went already, and shows what was sent.
        submit(second, button(second, "en", "Send now"))
        assert second.url == sent_page
        expect(second.get_by_role("status").first).to_contain_text("This update was sent already.")
        expect(second.locator('[data-count="left"]')).to_have_text("2")
        _shot(second, "7-sent-already")

        assert UpdateDelivery.objects.count() == 2
        _worker()
        for ally in allies:
            assert [m.subject for m in _updates_to(ally.contact_email)] == ["Vote on 12 March"]
    finally:
        owner_context.close()
