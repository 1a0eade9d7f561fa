"""The stranger's commands of docs/verification.md, run as written against a live server."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from coalition import services
from coalition.ledger import chain
from coalition.models import LogEntry
from tests.ledger.helpers import approve

DOC = Path(__file__).resolve().parents[2] / "docs" / "verification.md"

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def folder(campaign, make_endorsement, reviewer, live_server, tmp_path):
    made = [approve(make_endorsement(name=f"Σύλλογος {n} 🌱"), reviewer) for n in range(3)]
    services.endorsement_withdraw(endorsement=made[0])
    script = re.search(r"```python\n(.*?)```", DOC.read_text(), re.S).group(1)
    (tmp_path / "check_log.py").write_text(script)
    base = f"{live_server.url}/campaigns/keep-detection"
    response = httpx.get(f"{base}/signatories.json", timeout=10)
    (tmp_path / "signatories.json").write_bytes(response.content)
    return tmp_path, base


def _check(folder: Path, base: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "check_log.py", base],
        cwd=folder,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_the_documented_script_accepts_a_true_log_and_list(folder):
    result = _check(*folder)

    assert result.returncode == 0, result.stderr
    assert result.stdout == "OK: 4 entries chain from the first and replay to the 2 allies\n"


def test_the_documented_script_stops_at_an_edited_entry(folder):
    LogEntry.objects.filter(seq=2).update(fields={"name": "Forged"})

    result = _check(*folder)

    assert result.returncode != 0
    assert "seq 2: bad hash" in result.stderr


def test_the_documented_script_refuses_a_list_the_log_does_not_give(folder):
    path = folder[0] / "signatories.json"
    data = json.loads(path.read_text())
    data["allies"].pop()
    path.write_text(json.dumps(data))

    result = _check(*folder)

    assert result.returncode != 0
    assert "the list is not what the log replays to" in result.stderr


@pytest.mark.parametrize(
    "value",
    ["Ελληνικά", "emoji 🎉 and ZWJ 👩‍👧", "tab\tnew\nline \x01 \u2028", 'quote " and \\ slash /'],
)
def test_the_scripts_canonical_json_is_rfc8785_for_what_the_log_holds(value):
    # The documented standard-library serialisation equals RFC 8785 for strings, integers and
    # null under ASCII keys: what entries hold.
    entry = {"seq": 12, "ally": "abc", "fields": {"name": value, "logo": None}, "prev": "0"}
    documented = json.dumps(entry, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    assert documented.encode() == chain.canonical_json(entry)
