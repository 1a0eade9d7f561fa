"""Mail: rendered from three templates per message and kept in an outbox until sent.

``templates/emails/<name>-subject.txt``, ``<name>-body.txt`` and ``<name>-body.html`` make one
message. ``queue`` stores it in the same transaction as the change it announces, and nothing
more: no request ever talks to the mail server. The outbox is a queue of the background worker
(``coalition.tasks``, ``manage.py worker``), which sends each message within a second or two of
the commit and retries what the mail server refused or let time out, with a growing delay. The
outbox stays the record of every mail sent (the contact's data download and retention use it).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from coalition import links, tasks
from coalition.models import Endorsement, OutboundEmail

# Mail is late when recent mail is unsent and either failed already or has waited longer than
# LATE_AFTER (no worker running). Older unsent mail (one bad address, retried for days) says
# nothing about the mail server now.
LATE_AFTER = timedelta(minutes=2)
RECENT = timedelta(hours=1)

_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("suppressed", default=False)


@contextmanager
def suppressed() -> Iterator[None]:
    """Queue no mail inside this block: for demo data and imports, whose people are invented."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def render(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    context = {"site_url": links.site_url(), **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    # A header line must not carry newlines, whatever a template or a name put there.
    subject = " ".join(subject.split())
    return subject, text, html


def queue(
    *,
    template: str,
    to: list[str],
    context: dict[str, Any],
    language: str = "en",
    endorsement: Endorsement | None = None,
) -> OutboundEmail | None:
    """Store a message for ``to``; the worker sends it once the transaction commits."""
    recipients = sorted({address for address in to if address})
    if not recipients or _suppressed.get():
        return None
    subject, text, html = render(template, context, language)
    email = OutboundEmail.objects.create(
        to=recipients,
        subject=subject,
        body_text=text,
        body_html=html,
        template=template,
        endorsement=endorsement,
    )
    tasks.recorded(OUTBOX, email)
    return email


def send(email: OutboundEmail) -> None:
    """Hand one message to the mail server (the outbox's work); raises when it is refused."""
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    message.send(fail_silently=False)


OUTBOX = tasks.register(
    tasks.Queue(
        name="mail",
        model=OutboundEmail,
        perform=send,
        done_field="sent_at",
        # 2, 4, 8 … minutes, then hourly: a mail server that is down for a day is not hammered.
        first_backoff=timedelta(minutes=2),
        max_backoff=timedelta(hours=1),
    )
)


def outbox_delayed() -> bool:
    """Whether mail is late right now: the mail server failed recently, or nothing sends."""
    now = timezone.now()
    return (
        OutboundEmail.objects.filter(sent_at__isnull=True, created_at__gte=now - RECENT)
        .filter(~Q(last_error="") | Q(created_at__lt=now - LATE_AFTER))
        .exists()
    )
