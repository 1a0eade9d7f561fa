"""``/campaigns/<slug>/verify/``: how anyone checks a campaign's signed list of signatories and
its public log without trusting this site, with ``minisign`` and a few lines of Python, and a
button that checks them in the visitor's browser (``static/coalition/verify.js``, from this
site only).

Public and cached like the wall. The page names the signing key (``coalition.ledger.signing``),
read from its file without the database, so it is part of the variant: a new key is a new page.
"""

from __future__ import annotations

import logging

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from coalition.publishing import cache_keys, freshness, renderings
from coalition.web import links
from public_site.views.proof import ledger_url
from public_site.views.shortcuts import campaign_or_404
from public_site.views.wall import variant

logger = logging.getLogger(__name__)


def signing_key() -> dict[str, str]:
    """The signing key as the page names it: its minisign public key file, its id and its
    fingerprint; empty values where no key is configured (the page still explains)."""
    try:
        from coalition.ledger import signing

        return {
            "public_key": signing.public_key_text(),
            "key_id": signing.key_id(),
            "fingerprint": signing.key_fingerprint(),
        }
    except Exception:
        logger.warning("The signing key cannot be read", exc_info=True)
        return {"public_key": "", "key_id": "", "fingerprint": ""}


@require_safe
def verify_page(request: HttpRequest, slug: str) -> HttpResponse:
    """How to check the campaign ``slug``'s list and log, and the button that does it here."""
    key = signing_key()

    def build() -> HttpResponse:
        campaign = campaign_or_404(slug)
        files = {
            "signatories_url": ledger_url("campaign-signatories", campaign.slug),
            "signature_url": ledger_url("campaign-signatories-sig", campaign.slug),
            "log_url": ledger_url("campaign-log", campaign.slug),
            "key_url": _key_url(),
        }
        context = {
            "campaign": campaign,
            **key,
            **files,
            # The commands and the script name the files by their full address.
            "absolute": {name: links.absolute(url) for name, url in files.items() if url},
            "campaign_url": reverse("campaign-detail", args=[campaign.slug]),
            "messages": script_messages(),
        }
        response = render(request, "coalition/verify.html", context)
        cache_keys.tag_response(response, cache_keys.keys_for_page(campaign))
        return response

    return renderings.cached_public_response(
        request,
        namespace="verify",
        variant=variant(request, key["key_id"]),
        build=build,
        vary=("Accept-Language",),
        scope=freshness.campaign_scope(slug),
    )


def script_messages() -> dict[str, str]:
    """What ``verify.js`` says, in the page's language (``%(name)s`` filled in by the script)."""
    return {
        "checking": _("Checking… (the whole log is fetched: this may take a moment)"),
        "verified": _(
            "Verified: %(allies)s signatories, log of %(entries)s entries, signed by key %(key)s."
        ),
        "verifiedOne": _(
            "Verified: %(allies)s signatory, log of %(entries)s entries, signed by key %(key)s."
        ),
        "failed": _("Not verified: do not rely on this list."),
        "unexpected": _("The check could not be completed in this browser."),
        "fetchFailed": _("Could not fetch %(url)s."),
        "keyFormat": _("The public key is not a minisign Ed25519 key."),
        "signatureFormat": _("The signature file is not in minisign’s format."),
        "otherKey": _("The list was signed with another key (%(key)s), not the registry’s."),
        "noEd25519": _(
            "This browser cannot check Ed25519 signatures: use minisign, as described below."
        ),
        "badSignature": _("The signature does not match the list: the list was altered."),
        "badComment": _("The signature’s trusted comment was altered."),
        "listFormat": _("The list of signatories is not valid JSON."),
        "atEntry": _("Log entry %(seq)s:"),
        "entryKeys": _("it is not a log entry."),
        "entryMissing": _("an entry is missing, repeated or out of order."),
        "entryPrev": _("it does not follow the entry before (an entry was changed or removed)."),
        "entryHash": _("its contents do not match its fingerprint (it was altered)."),
        "replayTwice": _("an organization joins twice."),
        "replayAbsent": _("an organization leaves or changes without having joined."),
        "headMismatch": _("The list names a log entry that this log does not have."),
        "notInLog": _("The list names %(ally)s, which the log does not lead to."),
        "notInList": _("The log leads to %(ally)s, which the list leaves out."),
        "fieldDiffers": _("The list’s %(field)s of %(ally)s is not the log’s."),
    }


def _key_url() -> str:
    try:
        return reverse("signing-key")
    except NoReverseMatch:  # not served by this site
        return ""
