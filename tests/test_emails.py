from __future__ import annotations

import socket

import pytest
from django.core.management import call_command

from coalition import emails, services
from coalition.models import Endorsement, OutboundEmail

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
        services.endorsement_approve(endorsement=endorsement, by=reviewer)

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
    services.endorsement_approve(endorsement=endorsement, by=reviewer)
    emails.deliver()

    assert emails.deliver() == (0, 0)
    assert OutboundEmail.objects.get().attempts == 1


def test_names_cannot_break_the_subject_line_or_the_html(make_endorsement, reviewer):
    endorsement = make_endorsement(status=Status.PENDING, name="Evil <b>Org</b>\r\nBcc: x@y.z")

    services.endorsement_approve(endorsement=endorsement, by=reviewer)

    email = OutboundEmail.objects.get()
    assert "\n" not in email.subject
    assert "\r" not in email.subject
    assert "<b>Org</b>" not in email.body_html
    assert "&lt;b&gt;Org&lt;/b&gt;" in email.body_html
    # Plain text is not HTML: it must not be escaped.
    assert "Evil <b>Org</b>" in email.body_text
