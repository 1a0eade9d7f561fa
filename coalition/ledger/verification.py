"""Checking a campaign's signed list against its key and its log, as a stranger would: from
what the site serves, trusting nothing else (``manage.py verify_coalition`` fetches, this
checks). Pure functions over bytes and parsed JSON: no database, no settings.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from coalition.ledger import chain, signing


@dataclass
class Report:
    """What was checked: ``problems`` empty means everything holds."""

    problems: list[str] = field(default_factory=list)
    key_id: str = ""
    trusted_comment: str = ""
    allies: int = 0
    entries: int = 0
    head: tuple[int, str] = (0, chain.GENESIS)
    generated_at: str = ""
    campaign: str = ""

    @property
    def ok(self) -> bool:
        return not self.problems


def check_signature(
    document: bytes, signature: str, keys: Sequence[signing.PublicKey], report: Report
) -> None:
    """The list's signature, by the site's current key (the first of ``keys``)."""
    if not keys:
        report.problems.append("the site's public key file holds no key")
        return
    current = keys[0]
    try:
        verified = signing.verify(document, signature, current)
    except signing.SignatureInvalid as error:
        retired = [key for key in keys[1:] if _verifies(document, signature, key)]
        if retired:
            report.problems.append(
                f"signatories.json is signed with the retired key {retired[0].key_id_text}, "
                f"not with the current key {current.key_id_text}"
            )
        else:
            report.problems.append(f"signature of signatories.json: {error}")
        return
    report.key_id = verified.key_id
    report.trusted_comment = verified.trusted_comment


def _verifies(document: bytes, signature: str, key: signing.PublicKey) -> bool:
    try:
        signing.verify(document, signature, key)
    except signing.SignatureInvalid:
        return False
    return True


def parse_document(document: bytes, report: Report) -> dict[str, Any] | None:
    try:
        data = json.loads(document)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        report.problems.append(f"signatories.json is not JSON: {error}")
        return None
    if not isinstance(data, dict) or not isinstance(data.get("allies"), list):
        report.problems.append("signatories.json has no list of allies")
        return None
    log = data.get("log")
    if not isinstance(log, dict) or not {"seq", "hash"} <= log.keys():
        report.problems.append("signatories.json does not name its log's head (log.seq, log.hash)")
        return None
    report.generated_at = str(data.get("generated_at", ""))
    report.campaign = str((data.get("campaign") or {}).get("slug", ""))
    return data


def check_list(
    data: Mapping[str, Any], entries: Sequence[Mapping[str, Any]], report: Report
) -> None:
    """The list against the log: the key id it names, its head = the log's last entry, and the
    log replayed = its allies with their public fields."""
    if report.key_id and data.get("key_id") != report.key_id:
        report.problems.append(
            f"signatories.json names key {data.get('key_id')!r} but is signed by {report.key_id}"
        )
    try:
        head = chain.check_chain(entries)
    except chain.ChainError as error:
        report.problems.append(f"log: {error}")
        return
    report.entries, report.head = head[0], head
    listed_head = (data["log"].get("seq"), data["log"].get("hash"))
    if listed_head != head:
        report.problems.append(
            f"signatories.json names the log's head seq {listed_head[0]} ({listed_head[1]}), "
            f"but the log ends at seq {head[0]} ({head[1]})"
        )
    try:
        replayed = chain.replay(entries)
    except chain.ChainError as error:
        report.problems.append(f"log does not replay: {error}")
        return
    listed: dict[str, Mapping[str, Any]] = {}
    for ally in data["allies"]:
        ally_id = ally.get("id") if isinstance(ally, Mapping) else None
        if not isinstance(ally_id, str):
            report.problems.append("signatories.json lists an ally without an id")
            continue
        if ally_id in listed:
            report.problems.append(f"signatories.json lists ally {ally_id} twice")
        listed[ally_id] = ally
    report.allies = len(listed)
    if data.get("count") != len(data["allies"]):
        report.problems.append(
            f"signatories.json says count {data.get('count')!r} but lists {len(data['allies'])}"
        )
    for ally_id in sorted(replayed.keys() - listed.keys()):
        report.problems.append(
            f"ally {ally_id} ({replayed[ally_id].get('name')!r}) is on the list by the log "
            f"(joined at seq {_joined_seq(entries, ally_id)}) but not in signatories.json"
        )
    for ally_id in sorted(listed.keys() - replayed.keys()):
        report.problems.append(
            f"ally {ally_id} ({listed[ally_id].get('name')!r}) is in signatories.json but the "
            "log does not have it on the list"
        )
    for ally_id in sorted(listed.keys() & replayed.keys()):
        for name in chain.PUBLIC_FIELDS:
            logged, shown = replayed[ally_id].get(name), listed[ally_id].get(name)
            if logged != shown:
                report.problems.append(
                    f"ally {ally_id}: field {name!r} is {shown!r} in signatories.json but "
                    f"{logged!r} by the log"
                )


def _joined_seq(entries: Sequence[Mapping[str, Any]], ally_id: str) -> int | None:
    joined = [e["seq"] for e in entries if e["ally"] == ally_id and e["event"] == "joined"]
    return joined[-1] if joined else None
