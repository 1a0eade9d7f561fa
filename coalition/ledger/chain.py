"""The hash chain of a campaign's public log: pure functions, no database, no Django.

An entry is a JSON object ``{"seq", "time", "event", "ally", "fields", "prev", "hash"}``.
``hash`` is the SHA-256, in lowercase hex, of the entry without ``hash`` serialised as RFC 8785
canonical JSON (the JSON Canonicalization Scheme: keys sorted by UTF-16 code units, no
whitespace, numbers and strings in one fixed form, UTF-8), so that anyone can recompute it with
any JCS implementation. ``prev`` is the hash of the entry before; the first entry's ``prev`` is
``GENESIS``, 64 zeros. ``seq`` counts from 1 with no gap.

This module is imported by migration 0018 and by ``verify_coalition``: keep it free of models.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from datetime import datetime, timezone
from typing import Any

import rfc8785

# The ``prev`` of a log's first entry: no entry's hash can be 64 zeros.
GENESIS = "0" * 64

# The keys of an entry, in the order the log shows them (the hash does not depend on order).
ENTRY_KEYS = ("seq", "time", "event", "ally", "fields", "prev", "hash")
EVENTS = ("joined", "left", "changed")

# The public fields of an ally as the log and the signed list carry them: who signed, under which
# identity. ``country`` is the ISO 3166-1 alpha-2 code, ``sector`` the sector's slug, ``logo``
# the content hash of the processed logo (``Logo.digest``) or null. The statement is left out:
# it is the ally's own words in up to three languages, shown on the wall, not their identity.
PUBLIC_FIELDS = ("name", "website", "country", "sector", "logo")


def canonical_json(obj: Any) -> bytes:
    """``obj`` as RFC 8785 canonical JSON (UTF-8 bytes)."""
    return rfc8785.dumps(obj)


def entry_hash(entry_without_hash: Mapping[str, Any]) -> str:
    """The hex SHA-256 of ``entry_without_hash`` in canonical JSON. A ``hash`` key, if present,
    is left out, so an entry as published can be passed as it is."""
    body = {key: value for key, value in entry_without_hash.items() if key != "hash"}
    return hashlib.sha256(canonical_json(body)).hexdigest()


def format_time(moment: datetime) -> str:
    """``moment`` as the log writes times: RFC 3339 in UTC, to the millisecond, with ``Z``
    (``2026-12-06T05:01:49.123Z``). One fixed form, so the same moment always hashes alike."""
    utc = moment.astimezone(timezone.utc)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """A time written by ``format_time``, back as an aware datetime (ms precision)."""
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)


def truncate_to_ms(moment: datetime) -> datetime:
    """``moment`` without its microseconds below the millisecond: what the log can show."""
    return moment.replace(microsecond=moment.microsecond - moment.microsecond % 1000)


def make_entry(
    *, seq: int, time: datetime | str, event: str, ally: str, fields: Mapping[str, Any], prev: str
) -> dict[str, Any]:
    """The entry as published, ``hash`` included."""
    entry: dict[str, Any] = {
        "seq": seq,
        "time": time if isinstance(time, str) else format_time(time),
        "event": event,
        "ally": ally,
        "fields": dict(fields),
        "prev": prev,
    }
    entry["hash"] = entry_hash(entry)
    return entry


class ChainError(ValueError):
    """A log that is not a valid chain or does not replay; the message says where."""

    def __init__(self, message: str, *, seq: int | None = None, ally: str | None = None):
        super().__init__(message)
        self.seq = seq
        self.ally = ally


def check_chain(entries: Iterable[Mapping[str, Any]]) -> tuple[int, str]:
    """Check that ``entries`` (from entry 1, in order) form one chain: keys as documented,
    ``seq`` contiguous from 1, each ``prev`` the hash before (``GENESIS`` first), each ``hash``
    recomputed. Returns the head ``(seq, hash)``, ``(0, GENESIS)`` for no entry; raises
    ``ChainError`` at the first fault."""
    seq, head = 0, GENESIS
    for entry in entries:
        expected = seq + 1
        if not isinstance(entry, Mapping) or set(entry) != set(ENTRY_KEYS):
            raise ChainError(
                f"entry after seq {seq} does not have exactly the keys {', '.join(ENTRY_KEYS)}",
                seq=expected,
            )
        if entry["seq"] != expected:
            raise ChainError(
                f"seq {entry['seq']!r} found where seq {expected} was expected "
                "(an entry is missing, repeated or out of order)",
                seq=expected,
            )
        if entry["prev"] != head:
            raise ChainError(
                f"seq {expected}: prev {entry['prev']!r} is not the hash of the entry before "
                f"({head})",
                seq=expected,
            )
        if entry["event"] not in EVENTS:
            raise ChainError(f"seq {expected}: unknown event {entry['event']!r}", seq=expected)
        recomputed = entry_hash(entry)
        if entry["hash"] != recomputed:
            raise ChainError(
                f"seq {expected}: hash {entry['hash']!r} does not match its contents "
                f"(recomputed {recomputed})",
                seq=expected,
            )
        seq, head = expected, recomputed
    return seq, head


def replay(entries: Iterable[Mapping[str, Any]]) -> dict[str, dict[str, Any]]:
    """The allies and their public fields that ``entries`` leave: ``joined`` adds one with its
    fields, ``changed`` updates the fields it names, ``left`` removes one. Raises ``ChainError``
    for an event that cannot happen (joining twice, changing or leaving one not there)."""
    allies: dict[str, dict[str, Any]] = {}
    for entry in entries:
        seq, ally, event = entry["seq"], entry["ally"], entry["event"]
        if event == "joined":
            if ally in allies:
                raise ChainError(f"seq {seq}: ally {ally} joins twice", seq=seq, ally=ally)
            allies[ally] = dict(entry["fields"])
        elif event == "changed":
            if ally not in allies:
                raise ChainError(
                    f"seq {seq}: ally {ally} changes without being on the list",
                    seq=seq,
                    ally=ally,
                )
            allies[ally].update(entry["fields"])
        elif event == "left" and allies.pop(ally, None) is None:
            raise ChainError(
                f"seq {seq}: ally {ally} leaves without being on the list", seq=seq, ally=ally
            )
    return allies
