"""Webhooks in a real browser: a superuser adds a partner's endpoint in the admin (its events
as boxes, its secret shown), a reviewer's approval in the workspace reaches the partner's
receiver on loopback, verified with the ``standardwebhooks`` library; the receiver is down for
the next event, the admin shows the failed attempt, and "Send again" delivers it once the
receiver is back, with the same webhook-id.

Screenshots in ``/tmp/shots/webhooks/``."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest
from django.contrib.auth.models import User
from django.db import connections
from playwright.sync_api import expect

from coalition import services
from coalition.jobs import tasks
from coalition.models import Endorsement, Organization, Sector, WebhookDelivery, WebhookEndpoint
from coalition.webhooks import delivery
from tests.admin_helpers import make_logo
from tests.browser.journeys import submit
from tests.webhooks.receiver import Receiver

SHOTS = Path("/tmp/shots/webhooks")  # noqa: S108 - where the lead looks for them
PASSWORD = "partner-hooks-password-9"
Status = Endorsement.Status


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"{name}.png"), full_page=True)


@pytest.fixture
def receiver(settings):
    settings.WEBHOOK_ALLOW_PRIVATE = True  # the partner's receiver is on this machine
    settings.BACKGROUND_WORK_IMMEDIATE = False  # the worker sends, as in production
    server = Receiver(secret="").start()
    yield server
    server.stop()


@pytest.fixture
def application(reference_data) -> Endorsement:
    organization = Organization.objects.create(
        name="Ελληνική Ένωση για το Παιδί",
        website="https://paidi.example.gr",
        country="GR",
        sector=Sector.objects.get(slug="child-protection-ngo"),
        logo=make_logo(),
        statement_en="Children deserve to be found and helped.",
    )
    return Endorsement.objects.create(
        organization=organization,
        campaign=reference_data,
        status=Status.PENDING,
        contact_name="Ελένη Παπαδοπούλου",
        contact_role="Director",
        contact_email="eleni@paidi.example.gr",
        domain_verified=True,
        consent_authority=True,
        consent_publish=True,
    )


def _worker_pass() -> tasks.Tally:
    """One pass of the worker's webhooks queue, in a thread of its own as in the worker
    (Playwright keeps an event loop in this one)."""
    tallies: list[tasks.Tally] = []

    def work() -> None:
        try:
            tallies.append(tasks.run(delivery.QUEUE))
        finally:
            connections.close_all()

    thread = threading.Thread(target=work)
    thread.start()
    thread.join(30)
    return tallies[0]


def test_a_partner_gets_verified_deliveries_and_one_sent_again_after_it_was_down(
    browser, site, receiver, application
):
    User.objects.create_superuser("root", "root@registry.example", PASSWORD)
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    page.set_default_timeout(10_000)

    # A superuser adds the partner's endpoint.
    page.goto(f"{site}/admin/login/?next=/admin/coalition/webhookendpoint/add/")
    page.get_by_label("Username").fill("root")
    page.get_by_label("Password").fill(PASSWORD)
    submit(page, page.get_by_role("button", name="Log in"))
    page.get_by_label("URL").fill(receiver.url)
    page.get_by_label("Description").fill("Partner CRM")
    page.get_by_label("endorsement.approved").check()
    page.get_by_label("endorsement.removed").check()
    page.get_by_label("Include contact data").check()
    shoot(page, "1-add-endpoint")
    submit(page, page.get_by_role("button", name="Save", exact=True))
    endpoint = WebhookEndpoint.objects.get()
    assert endpoint.events == ["endorsement.approved", "endorsement.removed"]
    assert endpoint.include_contact

    page.get_by_role("link", name=receiver.url).click()
    secret = page.locator(".webhook-secret").inner_text()
    assert secret == endpoint.secret
    shoot(page, "2-endpoint-with-secret")
    receiver.secret = secret  # given to the partner's developers

    # A reviewer's approval in the workspace reaches the receiver, through the worker.
    page.goto(f"{site}/review/{application.public_id}/")
    submit(page, page.get_by_role("button", name="Approve", exact=True))
    application.refresh_from_db()
    assert application.status == Status.APPROVED
    assert receiver.received == []  # not during the request
    assert _worker_pass() == tasks.Tally(done=1)
    [approved] = receiver.verified
    assert approved.payload["type"] == "endorsement.approved"
    assert approved.payload["data"]["name"] == "Ελληνική Ένωση για το Παιδί"
    assert approved.payload["data"]["contact"]["email"] == "eleni@paidi.example.gr"

    # The receiver is down when the ally is removed: a failed attempt, shown in the admin.
    receiver.stop()
    superuser = User.objects.get(username="root")
    services.endorsement_remove(endorsement=application, by=superuser, note="Asked by phone")
    assert _worker_pass() == tasks.Tally(failed=1)
    removed = WebhookDelivery.objects.get(event="endorsement.removed")
    page.goto(f"{site}/admin/coalition/webhookdelivery/")
    row = page.locator("tr", has_text="endorsement.removed")
    expect(row).to_contain_text("Retrying")
    shoot(page, "3-deliveries")
    submit(page, row.get_by_role("link", name="endorsement.removed"))
    expect(page.locator("#attempts_made-group")).to_contain_text("Could not connect")

    # Back up: "Send again" delivers it now, with the same webhook-id.
    receiver.start()
    submit(page, page.get_by_role("button", name="Send again"))
    expect(page.locator(".messagelist")).to_contain_text("sent again in a moment")
    assert _worker_pass() == tasks.Tally(done=1)
    page.reload()
    expect(page.locator(".field-status")).to_contain_text("Delivered")
    shoot(page, "4-delivered-after-send-again")
    removed.refresh_from_db()
    assert removed.delivered_at is not None
    assert [item.payload["type"] for item in receiver.verified] == [
        "endorsement.approved",
        "endorsement.removed",
    ]
    assert receiver.verified[1].headers["webhook-id"] == removed.message_id
