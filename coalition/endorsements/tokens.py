"""Signed links in mail: confirm an address, say "this wasn't us", manage an application,
stop the updates about a campaign (``unsubscribe``: no expiry, since an update months later must
still carry a link that works, and it can do nothing but stop updates).

Each kind has its own salt so that one link can never be used as another. A manage link also
carries the endorsement's ``manage_token_version``; a reviewer raising it revokes old links.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

from coalition.models import Endorsement

CONFIRM_MAX_AGE = timedelta(days=7)
NOT_US_MAX_AGE = timedelta(days=365)

_CONFIRM = "coalition.confirm"
_NOT_US = "coalition.not-us"
_MANAGE = "coalition.manage"
_UNSUBSCRIBE = "coalition.unsubscribe"


class InvalidLink(Exception):
    """The link is malformed, forged, revoked or points at nothing."""


class ExpiredLink(InvalidLink):
    """The link was genuine but is too old."""


def confirm_token(endorsement: Endorsement) -> str:
    return signing.dumps(endorsement.public_id, salt=_CONFIRM, compress=True)


def not_us_token(endorsement: Endorsement) -> str:
    return signing.dumps(endorsement.public_id, salt=_NOT_US, compress=True)


def manage_token(endorsement: Endorsement) -> str:
    return signing.dumps(
        [endorsement.public_id, endorsement.manage_token_version], salt=_MANAGE, compress=True
    )


def unsubscribe_token(endorsement: Endorsement) -> str:
    return signing.dumps(endorsement.public_id, salt=_UNSUBSCRIBE, compress=True)


def _load(token: str, *, salt: str, max_age: timedelta | None) -> object:
    if not token or len(token) > 300:
        raise InvalidLink
    try:
        return signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise ExpiredLink from None
    except (signing.BadSignature, ValueError, TypeError):
        raise InvalidLink from None


def _endorsement(public_id: object) -> Endorsement:
    if not isinstance(public_id, str):
        raise InvalidLink
    endorsement = (
        Endorsement.objects.select_related("organization", "campaign", "organization__logo")
        .filter(public_id=public_id)
        .first()
    )
    if endorsement is None:
        raise InvalidLink
    return endorsement


def endorsement_from_confirm_token(token: str) -> Endorsement:
    return _endorsement(_load(token, salt=_CONFIRM, max_age=CONFIRM_MAX_AGE))


def endorsement_from_not_us_token(token: str) -> Endorsement:
    return _endorsement(_load(token, salt=_NOT_US, max_age=NOT_US_MAX_AGE))


def endorsement_from_manage_token(token: str) -> Endorsement:
    payload = _load(token, salt=_MANAGE, max_age=None)
    if not (isinstance(payload, list) and len(payload) == 2):
        raise InvalidLink
    endorsement = _endorsement(payload[0])
    if payload[1] != endorsement.manage_token_version:
        raise InvalidLink
    return endorsement


def endorsement_from_unsubscribe_token(token: str) -> Endorsement:
    return _endorsement(_load(token, salt=_UNSUBSCRIBE, max_age=None))
