"""Mail: rendered from three templates per message and kept in an outbox until sent.

``templates/emails/<name>-subject.txt``, ``<name>-body.txt`` and ``<name>-body.html`` make one
message. ``queue`` stores it in the same transaction as the change it announces; after commit one
attempt is made at once, and ``manage.py send_outbox`` retries whatever the mail server refused.
"""

from __future__ import annotations

import contextvars
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone, translation

from coalition.models import Endorsement, OutboundEmail

logger = logging.getLogger(__name__)

MAX_BACKOFF = timedelta(hours=1)

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
    context = {"site_url": settings.SITE_URL, **context}
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
    """Store a message for ``to`` and try to send it once the transaction commits."""
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
    transaction.on_commit(lambda: deliver(email_ids=[email.pk]))
    return email


def _send(email: OutboundEmail) -> None:
    message = EmailMultiAlternatives(
        subject=email.subject,
        body=email.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=email.to,
    )
    if email.body_html:
        message.attach_alternative(email.body_html, "text/html")
    message.send(fail_silently=False)


def deliver(*, email_ids: list[int] | None = None, limit: int = 100) -> tuple[int, int]:
    """Send unsent mail that is due (or the given messages). Returns (sent, failed)."""
    now = timezone.now()
    due = OutboundEmail.objects.filter(sent_at__isnull=True)
    if email_ids is not None:
        due = due.filter(pk__in=email_ids)
    else:
        due = due.exclude(next_attempt_at__gt=now)
    sent = failed = 0
    for pk in list(due.order_by("created_at").values_list("pk", flat=True)[:limit]):
        with transaction.atomic():
            # skip_locked: two workers draining the outbox never send the same message twice.
            email = (
                OutboundEmail.objects.select_for_update(skip_locked=True)
                .filter(pk=pk, sent_at__isnull=True)
                .first()
            )
            if email is None:
                continue
            email.attempts += 1
            try:
                _send(email)
            except Exception as exc:  # noqa: BLE001 - any transport error means "try later"
                failed += 1
                backoff = min(timedelta(minutes=2 ** min(email.attempts, 10)), MAX_BACKOFF)
                email.next_attempt_at = timezone.now() + backoff
                email.last_error = f"{type(exc).__name__}: {exc}"[:2000]
                logger.warning("Mail %s not sent (attempt %s): %s", pk, email.attempts, exc)
            else:
                sent += 1
                email.sent_at = timezone.now()
                email.last_error = ""
            email.save(update_fields=["attempts", "next_attempt_at", "last_error", "sent_at"])
    return sent, failed
