"""The applicant's mail: their private links, and mail to them in their language."""

from __future__ import annotations

import logging

from django.conf import settings
from django.urls import reverse
from django.utils import translation

from coalition.campaigns import sharing
from coalition.endorsements import tokens
from coalition.jobs.services import mail_queue
from coalition.models import Endorsement, OutboundEmail
from coalition.web import links

logger = logging.getLogger(__name__)


def applicant_links(endorsement: Endorsement) -> dict[str, str]:
    """The private links an applicant's mail and pages carry, as absolute URLs."""
    return {
        "confirm_url": links.absolute(
            reverse("confirm", kwargs={"token": tokens.confirm_token(endorsement)})
        ),
        "not_us_url": links.absolute(
            reverse("not-us", kwargs={"token": tokens.not_us_token(endorsement)})
        ),
        "manage_url": links.absolute(
            reverse("manage", kwargs={"token": tokens.manage_token(endorsement)})
        ),
    }


def mail_context(endorsement: Endorsement) -> dict[str, object]:
    """What every mail about ``endorsement`` may show, its private links included."""
    # Links lead to the pages in the language the mail is written in.
    with translation.override(endorsement.preferred_language):
        private_links = applicant_links(endorsement)
        # An approved ally's badge and share links (the approval mail offers them).
        approved = endorsement.status == Endorsement.Status.APPROVED
        share = sharing.ally_share(endorsement) if approved else None
    return {
        "share": share,
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "campaign": endorsement.campaign,
        # Whether a reply reaches anyone (``outbox.reply_to``): the mail says so, or not.
        "replies_read": bool(settings.CAMPAIGN_REPLY_TO),
        **private_links,
    }


def queue_applicant_mail(
    *, template: str, endorsement: Endorsement, extra: dict[str, object] | None = None
) -> OutboundEmail | None:
    """Queue a mail to the contact of ``endorsement``, in their language (``extra``: more
    context for its template)."""
    return mail_queue(
        template=template,
        to=[endorsement.contact_email],
        context={**mail_context(endorsement), **(extra or {})},
        language=endorsement.preferred_language,
        endorsement=endorsement,
    )
