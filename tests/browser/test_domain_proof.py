"""Proving a domain in a real browser: the applicant publishes the DNS record shown on the
manage page, presses "Check now", the worker checks against a real DNS server on loopback, the
page's script notices and shows "verified by DNS"; once approved, the wall shows the mark."""

from __future__ import annotations

import io
import re
from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.utils import timezone
from playwright.sync_api import expect

from coalition import services
from coalition.jobs import outbox, tasks
from coalition.models import DomainCheck, Endorsement
from coalition.proofs import services as proofs
from tests.browser.journeys import (
    Applicant,
    button,
    fill_application,
    link,
    mail_to,
    mails_to,
    submit,
)
from tests.proof_servers import Zone, dns_server

DOMAIN = "rowan-helpline.org"


@pytest.fixture
def zone(settings):
    zone = Zone()
    with dns_server(zone) as address:
        settings.DOMAIN_PROOF_DNS_SERVERS = [address]
        settings.DOMAIN_PROOF_TIMEOUT = 1
        yield zone


def test_an_applicant_proves_the_domain_by_dns_and_the_wall_shows_the_mark(
    page, site, reference_data, reviewer_user, zone, settings, mailoutbox, shot
):
    violations: list[str] = []
    page.on(
        "console",
        lambda message: (
            violations.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    applicant = Applicant(
        name="Rowan Child Helpline", website=f"https://www.{DOMAIN}", email="ada@mail.example"
    )

    # Apply from an address elsewhere: the confirmation mail explains the two other proofs.
    page.goto(f"{site}/apply/")
    fill_application(page, applicant)
    submit(page, button(page, "en", "Send application"))
    confirm_mail = mail_to(applicant.email, f"Confirm {applicant.name}'s application")
    assert "coalition-verification=" in confirm_mail.body
    page.goto(link(confirm_mail, "confirm"))
    submit(page, button(page, "en", "Confirm my address"))
    page.goto(page.locator(".private-link a").get_attribute("href"))

    # The manage page shows the record to add; the applicant adds it and presses Check now.
    section = page.locator("#domain-proof")
    expect(section).to_contain_text("Prove your domain")
    record = section.locator("code", has_text="coalition-verification=").inner_text()
    zone.txt[DOMAIN] = [record]
    shot(page, "1-instructions")
    # The worker does the check, as in production: nothing is checked inside the request.
    settings.BACKGROUND_WORK_IMMEDIATE = False
    submit(page, button(page, "en", "Check now"))
    expect(section.get_by_role("status")).to_contain_text("Checking your domain")
    assert zone.asked == []
    assert tasks.run(proofs.QUEUE).done == 1

    # The page's script sees the check done and shows the result, without a click.
    expect(section).to_contain_text(
        re.compile(rf"{re.escape(DOMAIN)} is verified by DNS"), timeout=15_000
    )
    shot(page, "2-verified-by-dns")
    assert DomainCheck.objects.get().outcome == "proven"
    assert violations == []

    # Approved, the organization shows on the wall with the verified mark.
    settings.BACKGROUND_WORK_IMMEDIATE = True
    endorsement = Endorsement.objects.get(organization__name=applicant.name)
    services.endorsement_approve(endorsement=endorsement, by=reviewer_user)
    page.goto(f"{site}/")
    tile = page.locator(".ally", has=page.get_by_role("img", name=applicant.name, exact=True))
    expect(tile.locator(".verified")).to_have_count(1)
    shot(page, "3-wall")

    # The record goes: the daily re-check hides the mark at once and tells the contact.
    del zone.txt[DOMAIN]
    settings.BACKGROUND_WORK_IMMEDIATE = False  # the worker checks, and the outbox mails
    call_command("recheck_domains", stdout=io.StringIO())
    assert tasks.run(proofs.QUEUE).done == 1
    tasks.run(outbox.OUTBOX)
    gone = mail_to(applicant.email, f"We can no longer find the proof for {DOMAIN}")
    assert "/manage/" in gone.body
    page.reload()  # the browser may keep the wall a minute (max-age): ask again
    expect(tile.locator(".verified")).to_have_count(0)

    # A week later it is still gone: the reviewer finds it in the queue's Proof missing tab.
    settings.REQUIRE_STAFF_2FA = False
    with time_machine.travel(timezone.now() + timedelta(days=7, minutes=5), tick=True):
        call_command("recheck_domains", stdout=io.StringIO())
        assert tasks.run(proofs.QUEUE).done == 1
        tasks.run(outbox.OUTBOX)
        page.goto(f"{site}/review/")
        page.get_by_label("Username").fill(reviewer_user.username)
        page.get_by_label("Password").fill("correct horse battery")
        submit(page, page.get_by_role("button", name="Log in"))
        page.get_by_role("link", name=re.compile(r"^Proof missing")).click()
        expect(page.get_by_role("heading", level=1)).to_have_text("Review queue")
        row = page.locator(".queue-row", has_text=applicant.name)
        expect(row).to_contain_text("Proof missing")
        shot(page, "4-review-proof-missing")
        assert page.evaluate("document.documentElement.scrollWidth") <= 1280
    proof = Endorsement.objects.get(pk=endorsement.pk).domain_proof
    assert proof.flagged_at is not None
    # Told once, not again a week later.
    assert sum(m.subject == gone.subject for m in mails_to(applicant.email)) == 1
