"""The jobs concept's writes: a mail into the outbox.

``mail_queue`` renders a message from its three templates (``coalition.jobs.outbox.render``) and
stores it in the outbox in the same transaction as the change it announces, and nothing more:
no request ever talks to the mail server. The worker sends it once the transaction commits
(``coalition.jobs.outbox``, the "mail" queue of ``manage.py worker``).
"""

from __future__ import annotations

import contextvars
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from coalition.jobs import outbox, tasks
from coalition.models import Endorsement, OutboundEmail

_suppressed: contextvars.ContextVar[bool] = contextvars.ContextVar("suppressed", default=False)


@contextmanager
def mail_suppressed() -> Iterator[None]:
    """Queue no mail inside this block: for demo data and imports, whose people are invented."""
    token = _suppressed.set(True)
    try:
        yield
    finally:
        _suppressed.reset(token)


def mail_queue(
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
    subject, text, html = outbox.render(template, context, language)
    email = OutboundEmail.objects.create(
        to=recipients,
        subject=subject,
        body_text=text,
        body_html=html,
        template=template,
        endorsement=endorsement,
    )
    tasks.recorded(outbox.OUTBOX, email)
    return email
