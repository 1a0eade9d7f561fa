"""The server's key: made by manage.py signing_key, checked by check --deploy, rotated."""

from __future__ import annotations

import stat
from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from coalition.ledger import checks, signing


def _run(*args: str) -> str:
    out = StringIO()
    call_command("signing_key", *args, stdout=out)
    return out.getvalue()


def test_create_makes_a_private_minisign_key_once(settings, tmp_path):
    settings.SIGNING_KEY_FILE = tmp_path / "var" / "signing.key"

    made = _run("create")
    again = _run("create")

    key = signing.signing_key()
    assert f"Created signing key {key.public.key_id_text}" in made
    assert key.public.file_text() in made
    assert f"Signing key {key.public.key_id_text} already in" in again
    assert stat.S_IMODE(settings.SIGNING_KEY_FILE.stat().st_mode) == 0o600
    assert settings.SIGNING_KEY_FILE.read_text().startswith("untrusted comment: ")
    assert _run("show") == key.public.file_text()


def test_force_replaces_the_key_and_says_what_to_keep_of_the_old_one(settings, tmp_path):
    settings.SIGNING_KEY_FILE = tmp_path / "signing.key"
    _run("create")
    old = signing.signing_key().public

    out = _run("create", "--force")

    new = signing.signing_key().public
    assert new.key_id != old.key_id
    assert f"The previous key was {old.key_id_text}" in out
    assert old.base64 in out


def test_a_damaged_key_file_is_refused_not_replaced_silently(settings, tmp_path):
    settings.SIGNING_KEY_FILE = tmp_path / "signing.key"
    settings.SIGNING_KEY_FILE.write_text("untrusted comment: x\nnot base64!\n")

    with pytest.raises(CommandError, match="not a usable key"):
        _run("create")
    with pytest.raises(signing.SigningKeyMissing, match="not base64"):
        signing.signing_key()


def test_an_encrypted_minisign_key_is_refused_with_a_reason(settings, tmp_path):
    import base64

    blob = bytearray(
        base64.b64decode(signing.secret_key_file_text(signing.secret_key_new()).splitlines()[1])
    )
    blob[2:4] = b"Sc"  # scrypt: a password protects it
    settings.SIGNING_KEY_FILE = tmp_path / "signing.key"
    settings.SIGNING_KEY_FILE.write_text(
        f"untrusted comment: x\n{base64.b64encode(blob).decode()}\n"
    )

    with pytest.raises(signing.SigningKeyMissing, match="encrypted with a password"):
        signing.signing_key()


def test_check_deploy_warns_without_a_key_and_is_quiet_with_one(settings, tmp_path):
    assert checks.signing_key_check() == []

    settings.SIGNING_KEY_FILE = tmp_path / "missing.key"
    [warning] = checks.signing_key_check()

    assert warning.id == "coalition.W101"
    assert "manage.py signing_key create" in warning.msg
