"""An update as mail: its text in the recipient's language, the footer saying why they get it,
and the headers of bulk mail with a one-click unsubscribe (RFC 8058, RFC 3834, RFC 2369).

Composed and sent with the outbox's own helpers (``coalition.jobs.outbox``: the templates, the
Message-ID on the site's domain, the reply address, the connection), so an update leaves as
every other mail of the site does, plus its headers.
"""

from __future__ import annotations

from email.utils import parseaddr
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.urls import reverse
from django.utils import translation

from coalition.endorsements import tokens
from coalition.jobs import outbox
from coalition.models import Endorsement
from coalition.updates.models import CampaignUpdate, UpdateDelivery
from coalition.web import links

TEMPLATE = "update"


def unsubscribe_url(endorsement: Endorsement) -> str:
    # One address whatever the language (outside the language prefixes): the header's URL is
    # what a mail provider POSTs to, and the page speaks the contact's language.
    return links.absolute(
        reverse("unsubscribe", kwargs={"token": tokens.unsubscribe_token(endorsement)})
    )


def mail_context(
    *,
    update: CampaignUpdate,
    language: str,
    endorsement: Endorsement | None,
    test: bool = False,
    unsubscribe: str = "",
) -> dict[str, object]:
    """What the ``update`` templates show: the owner's words in ``language``, and for a real
    recipient their organization and ``unsubscribe``, the link ``message`` also puts in the
    headers (a test has neither): a token carries the second it was signed in, and one mail
    should not hold two different links that do the same."""
    return {
        "update_subject": getattr(update, f"subject_{language}") or update.subject_en or "",
        "update_body": getattr(update, f"body_{language}") or update.body_en or "",
        "campaign": update.campaign,
        "campaign_url": links.absolute(_campaign_path(update, language)),
        "organization": endorsement.organization if endorsement else None,
        "unsubscribe_url": unsubscribe if endorsement else "",
        "test": test,
    }


def _campaign_path(update: CampaignUpdate, language: str) -> str:
    with translation.override(language):
        return reverse("campaign-detail", kwargs={"slug": update.campaign.slug})


def list_headers(endorsement: Endorsement, url: str) -> dict[str, str]:
    """The headers of every update: how to leave the list in one click at ``url`` (RFC 8058's
    POST to the https link, no cookie needed), and that it is bulk mail sent by a machine, which
    out-of-office replies and mail filters read (RFC 3834, ``Precedence``)."""
    targets = [f"<{url}>"]
    # A mailto: only where a person reads the mail (CAMPAIGN_REPLY_TO): this site reads no
    # mail, so the message carries the link to click, which that person follows.
    _name, address = parseaddr(settings.CAMPAIGN_REPLY_TO)
    if address and "@" in address:
        targets.append(f"<mailto:{address}?subject=unsubscribe&body={quote(url, safe='')}>")
    domain = urlsplit(links.site_url()).hostname or "localhost"
    return {
        "List-Unsubscribe": ", ".join(targets),
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        # RFC 2919: one list per campaign, which filters and providers group by.
        "List-Id": f"<{endorsement.campaign.slug}.updates.{domain}>",
        "Auto-Submitted": "auto-generated",
        "Precedence": "bulk",
    }


def message(delivery: UpdateDelivery) -> EmailMultiAlternatives:
    """The mail of one delivery, ready to send: rendered in the delivery's language, with the
    list headers and a Message-ID that stays the same if it is sent again after a crash."""
    endorsement = delivery.endorsement
    url = unsubscribe_url(endorsement)
    subject, text, html = outbox.render(
        TEMPLATE,
        mail_context(
            update=delivery.update,
            language=delivery.language,
            endorsement=endorsement,
            unsubscribe=url,
        ),
        delivery.language,
    )
    return outbox.compose(
        subject=subject,
        text=text,
        html=html,
        to=[endorsement.contact_email],
        reply_to=outbox.reply_to(delivery),
        message_id=outbox.site_message_id("update", delivery.pk, delivery.created_at),
        headers=list_headers(endorsement, url),
    )
