"""Where applications come from: the ``ref`` and UTM parameters of the link that brought the
applicant to the form (``/apply/?ref=partner-newsletter&utm_medium=email``).

A public page (the campaign's, a partner's embed) is the same bytes for every visitor, whatever
link brought them (``coalition.web.public_parameters``): its Sign on link is plain, and the
visitor's browser adds the parameters of the address it opened the page at
(``static/coalition/attribution.js``). Without that script, the form finds them in the address of
the page of this site that linked to it (the ``Referer``, which browsers send in full within a
site).

Read from the GET that shows the form (or its Referer), carried through its POST in a signed
hidden field (no cookie, no session), checked and bounded at both ends, and stored with the
application (``Endorsement.source``). They are never public: the reviewers' dashboard counts
them, the applicant's data download lists them and the owners' CRM export
(``coalition.endorsements.crm_export``) carries them; no wall, embed, feed or API shows them.

Nothing here ever refuses an application: a value out of bounds is dropped, a field that was
tampered with counts as no source at all.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from django.core import signing
from django.http import QueryDict

KEYS = ("ref", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
MAX_LENGTH = 100
# A form left open for a day or two still counts; after that the link is not what brought them.
MAX_AGE_SECONDS = 7 * 24 * 3600
FIELD_NAME = "source"
_SALT = "coalition.endorsements.sources"
# Control characters have no place in a label (and PostgreSQL refuses NUL).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def clean(params: Any) -> dict[str, str]:
    """The known parameters of ``params`` (a ``QueryDict`` or a mapping), each stripped, at
    most ``MAX_LENGTH`` characters and without control characters; any other is left out."""
    source: dict[str, str] = {}
    for key in KEYS:
        value = params.get(key) if hasattr(params, "get") else None
        if not isinstance(value, str):
            continue
        value = _CONTROL.sub("", value).strip()
        if value:
            source[key] = value[:MAX_LENGTH]
    return source


def from_referer(referer: str | None, *, host: str) -> dict[str, str]:
    """The source in the address ``referer`` when it is a page of this site (``host``, as the
    request names it), else ``{}``."""
    if not referer or len(referer) > 4096:
        return {}
    address = urlsplit(referer)
    if address.scheme not in ("http", "https") or address.netloc.lower() != host.lower():
        return {}
    return clean(QueryDict(address.query))


def sign(source: dict[str, str]) -> str:
    """``source`` as the form's hidden field carries it; ``""`` for none."""
    return signing.dumps(source, salt=_SALT, compress=True) if source else ""


def unsign(token: str | None) -> dict[str, str]:
    """The source a hidden field carried, cleaned again; ``{}`` for none, for one that was
    altered and for one older than ``MAX_AGE_SECONDS``."""
    if not token or len(token) > 4096:
        return {}
    try:
        value = signing.loads(token, salt=_SALT, max_age=MAX_AGE_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one too
        return {}
    return clean(value) if isinstance(value, dict) else {}
