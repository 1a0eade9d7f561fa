"""Where applications come from: the ``ref`` and UTM parameters of the link that brought the
applicant to the form (``/apply/?ref=partner-newsletter&utm_medium=email``).

Read from the GET that shows the form, carried through its POST in a signed hidden field (no
cookie, no session), checked and bounded at both ends, and stored with the application
(``Endorsement.source``). They are never public: the reviewers' dashboard counts them and the
applicant's data download lists them; no wall, embed, feed, API or export shows them.

Nothing here ever refuses an application: a value out of bounds is dropped, a field that was
tampered with counts as no source at all.
"""

from __future__ import annotations

import re
from typing import Any

from django.core import signing

KEYS = ("ref", "utm_source", "utm_medium", "utm_campaign", "utm_content", "utm_term")
MAX_LENGTH = 100
# A form left open for a day or two still counts; after that the link is not what brought them.
MAX_AGE_SECONDS = 7 * 24 * 3600
FIELD_NAME = "source"
_SALT = "coalition.sources"
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
