"""The evidence, claims and outcomes in words, in the reader's language.

``coalition.reviewing.evidence`` stores codes and values; here they become the chips of the queue
and
the sentences of the decision screen.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone
from typing import Any

from django.contrib.auth.models import AbstractBaseUser
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.functional import Promise
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from coalition.models import DomainProof, Endorsement, ReviewClaim
from coalition.proofs.models import Method

# Python 3.10 has no datetime.UTC.
UTC = dt_timezone.utc

Status = Endorsement.Status

LABELS: dict[str, Promise] = {
    "lookalike_name": _("Lookalike name"),
    "lookalike_domain": _("Lookalike domain"),
    "punycode_domain": _("Punycode domain"),
    "shared_domain": _("Shared domain"),
    "shared_registry_id": _("Same registry ID"),
    "email_domain_match": _("Email on the website’s domain"),
    "email_domain_mismatch": _("Email elsewhere"),
    "registry_id_format_ok": _("Registry ID format"),
    "registry_id_format": _("Registry ID malformed"),
}

REGISTERS: dict[str, tuple[Promise, str]] = {
    "eu-transparency": (_("EU Transparency Register"), "123456789012-34"),
    "de-court": (_("German court register (VR, HRA, HRB, GnR, PR)"), "VR 12345"),
    "fr-rna": (_("French national register of associations (RNA)"), "W123456789"),
}

# What the reader can do about a flag, by level: the queue shows it as a symbol and a word, so
# that colour is never the only sign.
LEVEL_NAMES: dict[str, Promise] = {
    "danger": _("Check carefully"),
    "warn": _("Check"),
    "info": _("For information"),
    "ok": _("Good sign"),
}


def person(user: AbstractBaseUser | None) -> str:
    """How a reviewer is named to the others."""
    if user is None:
        return str(_("someone who no longer has an account"))
    return user.get_full_name() or user.get_username()


def clock(moment) -> str:
    """A time of day, in the site's time zone (``TIME_ZONE``)."""
    return formats.time_format(timezone.localtime(moment), "H:i")


# The one way the workspace writes dates, as Django date formats that each catalog sets: languages
# abbreviate months their own way ("5 Dec 2026", "5 déc. 2026", "5. Dez. 2026"). A 24-hour time,
# as the claims' clock shows it, and never "p.m.", which doubles the period that ends a sentence.
DAY_FORMAT = pgettext_lazy("Django date format: a day in the review workspace", "j M Y")
WHEN_FORMAT = pgettext_lazy("Django date format: a moment in the review workspace", "j M Y, H:i")


def when(moment: datetime) -> str:
    """A date and time, as the whole workspace writes them, in the reader's language."""
    return formats.date_format(timezone.localtime(moment), str(WHEN_FORMAT))


def day(value: datetime | date) -> str:
    """A date, as the whole workspace writes it, in the reader's language."""
    if isinstance(value, datetime):
        value = timezone.localtime(value)
    return formats.date_format(value, str(DAY_FORMAT))


def machine(value: datetime | date) -> str:
    """``value`` as a ``<time datetime>`` attribute: a moment in UTC to the second, a date as
    it is."""
    if isinstance(value, datetime):
        return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value.isoformat()


def waited(since: datetime, now: datetime | None = None) -> str:
    """How long since ``since``, in its largest unit ("3 days"); under a minute, in words rather
    than "0 minutes"."""
    now = now or timezone.now()
    if now - since < timedelta(minutes=1):
        return str(_("less than a minute"))
    return timesince(since, now, depth=1)


@dataclass
class FlagView:
    code: str
    level: str
    ack: bool
    label: str
    text: str
    matches: list[dict[str, Any]] = field(default_factory=list)
    note: str = ""


def _review_url(public_id: str) -> str:
    return reverse("review:decision", args=[public_id])


def _status_label(status: str) -> str:
    try:
        return str(Status(status).label)
    except ValueError:
        return status


def _organization_matches(matches: list[dict[str, Any]]) -> list[dict[str, Any]]:
    shown = []
    for match in matches:
        shown.append(
            {
                "name": match["name"],
                "domain": match.get("domain", ""),
                "endorsements": [
                    {
                        "url": _review_url(item["public_id"]),
                        "status": _status_label(item["status"]),
                        "public_id": item["public_id"],
                    }
                    for item in match.get("endorsements", [])
                ],
                "live": match.get("live", False),
                "no_campaign": not match.get("endorsements"),
            }
        )
    return shown


def flag_view(flag: dict[str, Any]) -> FlagView:
    """One stored flag (``coalition.reviewing.evidence.Flag.as_json``) in words."""
    code = flag.get("code", "")
    params = flag.get("params", {}) or {}
    matches = flag.get("matches", []) or []
    view = FlagView(
        code=code,
        level=flag.get("level", "info"),
        ack=bool(flag.get("ack")),
        label=str(LABELS.get(code, code)),
        text="",
    )
    if code == "email_domain_match":
        view.text = (
            _("The contact writes from %(email_domain)s, on the website’s domain %(domain)s.")
            % params
        )
    elif code == "email_domain_mismatch":
        view.text = (
            _("The contact writes from %(email_domain)s, not from the website’s domain %(domain)s.")
            % params
        )
    elif code == "shared_domain":
        view.text = (
            _("Other organizations use the domain %(domain)s:")
            if view.ack
            else _("Organizations on the domain %(domain)s before, none of them live now:")
        ) % params
        view.matches = _organization_matches(matches)
    elif code == "shared_registry_id":
        view.text = (
            _("Other organizations give the registry ID %(registry_id)s:")
            if view.ack
            else _(
                "Organizations that gave the registry ID %(registry_id)s, none of them live now:"
            )
        ) % params
        view.matches = _organization_matches(matches)
    elif code == "lookalike_name":
        view.text = str(_("The name looks like that of an organization already on a wall:"))
        view.matches = [
            {
                "name": match["name"],
                "domain": match.get("domain", ""),
                "url": _review_url(match["public_id"]),
                "how": _("the same once normalized")
                if match.get("same")
                else _("%(score)s%% alike") % {"score": match.get("score", "")},
            }
            for match in matches
        ]
    elif code == "lookalike_domain":
        view.text = (
            _("The domain %(unicode)s looks like that of an organization already on a wall:")
            % params
        )
        view.matches = [
            {
                "name": match["name"],
                "domain": match.get("unicode") or match.get("domain", ""),
                "url": _review_url(match["public_id"]),
                "how": _("the same with lookalike characters")
                if match.get("how") == "homoglyph"
                else _("one character apart"),
            }
            for match in matches
        ]
    elif code == "punycode_domain":
        view.text = (
            _("The website’s address is internationalized: %(host)s reads as %(unicode)s.") % params
        )
        if params.get("mixed_scripts"):
            view.note = str(_("It mixes alphabets, as impostors’ addresses do."))
    elif code in ("registry_id_format", "registry_id_format_ok"):
        name, example = REGISTERS.get(params.get("register", ""), (params.get("register"), ""))
        values = {"registry_id": params.get("registry_id", ""), "register": name}
        if code == "registry_id_format_ok":
            view.text = _("%(registry_id)s has the format of the %(register)s.") % values
        else:
            view.text = _(
                "%(registry_id)s does not have the format of the %(register)s, such as %(example)s."
            ) % {**values, "example": example}
    return view


def flag_views(flags: list[dict[str, Any]]) -> list[FlagView]:
    return [flag_view(flag) for flag in flags]


def proof_missing_flag(proof: DomainProof | None) -> FlagView | None:
    """The queue's chip for an ally whose DNS or web proof has been gone a week, or ``None``."""
    if proof is None or proof.flagged_at is None or proof.missing_since is None:
        return None
    return FlagView(
        code="proof_missing",
        level="danger",
        ack=False,
        label=str(_("Proof missing")),
        text=str(
            _("The proof of %(domain)s (%(method)s) has been missing since %(when)s.")
            % {
                "method": Method(proof.method).label,
                "domain": proof.domain,
                "when": when(proof.missing_since),
            }
        ),
    )


def claim_text(claim: ReviewClaim) -> str:
    return _("Being reviewed by %(name)s since %(time)s") % {
        "name": person(claim.reviewer),
        "time": clock(claim.claimed_at),
    }


def outcome_text(endorsement: Endorsement) -> str:
    """Who decided and how, once an application is no longer waiting; "" while it waits."""
    status = endorsement.status
    if status == Status.PENDING or status == Status.UNCONFIRMED:
        return ""
    if status in (Status.APPROVED, Status.REJECTED, Status.REMOVED) and endorsement.decided_at:
        values = {
            "name": person(endorsement.decided_by),
            "when": when(endorsement.decided_at),
        }
        if status == Status.APPROVED:
            if endorsement.decided_by_id is None:
                return _("Approved on %(when)s.") % values
            return _("Approved by %(name)s on %(when)s.") % values
        if status == Status.REJECTED:
            return _("Rejected by %(name)s on %(when)s.") % values
        return _("Removed from the wall by %(name)s on %(when)s.") % values
    if status == Status.WITHDRAWN and endorsement.ended_at:
        return _("Withdrawn on %(when)s.") % {"when": when(endorsement.ended_at)}
    return str(Status(status).label)
