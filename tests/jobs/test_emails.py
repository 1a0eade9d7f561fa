from __future__ import annotations

import html
import re
import socket

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape

from coalition import services
from coalition.jobs import outbox, tasks
from coalition.models import Endorsement, OutboundEmail
from coalition.wall import snippets

Status = Endorsement.Status


@pytest.fixture
def refusing_mail_server(settings):
    """SMTP settings that point at a port on which nothing listens: connections are refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_TIMEOUT = 2
    return settings


def test_mail_refused_by_the_server_stays_in_the_outbox_and_goes_out_later(
    make_endorsement,
    reviewer,
    refusing_mail_server,
    django_capture_on_commit_callbacks,
    mailoutbox,
):
    endorsement = make_endorsement(status=Status.PENDING)

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
        )

    endorsement.refresh_from_db()
    assert endorsement.status == Status.APPROVED
    waiting = OutboundEmail.objects.get()
    assert waiting.sent_at is None
    assert waiting.attempts == 1
    assert "ConnectionRefusedError" in waiting.last_error
    assert waiting.next_attempt_at is not None

    # The server comes back; the retry is due.
    refusing_mail_server.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    OutboundEmail.objects.update(next_attempt_at=None)
    call_command("send_outbox")

    waiting.refresh_from_db()
    assert waiting.sent_at is not None
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == [endorsement.contact_email]
    assert mailoutbox[0].alternatives[0][1] == "text/html"


def test_a_retry_waits_for_its_backoff(make_endorsement, reviewer, refusing_mail_server):
    endorsement = make_endorsement(status=Status.PENDING)
    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )
    assert tasks.run(outbox.OUTBOX) == tasks.Tally(done=0, failed=1)

    assert tasks.run(outbox.OUTBOX) == tasks.Tally(done=0, failed=0)
    assert OutboundEmail.objects.get().attempts == 1


def test_names_cannot_break_the_subject_line_or_the_html(make_endorsement, reviewer):
    endorsement = make_endorsement(status=Status.PENDING, name="Evil <b>Org</b>\r\nBcc: x@y.z")

    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )

    email = OutboundEmail.objects.get()
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert "<b>Org</b>" not in email.body_html
    assert "&lt;b&gt;Org&lt;/b&gt;" in email.body_html
    # Plain text is not HTML: it must not be escaped.
    assert "Evil <b>Org</b>" in email.body_text


def _builders_iframe(client, campaign, query: str = "") -> str:
    page = client.get(reverse("embed-builder", args=[campaign.slug]) + query).content.decode()
    return html.unescape(re.search(r'<textarea id="snippet-iframe"[^>]*>(.*?)</textarea>', page)[1])


def test_the_approval_mail_offers_the_builders_iframe(
    client, make_endorsement, reviewer, campaign, settings
):
    settings.SITE_URL = "https://wall.example.org"
    endorsement = make_endorsement(status=Status.PENDING)

    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )

    email = OutboundEmail.objects.get()
    snippet = _builders_iframe(client, campaign)
    assert snippet.startswith('<iframe src="https://wall.example.org/embed/keep-detection/"')
    assert snippet in email.body_text
    # Shown as code in the HTML mail, never as a frame.
    assert escape(snippet) in email.body_html
    assert "<iframe" not in email.body_html


def test_the_iframe_snippet_is_the_builders_for_any_parameters(client, campaign, settings):
    settings.SITE_URL = "https://wall.example.org"

    snippet = snippets.iframe_snippet(campaign, query="?theme=dark&count=0", height=800)

    assert snippet == _builders_iframe(client, campaign, "?theme=dark&count=0&height=800")
    assert 'src="https://wall.example.org/embed/keep-detection/?theme=dark&amp;count=0"' in snippet
    assert 'height="800"' in snippet


def test_the_approval_mails_iframe_is_titled_in_the_contacts_language(
    make_endorsement, reviewer, settings
):
    endorsement = make_endorsement(status=Status.PENDING)
    Endorsement.objects.filter(pk=endorsement.pk).update(preferred_language="de")
    endorsement.refresh_from_db()

    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )

    with translation.override("de"):
        title = str(snippets.IFRAME_TITLE)
    assert title != "Organizations that stand together"
    assert f'title="{title}"' in OutboundEmail.objects.get().body_text
