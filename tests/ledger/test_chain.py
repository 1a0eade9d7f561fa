"""The hash chain alone: canonical JSON, hashes, and what a broken chain is told by."""

from __future__ import annotations

import hashlib
from datetime import datetime, timezone

import pytest

from coalition.ledger import chain


def _log(count: int = 3) -> list[dict]:
    entries, prev = [], chain.GENESIS
    for seq in range(1, count + 1):
        entry = chain.make_entry(
            seq=seq,
            time=datetime(2026, 12, 6, 5, seq, 0, 123456, tzinfo=timezone.utc),
            event="joined",
            ally=f"ally{seq:04d}",
            fields={"name": f"Ελληνική Ένωση {seq} 🎉", "website": "https://example.org/"},
            prev=prev,
        )
        entries.append(entry)
        prev = entry["hash"]
    return entries


def test_the_hash_is_sha256_of_rfc8785_canonical_json_without_the_hash():
    entry = _log(1)[0]
    body = {key: value for key, value in entry.items() if key != "hash"}
    # RFC 8785: keys sorted, no whitespace, UTF-8 as is.
    canonical = chain.canonical_json(body)
    assert canonical.startswith(b'{"ally":"ally0001","event":"joined","fields":{"name":"')
    assert "Ελληνική".encode() in canonical
    assert entry["hash"] == hashlib.sha256(canonical).hexdigest()
    assert chain.entry_hash(entry) == entry["hash"]


def test_times_are_rfc3339_utc_to_the_millisecond():
    entry = _log(1)[0]
    assert entry["time"] == "2026-12-06T05:01:00.123Z"
    assert chain.parse_time(entry["time"]) == datetime(
        2026, 12, 6, 5, 1, 0, 123000, tzinfo=timezone.utc
    )


def test_the_first_entry_follows_genesis_and_each_the_one_before():
    entries = _log()
    assert entries[0]["prev"] == "0" * 64
    assert chain.check_chain(entries) == (3, entries[-1]["hash"])
    assert chain.check_chain([]) == (0, chain.GENESIS)


def test_a_deleted_entry_breaks_the_chain_at_its_seq():
    entries = _log()
    del entries[1]
    with pytest.raises(chain.ChainError, match="seq 3 found where seq 2 was expected"):
        chain.check_chain(entries)


def test_reordered_entries_break_the_chain():
    entries = _log()
    entries[1], entries[2] = entries[2], entries[1]
    with pytest.raises(chain.ChainError, match="where seq 2 was expected"):
        chain.check_chain(entries)


def test_an_altered_field_breaks_the_hash_of_its_entry():
    entries = _log()
    entries[1]["fields"]["name"] = "Someone else"
    with pytest.raises(chain.ChainError, match=r"seq 2: hash .* does not match its contents"):
        chain.check_chain(entries)


def test_an_entry_rehashed_after_an_edit_breaks_the_next_ones_prev():
    entries = _log()
    entries[1]["fields"]["name"] = "Someone else"
    entries[1]["hash"] = chain.entry_hash(entries[1])
    with pytest.raises(chain.ChainError, match=r"seq 3: prev .* is not the hash of the entry"):
        chain.check_chain(entries)


def test_replay_adds_changes_and_removes():
    entries = _log(2)
    prev = entries[-1]["hash"]
    for seq, event, ally, fields in [
        (3, "changed", "ally0001", {"website": "https://new.example.org/"}),
        (4, "left", "ally0002", {}),
    ]:
        entry = chain.make_entry(
            seq=seq,
            time="2026-12-06T06:00:00.000Z",
            event=event,
            ally=ally,
            fields=fields,
            prev=prev,
        )
        entries.append(entry)
        prev = entry["hash"]
    assert chain.check_chain(entries)[0] == 4
    assert chain.replay(entries) == {
        "ally0001": {"name": "Ελληνική Ένωση 1 🎉", "website": "https://new.example.org/"}
    }


def test_replay_refuses_leaving_a_list_one_is_not_on():
    entry = chain.make_entry(
        seq=1, time="2026-12-06T06:00:00.000Z", event="left", ally="x", fields={}, prev="0" * 64
    )
    with pytest.raises(chain.ChainError, match="seq 1: ally x leaves without being on the list"):
        chain.replay([entry])
