"""What reviewers should know about an application before they decide, as flags.

Computed when the application arrives (``endorsement_apply``, ``endorsement_confirm``) and on
a reviewer's request, and stored (``EndorsementEvidence``, by ``evidence_refresh`` and
``evidence_current`` in ``coalition.reviewing.services``) so that the queue reads it rather than
computing it for every row:

- the contact email's domain against the website's registrable domain;
- other organizations on the same registrable domain, or with the same registry ID;
- lookalikes of an organization already approved on any wall: a name that normalizes to nearly
  the same, a domain one character or a homoglyph away, a punycode (internationalized) domain;
- a registry ID that does not have the format of the register it claims.

String similarity is rapidfuzz's and the confusable characters are Unicode's (TR 39, through
confusable-homoglyphs): neither is ours to get right.

Flags hold codes and values only; ``review.wording`` puts them into words.
"""

from __future__ import annotations

import contextlib
import re
import unicodedata
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

from confusable_homoglyphs import confusables
from django.db.models import Exists, OuterRef, QuerySet, Value
from django.db.models.functions import Replace, Upper
from rapidfuzz import fuzz, process
from rapidfuzz.distance import OSA

from coalition.models import Endorsement, Organization
from coalition.reviewing.registers import claimed_register

Status = Endorsement.Status

# Bump when the flags or their inputs change meaning: stored evidence of an older version is
# computed again when a reviewer opens the application.
VERSION = 1

OK, INFO, WARN, DANGER = "ok", "info", "warn", "danger"

# Names: token_sort_ratio (0–100) from which two normalized names count as lookalikes. Below it,
# chapters of one network ("Kinderschutzbund Bayern" / "Kinderschutzbund Berlin", 91) stay apart.
NAME_SIMILARITY = 93
# Short names differ by too few characters for a ratio to catch one typo ("unicef" / "unlcef"
# is 83): from this length, one edit (a transposition counts as one) is a lookalike too.
SHORT_NAME_MIN_LENGTH = 5
# Domains: the label before the public suffix must have this many characters for one edit to
# count ("ab.de" / "ac.de" are simply different).
DOMAIN_LABEL_MIN_LENGTH = 4
MAX_MATCHES = 10

# Legal forms that say nothing about who an organization is. Compared as tokens after
# punctuation is gone ("e.V." is "ev", "a.s.b.l." is "asbl").
_LEGAL_FORMS_BY_LANGUAGE = (
    "ev gev eg gmbh ggmbh ag gag kg ug kgaa stiftung gemeinnützige gemeinnutzige verein",  # de
    "ltd limited inc incorporated llc llp plc corp corporation co cic cio foundation",  # en
    "asbl aisbl vzw ivzw sa sas sarl scrl fondation association bv nv stichting",  # fr, be, nl
    "srl spa onlus ets sl",  # it, es
)
LEGAL_FORMS = frozenset(form for forms in _LEGAL_FORMS_BY_LANGUAGE for form in forms.split())
_NOT_WORD = re.compile(r"[^\w]+")


@dataclass(frozen=True)
class Flag:
    """One thing a reviewer should see. ``ack``: approving needs the reviewer's tick."""

    code: str
    level: str
    ack: bool = False
    params: dict[str, Any] = field(default_factory=dict)
    matches: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


# Text --------------------------------------------------------------------------------------


@lru_cache(maxsize=4096)
def _latin(character: str) -> str:
    """The Latin letter ``character`` is confusable with ("1" is "l"), or itself."""
    if character.isascii() and character.isalpha():
        return character
    found = confusables.is_confusable(character, greedy=True, preferred_aliases=["latin"])
    for item in found or ():
        for homoglyph in item["homoglyphs"]:
            if homoglyph["c"].isascii() and homoglyph["c"].isalnum():
                return homoglyph["c"]
    return character


def _strip_accents(text: str) -> str:
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def skeleton(text: str) -> str:
    """``text`` as it looks: lower case, accents gone, every character that is confusable with a
    Latin letter or digit replaced by it ("unіcef" with a Cyrillic і is "unicef", "paypa1" is
    "paypal")."""
    text = _strip_accents(unicodedata.normalize("NFKC", text).lower())
    # A non-joiner or joiner changes how letters join, not which word it is: "می‌خواهیم" and
    # "میخواهیم" name the same organization.
    text = text.replace("\u200c", "").replace("\u200d", "")
    return "".join(_latin(c) if c.isalnum() else c for c in text).lower()


def normalize_name(name: str) -> str:
    """An organization's name with what does not tell organizations apart taken out: case,
    accents, punctuation, lookalike characters and legal forms (e.V., gGmbH, Ltd, Inc, ASBL,
    Stiftung…)."""
    text = skeleton(name).replace(".", "")
    tokens = [token for token in _NOT_WORD.split(text.replace("_", " ")) if token]
    meaningful = [token for token in tokens if token not in LEGAL_FORMS]
    return " ".join(meaningful or tokens)


def unicode_host(host: str) -> str:
    """``host`` with its punycode labels (``xn--…``) decoded, as a reader would see it."""
    labels = []
    for label in host.split("."):
        readable = label
        if label.startswith("xn--"):
            with contextlib.suppress(UnicodeError):  # not valid punycode: shown as it is
                readable = label.encode("ascii").decode("idna")
        labels.append(readable)
    return ".".join(labels)


def _host(website: str) -> str:
    return (urlsplit(website).hostname or "").rstrip(".").lower()


def _email_domain(email: str) -> str:
    return email.rsplit("@", 1)[1].strip().rstrip(".").lower() if "@" in email else ""


def normalize_registry_id(value: str) -> str:
    return re.sub(r"[^0-9A-Za-z]", "", value or "").upper()


# The flags ---------------------------------------------------------------------------------


def inputs_of(endorsement: Endorsement) -> dict[str, Any]:
    """What the flags are computed from: when any of it changes, they are out of date."""
    organization = endorsement.organization
    return {
        "version": VERSION,
        "name": organization.name,
        "host": _host(organization.website),
        "domain": organization.domain,
        "registry_id": organization.registry_id,
        "email_domain": _email_domain(endorsement.contact_email),
    }


def _email_flag(endorsement: Endorsement) -> Flag | None:
    email_domain = _email_domain(endorsement.contact_email)
    if not email_domain:  # erased, or never given
        return None
    params = {"email_domain": email_domain, "domain": endorsement.organization.domain}
    if endorsement.contact_domain_matches:
        return Flag("email_domain_match", OK, params=params)
    return Flag("email_domain_mismatch", WARN, params=params)


def _organization_match(organization: Organization, endorsements: list[Endorsement]) -> dict:
    return {
        "name": organization.name,
        "domain": organization.domain,
        "registry_id": organization.registry_id,
        "endorsements": [
            {"public_id": e.public_id, "status": e.status, "campaign": e.campaign.slug}
            for e in endorsements[:5]
        ],
        # Live, or on no campaign yet (made in the admin): the same name or domain is in use.
        "live": not endorsements
        or any(e.status in Endorsement.LIVE_STATUSES for e in endorsements),
    }


def _matches_of(organizations: QuerySet[Organization]) -> list[dict[str, Any]]:
    matches = []
    for organization in organizations.prefetch_related("endorsements__campaign")[:MAX_MATCHES]:
        endorsements = sorted(
            organization.endorsements.all(), key=lambda e: (e.submitted_at, e.pk), reverse=True
        )
        matches.append(_organization_match(organization, endorsements))
    return matches


def _shared_flags(organization: Organization) -> list[Flag]:
    """Other organizations on the same registrable domain, or with the same registry ID. Only
    those still live (or on no campaign) need the reviewer's tick; ended ones are history."""
    flags = []
    others = Organization.objects.exclude(pk=organization.pk).order_by("name", "pk")
    same_domain = _matches_of(others.filter(domain=organization.domain))
    if same_domain:
        ack = any(match["live"] for match in same_domain)
        flags.append(
            Flag(
                "shared_domain",
                WARN if ack else INFO,
                ack=ack,
                params={"domain": organization.domain},
                matches=same_domain,
            )
        )
    registry_id = normalize_registry_id(organization.registry_id)
    if registry_id:
        normalized = Upper(
            Replace(
                Replace(Replace("registry_id", Value(" "), Value("")), Value("-"), Value("")),
                Value("."),
                Value(""),
            )
        )
        same_id = _matches_of(
            others.annotate(normalized_registry_id=normalized).filter(
                normalized_registry_id=registry_id
            )
        )
        if same_id:
            ack = any(match["live"] for match in same_id)
            flags.append(
                Flag(
                    "shared_registry_id",
                    WARN if ack else INFO,
                    ack=ack,
                    params={"registry_id": organization.registry_id},
                    matches=same_id,
                )
            )
    return flags


@dataclass(frozen=True)
class _Approved:
    name: str
    domain: str
    public_id: str


def _approved_elsewhere(organization: Organization) -> dict[int, _Approved]:
    """The organizations approved on any wall now, but this one: one entry each."""
    rows = (
        Endorsement.objects.filter(status=Status.APPROVED)
        .exclude(organization=organization)
        .order_by("organization_id", "-approved_at", "-pk")
        .values_list("organization_id", "organization__name", "organization__domain", "public_id")
    )
    approved: dict[int, _Approved] = {}
    for organization_id, name, domain, public_id in rows:
        approved.setdefault(organization_id, _Approved(name, domain, public_id))
    return approved


def _lookalike_name_flag(organization: Organization, approved: dict[int, _Approved]) -> Flag | None:
    query = normalize_name(organization.name)
    if not query:
        return None
    choices = {pk: normalize_name(other.name) for pk, other in approved.items()}
    scores: dict[int, float] = {}
    for _choice, score, pk in process.extract(
        query, choices, scorer=fuzz.token_sort_ratio, score_cutoff=NAME_SIMILARITY, limit=None
    ):
        scores[pk] = score
    if len(query) >= SHORT_NAME_MIN_LENGTH:
        for _choice, _distance, pk in process.extract(
            query, choices, scorer=OSA.distance, score_cutoff=1, limit=None
        ):
            if len(choices[pk]) >= SHORT_NAME_MIN_LENGTH:
                scores.setdefault(pk, fuzz.token_sort_ratio(query, choices[pk]))
    if not scores:
        return None
    best = sorted(scores, key=lambda pk: (-scores[pk], approved[pk].name))[:MAX_MATCHES]
    return Flag(
        "lookalike_name",
        DANGER,
        ack=True,
        params={"normalized": query},
        matches=[
            {
                "name": approved[pk].name,
                "domain": approved[pk].domain,
                "public_id": approved[pk].public_id,
                "score": round(scores[pk]),
                "same": choices[pk] == query,
            }
            for pk in best
        ],
    )


def _lookalike_domain_flag(
    organization: Organization, approved: dict[int, _Approved]
) -> Flag | None:
    domain = organization.domain
    readable = unicode_host(domain)
    shape = skeleton(readable)
    others: dict[str, _Approved] = {}
    for other in approved.values():
        if other.domain and other.domain != domain:
            others.setdefault(other.domain, other)
    found: dict[str, str] = {}
    for other_domain in others:
        if skeleton(unicode_host(other_domain)) == shape:
            found[other_domain] = "homoglyph"
    if len(readable.split(".", 1)[0]) >= DOMAIN_LABEL_MIN_LENGTH:
        readable_others = {d: unicode_host(d) for d in others}
        for _choice, _distance, other_domain in process.extract(
            readable, readable_others, scorer=OSA.distance, score_cutoff=1, limit=None
        ):
            found.setdefault(other_domain, "edit")
    if not found:
        return None
    return Flag(
        "lookalike_domain",
        DANGER,
        ack=True,
        params={"domain": domain, "unicode": readable},
        matches=[
            {
                "domain": other_domain,
                "unicode": unicode_host(other_domain),
                "name": others[other_domain].name,
                "public_id": others[other_domain].public_id,
                "how": how,
            }
            for other_domain, how in sorted(found.items())[:MAX_MATCHES]
        ],
    )


def _punycode_flag(organization: Organization) -> Flag | None:
    host = _host(organization.website)
    if not any(label.startswith("xn--") for label in host.split(".")):
        return None
    readable = unicode_host(host)
    return Flag(
        "punycode_domain",
        WARN,
        ack=True,
        params={
            "host": host,
            "unicode": readable,
            "mixed_scripts": any(
                confusables.is_mixed_script(label) for label in readable.split(".")
            ),
        },
    )


def _registry_id_flag(organization: Organization) -> Flag | None:
    registry_id = organization.registry_id.strip()
    claimed = claimed_register(registry_id) if registry_id else None
    if claimed is None:
        return None
    register, valid = claimed
    params = {"registry_id": registry_id, "register": register.code}
    if valid:
        return Flag("registry_id_format_ok", OK, params=params)
    return Flag("registry_id_format", WARN, params=params)


def flags_for(endorsement: Endorsement) -> list[Flag]:
    """Every flag for ``endorsement``, the ones that need attention first."""
    organization = endorsement.organization
    approved = _approved_elsewhere(organization)
    found = [
        _lookalike_name_flag(organization, approved),
        _lookalike_domain_flag(organization, approved),
        _punycode_flag(organization),
        *_shared_flags(organization),
        _email_flag(endorsement),
        _registry_id_flag(organization),
    ]
    order = {DANGER: 0, WARN: 1, INFO: 2, OK: 3}
    return sorted((flag for flag in found if flag), key=lambda flag: order[flag.level])


_ACKNOWLEDGED = {
    "lookalike_name": "lookalike name of",
    "lookalike_domain": "lookalike domain of",
    "punycode_domain": "punycode domain",
    "shared_domain": "shared domain with",
    "shared_registry_id": "same registry ID as",
}


def acknowledgement_text(flags: list[dict[str, Any]]) -> str:
    """What the reviewer confirmed by ticking, for the audit row: the flags that asked for the
    tick and whom they pointed at. In English, like the rest of the audit trail's own words."""
    parts = []
    for flag in flags:
        if not flag.get("ack"):
            continue
        what = _ACKNOWLEDGED.get(flag.get("code", ""), flag.get("code", ""))
        others = ", ".join(
            f"“{match.get('name', '')}” ({match.get('domain', '')})"
            for match in flag.get("matches", [])
        )
        if flag.get("code") == "punycode_domain":
            others = flag.get("params", {}).get("unicode", "")
        parts.append(f"{what} {others}".strip())
    if not parts:
        return ""
    return "Checked that this is a different organization: " + "; ".join(parts) + "."


# For an import's report, which flags lookalikes of rows not saved yet ----------------------


def approved_allies() -> dict[int, _Approved]:
    """Every organization approved on any wall now, one entry each: read once for a whole
    import, whose rows are compared with it one by one (``lookalike_flags``)."""
    return _approved_elsewhere(Organization(pk=0))


def lookalike_flags(organization: Organization, approved: dict[int, _Approved]) -> list[Flag]:
    """The lookalike flags (name, domain) of ``organization``, saved or not, against
    ``approved`` (``approved_allies``)."""
    found = [
        _lookalike_name_flag(organization, approved),
        _lookalike_domain_flag(organization, approved),
    ]
    return [flag for flag in found if flag]


# For the admin's queue, which warns about live endorsements on the same domain --------------


def live_on_same_domain(endorsement: Endorsement) -> QuerySet[Endorsement]:
    """Live endorsements of other organizations on ``endorsement``'s registrable domain."""
    return (
        Endorsement.objects.filter(
            organization__domain=endorsement.organization.domain,
            status__in=Endorsement.LIVE_STATUSES,
        )
        .exclude(organization=endorsement.organization_id)
        .select_related("organization", "campaign")
    )


def shares_domain_with_live() -> Exists:
    """For ``annotate`` on endorsements: another organization with a live endorsement uses the
    same registrable domain."""
    return Exists(
        Endorsement.objects.filter(
            organization__domain=OuterRef("organization__domain"),
            status__in=Endorsement.LIVE_STATUSES,
        )
        .exclude(organization=OuterRef("organization"))
        .order_by()
    )
