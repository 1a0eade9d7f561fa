"""What the services share: their errors, the public version, and the applicant's mail."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone, translation

from coalition import cache_keys, emails, links, purge, tokens
from coalition.models import Endorsement, OutboundEmail
from coalition.selectors import PUBLIC_VERSION_KEY

logger = logging.getLogger(__name__)

REVIEWERS_GROUP = "Reviewers"


class EndorsementTransitionError(Exception):
    """A transition the workflow does not allow; its message is meant for people."""


class ApplicationError(Exception):
    """An application or a change that cannot be accepted; its message is meant for people."""


def public_version_bump() -> None:
    """Mark every cached public rendering as outdated (walls, embeds, images, the API).

    Versions are millisecond timestamps, so they double as Last-Modified; never going back
    keeps a version from ever naming two different states.
    """
    try:
        current = cache.get(PUBLIC_VERSION_KEY) or 0
        cache.set(
            PUBLIC_VERSION_KEY, max(int(timezone.now().timestamp() * 1000), current + 1), None
        )
    except Exception:  # the cache is down: nothing cached can be served either
        logger.warning("Could not bump the public version", exc_info=True)
    # Then the HTTP caches in front (Varnish): after the bump, so what they fetch again is new.
    purge.purge_after_commit([cache_keys.SITE_KEY])


def statement_fields(statement: str, translations: dict[str, str] | None = None) -> dict[str, str]:
    """The per-language statement columns: ``statement`` is in the active language, and
    ``translations`` may add the others (keys are language codes)."""
    codes = [code for code, _name in settings.LANGUAGES]
    texts = dict.fromkeys(codes, "")
    texts.update({code: text for code, text in (translations or {}).items() if code in codes})
    texts[translation.get_language() if translation.get_language() in codes else "en"] = statement
    return {f"statement_{code}": text.strip() for code, text in texts.items()}


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
    return {
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "campaign": endorsement.campaign,
        **private_links,
    }


def queue_applicant_mail(
    *, template: str, endorsement: Endorsement, extra: dict[str, object] | None = None
) -> OutboundEmail | None:
    """Queue a mail to the contact of ``endorsement``, in their language (``extra``: more
    context for its template)."""
    return emails.queue(
        template=template,
        to=[endorsement.contact_email],
        context={**mail_context(endorsement), **(extra or {})},
        language=endorsement.preferred_language,
        endorsement=endorsement,
    )
