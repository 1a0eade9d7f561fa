"""Debian's minisign, not our code, verifying a live list with the site's public key."""

from __future__ import annotations

import os
import shutil
import subprocess

import httpx
import pytest

from tests.ledger.helpers import approve

MINISIGN = shutil.which("minisign")

pytestmark = [
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        MINISIGN is None and not os.getenv("CI"),
        reason="needs Debian's minisign (apt-get install minisign); CI installs it",
    ),
]


def _minisign(*args: str) -> subprocess.CompletedProcess:
    assert MINISIGN is not None, "CI must have minisign: .ci/run installs it"
    return subprocess.run(
        [MINISIGN, *args], capture_output=True, text=True, timeout=30, check=False
    )


@pytest.fixture
def downloaded(campaign, make_endorsement, reviewer, live_server, tmp_path):
    approve(make_endorsement(name="Ελληνικό Δίκτυο για το Παιδί 🧒", country="GR"), reviewer)
    approve(make_endorsement(name="Harbour Light"), reviewer)
    base = f"{live_server.url}/campaigns/keep-detection"
    with httpx.Client(timeout=10) as client:
        for url, name in [
            (f"{live_server.url}/.well-known/coalition-registry.pub", "key.pub"),
            (f"{base}/signatories.json", "signatories.json"),
            (f"{base}/signatories.json.minisig", "signatories.json.minisig"),
        ]:
            response = client.get(url)
            assert response.status_code == 200, url
            (tmp_path / name).write_bytes(response.content)
    return tmp_path


def test_minisign_verifies_the_list_with_the_well_known_key(downloaded):
    result = _minisign(
        "-V", "-p", str(downloaded / "key.pub"), "-m", str(downloaded / "signatories.json")
    )

    assert result.returncode == 0, result.stderr
    assert "Signature and comment signature verified" in result.stdout + result.stderr
    assert "Trusted comment: timestamp:" in result.stdout
    assert "file:signatories.json campaign:keep-detection log:2:" in result.stdout


def test_minisign_refuses_a_list_with_one_byte_changed(downloaded):
    document = downloaded / "signatories.json"
    data = bytearray(document.read_bytes())
    at = data.index(b"Harbour Light")
    data[at] = ord("h")
    document.write_bytes(bytes(data))

    result = _minisign(
        "-V",
        "-p",
        str(downloaded / "key.pub"),
        "-m",
        str(document),
        "-x",
        str(downloaded / "signatories.json.minisig"),
    )

    assert result.returncode != 0
    assert "verification failed" in (result.stdout + result.stderr).lower()


def test_minisign_refuses_the_list_with_another_key(downloaded, tmp_path):
    from coalition.ledger import signing

    other = tmp_path / "other.pub"
    other.write_text(signing.secret_key_new().public.file_text())

    result = _minisign("-V", "-p", str(other), "-m", str(downloaded / "signatories.json"))

    assert result.returncode != 0


def test_the_servers_key_file_is_minisigns_own_format(signing_key_file, tmp_path):
    from coalition.ledger import signing

    message = tmp_path / "note.txt"
    message.write_text("Signed by minisign with the registry's key file.\n")

    result = _minisign(
        "-S", "-s", str(signing_key_file), "-m", str(message), "-t", "made by minisign"
    )

    assert result.returncode == 0, result.stderr
    verified = signing.verify(
        message.read_bytes(),
        (tmp_path / "note.txt.minisig").read_text(),
        signing.signing_key().public,
    )
    assert verified.trusted_comment == "made by minisign"
