"""Mail: rendered from three templates per message and kept in an outbox until sent.

``templates/emails/<name>-subject.txt``, ``<name>-body.txt`` and ``<name>-body.html`` make one
message. ``coalition.jobs.services.mail_queue`` stores it in the same transaction as the change
it announces, and nothing more: no request ever talks to the mail server. The outbox is a queue
of the background worker (``coalition.jobs.tasks``, ``manage.py worker``), which sends each
message within a second or two of the commit and retries what the mail server refused or let
time out, with a growing delay. The outbox stays the record of every mail sent (the contact's
data download and retention use it).
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db.models import Q
from django.template.loader import render_to_string
from django.utils import timezone, translation

from coalition.jobs import tasks
from coalition.models import OutboundEmail
from coalition.web import links


class HasEndorsement(Protocol):
    """A row of mail to an applicant (an outbox row, an update's delivery)."""

    endorsement_id: int | None


# Mail is late when recent mail is unsent and either failed already or has waited longer than
# LATE_AFTER (no worker running). Older unsent mail (one bad address, retried for days) says
# nothing about the mail server now.
LATE_AFTER = timedelta(minutes=2)
RECENT = timedelta(hours=1)


def render(template: str, context: dict[str, Any], language: str) -> tuple[str, str, str]:
    context = {"site_url": links.site_url(), **context}
    with translation.override(language):
        subject = render_to_string(f"emails/{template}-subject.txt", context)
        text = render_to_string(f"emails/{template}-body.txt", context)
        html = render_to_string(f"emails/{template}-body.html", context)
    # A header line must not carry newlines, whatever a template or a name put there.
    subject = " ".join(subject.split())
    return subject, text, html


def over_address_limit(address: str) -> bool:
    """Whether the contact at ``address`` has had ``MAIL_PER_ADDRESS_PER_HOUR`` mails about
    applications in the last hour, whatever asked for them (applying, asking for links): past
    that, no one can make the site send them more, under names of their choosing."""
    since = timezone.now() - timedelta(hours=1)
    sent = OutboundEmail.objects.filter(
        endorsement__contact_email__iexact=address.strip(), created_at__gte=since
    ).count()
    return sent >= settings.MAIL_PER_ADDRESS_PER_HOUR


def message_id(email: OutboundEmail) -> str:
    """One Message-ID per outbox row, on the site's own domain: a mail sent again after a
    failure (a database or mail server outage) is the same message to the recipient's client,
    and threads and deduplicates as one."""
    return site_message_id("outbox", email.pk, email.created_at)


def site_message_id(kind: str, pk: object, created_at: datetime | None) -> str:
    """A Message-ID on the site's own domain for the row ``pk`` of a kind of mail (``outbox``,
    ``update``): the same each time that row is sent."""
    domain = urlsplit(links.site_url()).hostname or "localhost"
    stamp = int(created_at.timestamp()) if created_at else 0
    return f"<{kind}.{pk}.{stamp}@{domain}>"


def reply_to(email: OutboundEmail | HasEndorsement) -> list[str]:
    """Where a reply to ``email`` goes: an applicant's reply to ``CAMPAIGN_REPLY_TO`` (the
    campaign's people) when it is set, since mail comes from an address nobody reads."""
    if email.endorsement_id and settings.CAMPAIGN_REPLY_TO:
        return [settings.CAMPAIGN_REPLY_TO]
    return []


def compose(
    *,
    subject: str,
    text: str,
    html: str,
    to: list[str],
    reply_to: list[str],
    message_id: str,
    headers: dict[str, str] | None = None,
) -> EmailMultiAlternatives:
    """One message as every kind of mail sends it: from ``DEFAULT_FROM_EMAIL``, text with its
    HTML alternative, the Message-ID given (``headers``: more, e.g. an update's
    ``List-Unsubscribe``). Django adds ``Date``."""
    message = EmailMultiAlternatives(
        subject=subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=to,
        reply_to=reply_to,
        headers={"Message-ID": message_id, **(headers or {})},
    )
    if html:
        message.attach_alternative(html, "text/html")
    return message


def send(email: OutboundEmail) -> None:
    """Hand one message to the mail server (the outbox's work); raises when it is refused."""
    compose(
        subject=email.subject,
        text=email.body_text,
        html=email.body_html,
        to=email.to,
        reply_to=reply_to(email),
        message_id=message_id(email),
    ).send(fail_silently=False)


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
