"""Reading the public log and the signed list of signatories (public facts only).

The list (``signatories.json``) is the campaign's approved allies with the public fields the
log carries (``chain.PUBLIC_FIELDS``), how each one's participation was established, and the
log's head; ``signatories_signed`` gives it with its minisign signature. Pending, rejected and
"this wasn't us" applications are in neither: the list reads approved endorsements only, and
the log is written only for approvals and departures of approved ones.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef, QuerySet
from django.urls import reverse
from django.utils import timezone, translation

from coalition.endorsements.models import Endorsement, EndorsementEvent
from coalition.ledger import chain, signing
from coalition.ledger.models import LogEntry, SignedList
from coalition.proofs.models import verification_expression
from coalition.wall import selectors
from coalition.web import links

Status = Endorsement.Status
# Entries in one page of ``log.json``.
LOG_PAGE_SIZE = 500
FORMAT = "coalition-registry/signatories/1"
SIGNATORIES_FILE = "signatories.json"


def log_entries(campaign: Any, after: int = 0, limit: int = LOG_PAGE_SIZE) -> QuerySet[LogEntry]:
    """The entries of ``campaign``'s log with ``seq`` above ``after``, ascending, at most
    ``limit``."""
    return LogEntry.objects.filter(campaign_id=campaign.pk, seq__gt=after).order_by("seq")[:limit]


def entry_data(entry: LogEntry) -> dict[str, Any]:
    """``entry`` as the log publishes it (the keys of ``chain.ENTRY_KEYS``, in order)."""
    return {
        "seq": entry.seq,
        "time": chain.format_time(entry.time),
        "event": entry.event,
        "ally": entry.ally,
        "fields": entry.fields,
        "prev": entry.prev,
        "hash": entry.hash,
    }


def log_head(campaign: Any) -> tuple[int, str]:
    """The last entry's ``(seq, hash)``; ``(0, chain.GENESIS)`` for an empty log."""
    head = (
        LogEntry.objects.filter(campaign_id=campaign.pk)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return head if head is not None else (0, chain.GENESIS)


def campaign_url(campaign: Any) -> str:
    """The campaign's page, absolute, in the site's default language (no prefix): the same
    whichever language the request asked for, since the list is signed."""
    with translation.override(settings.LANGUAGE_CODE):
        return links.absolute(reverse("campaign-detail", kwargs={"slug": campaign.slug}))


def _path(name: str, campaign: Any) -> str:
    return links.absolute(reverse(name, kwargs={"slug": campaign.slug}))


def _proof(verification: str | None, attested: bool) -> str | None:
    """How the participation was established: the proof of the domain that holds ("dns",
    "well-known", "email", as the API's ``verification``), else an owner's attestation of an
    imported ally ("attested"), else None (approved by a reviewer on other evidence)."""
    if verification:
        return verification
    return "attested" if attested else None


def _allies(campaign: Any) -> list[dict[str, Any]]:
    attested = EndorsementEvent.objects.filter(
        endorsement=OuterRef("pk"), to_status=Status.APPROVED, attested=True
    )
    rows = (
        selectors.ally_list_of_campaign(campaign)
        .annotate(verified_by=verification_expression(), attested=Exists(attested))
        .values(
            "public_id",
            "organization__name",
            "organization__website",
            "organization__country",
            "organization__sector__slug",
            "organization__logo__digest",
            "verified_by",
            "attested",
        )
    )
    # When each joined, from the log itself (its latest ``joined``), and the log's order.
    joined = {
        ally: (seq, time)
        for ally, seq, time in LogEntry.objects.filter(
            campaign_id=campaign.pk, event=LogEntry.Event.JOINED
        )
        .order_by("seq")
        .values_list("ally", "seq", "time")
    }
    allies = []
    for row in rows:
        seq, time = joined.get(row["public_id"], (None, None))
        allies.append(
            {
                "id": row["public_id"],
                "name": row["organization__name"],
                "website": row["organization__website"],
                "country": row["organization__country"],
                "sector": row["organization__sector__slug"],
                "logo": row["organization__logo__digest"],
                "proof": _proof(row["verified_by"], row["attested"]),
                "joined_at": chain.format_time(time) if time else None,
                "_order": (seq is None, seq or 0, row["public_id"]),
            }
        )
    allies.sort(key=lambda ally: ally.pop("_order"))
    return allies


def _content(campaign: Any) -> dict[str, Any]:
    seq, head = log_head(campaign)
    allies = _allies(campaign)
    return {
        "format": FORMAT,
        "campaign": {"slug": campaign.slug, "title": campaign.title, "url": campaign_url(campaign)},
        "log": {"seq": seq, "hash": head, "url": _path("campaign-log", campaign)},
        "key_id": signing.key_id(),
        "count": len(allies),
        "allies": allies,
    }


# The list and its signature are asked for together (the verify page fetches both at once):
# threads of one process record a new list one at a time; other processes meet the unique
# constraint instead. The tests' live server shares one SQLite connection between its threads,
# where two such inserts at once broke each other's transaction (a 500 CI met).
_RECORDING = threading.Lock()


def _generated_at(campaign: Any, digest: str) -> datetime:
    """When the list with this content was first made (``SignedList``), recorded now if never."""
    with _RECORDING:
        found = SignedList.objects.filter(campaign_id=campaign.pk, digest=digest).first()
        if found is not None:
            return found.generated_at
        now = chain.truncate_to_ms(timezone.now())
        try:
            with transaction.atomic():
                return SignedList.objects.create(
                    campaign_id=campaign.pk, digest=digest, generated_at=now
                ).generated_at
        except IntegrityError:  # another process made it first: take theirs
            return SignedList.objects.get(campaign_id=campaign.pk, digest=digest).generated_at


@dataclass(frozen=True)
class Signed:
    document: bytes
    signature: str
    seq: int
    head: str


def _serialise(document: dict[str, Any]) -> bytes:
    # Indented for people, UTF-8 as written (Greek names stay Greek); one fixed form, so that
    # the same content always gives the same bytes.
    return (json.dumps(document, ensure_ascii=False, indent=2) + "\n").encode()


def signatories_signed(campaign: Any) -> Signed:
    """The list of ``campaign``'s signatories as served (``signatories.json``) and its minisign
    signature. Raises ``signing.SigningKeyMissing`` when no key is configured."""
    # One language for everyone (the campaign's title is translated): whoever fetches the list
    # and whoever fetches its signature must get the same bytes.
    with translation.override(settings.LANGUAGE_CODE):
        content = _content(campaign)
    digest = hashlib.sha256(chain.canonical_json(content)).hexdigest()
    generated_at = _generated_at(campaign, digest)
    document = {
        "format": content["format"],
        "campaign": content["campaign"],
        "generated_at": chain.format_time(generated_at),
        "log": content["log"],
        "key_id": content["key_id"],
        "count": content["count"],
        "allies": content["allies"],
    }
    data = _serialise(document)
    seq, head = content["log"]["seq"], content["log"]["hash"]
    comment = (
        f"timestamp:{int(generated_at.timestamp())} file:{SIGNATORIES_FILE} "
        f"campaign:{campaign.slug} log:{seq}:{head}"
    )
    return Signed(
        document=data, signature=signing.sign(data, trusted_comment=comment), seq=seq, head=head
    )


def signatories_document(campaign: Any) -> bytes:
    """The exact bytes served as ``signatories.json``."""
    return signatories_signed(campaign).document
