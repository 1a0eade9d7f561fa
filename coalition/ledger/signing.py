"""The registry's signing key, and signatures in minisign's format (Ed25519).

Anyone checks a signature with Debian's ``minisign`` (``minisign -V -p key.pub -m file``) or
with ``verify`` here; ``docs/verification.md`` says how, and how the key is rotated.

Formats (https://jedisct1.github.io/minisign/):

- **Public key file** (``/.well-known/coalition-registry.pub``): a line ``untrusted comment: …``
  and the base64 of ``"Ed" || key id (8 bytes) || Ed25519 public key (32 bytes)``.
- **Secret key file** (``SIGNING_KEY_FILE``): minisign's own, unencrypted (as ``minisign -G
  -W`` writes it), so the same file also works with the ``minisign`` tool: the base64 of
  ``"Ed" || kdf "\\0\\0" || checksum "B2" || salt (32) || opslimit (8) || memlimit (8) || key
  id (8) || secret key (64: seed || public key) || BLAKE2b-256 of "Ed" || key id || secret
  key (32)``. An encrypted key (minisign's default) is refused with a clear message.
- **Signature file** (``.minisig``): ``untrusted comment: …``, the base64 of ``"ED" || key id ||
  Ed25519 signature of the file's BLAKE2b-512`` (the prehashed form minisign makes by
  default since 0.11), ``trusted comment: …``, and the base64 of the Ed25519 signature of
  the 64 signature bytes followed by the trusted comment's text.

The key id is shown as minisign shows it: the 8 bytes read as a little-endian number, in 16
uppercase hex digits.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
from django.conf import settings

LEGACY_ALGORITHM = b"Ed"  # the key's algorithm, and a signature of the file itself
PREHASHED_ALGORITHM = b"ED"  # a signature of the file's BLAKE2b-512
KDF_NONE = b"\0\0"
CHECKSUM_ALGORITHM = b"B2"
UNTRUSTED = "untrusted comment: "
TRUSTED = "trusted comment: "


class SigningKeyMissing(RuntimeError):
    """``SIGNING_KEY_FILE`` names no readable key: nothing can be signed until one is made
    (``manage.py signing_key create``)."""


class SignatureInvalid(ValueError):
    """A signature or a key file that does not check; the message says why."""


@dataclass(frozen=True)
class PublicKey:
    key_id: bytes  # 8 bytes, as stored in the files
    raw: bytes  # 32 bytes

    @property
    def key_id_text(self) -> str:
        return key_id_text(self.key_id)

    def file_text(self, comment: str | None = None) -> str:
        comment = comment or f"minisign public key {self.key_id_text}"
        blob = base64.b64encode(LEGACY_ALGORITHM + self.key_id + self.raw).decode()
        return f"{UNTRUSTED}{comment}\n{blob}\n"

    @property
    def base64(self) -> str:
        """The public key line of the file (what ``minisign -P`` takes)."""
        return base64.b64encode(LEGACY_ALGORITHM + self.key_id + self.raw).decode()


@dataclass(frozen=True)
class SecretKey:
    key_id: bytes
    private: Ed25519PrivateKey

    @property
    def public(self) -> PublicKey:
        raw = self.private.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
        return PublicKey(key_id=self.key_id, raw=raw)


def key_id_text(key_id: bytes) -> str:
    return key_id[::-1].hex().upper()


def _checksum(key_id: bytes, secret64: bytes) -> bytes:
    return hashlib.blake2b(LEGACY_ALGORITHM + key_id + secret64, digest_size=32).digest()


def secret_key_new() -> SecretKey:
    return SecretKey(key_id=secrets.token_bytes(8), private=Ed25519PrivateKey.generate())


def secret_key_file_text(key: SecretKey) -> str:
    """``key`` as minisign's unencrypted secret key file."""
    seed = key.private.private_bytes_raw()
    secret64 = seed + key.public.raw
    blob = (
        LEGACY_ALGORITHM
        + KDF_NONE
        + CHECKSUM_ALGORITHM
        + bytes(32)  # salt, unused without a KDF
        + bytes(8)  # opslimit
        + bytes(8)  # memlimit
        + key.key_id
        + secret64
        + _checksum(key.key_id, secret64)
    )
    return f"{UNTRUSTED}minisign secret key\n{base64.b64encode(blob).decode()}\n"


def _base64_line(text: str, what: str) -> bytes:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    if len(lines) < 2 or not lines[0].startswith(UNTRUSTED):
        raise SignatureInvalid(f"{what}: expected an 'untrusted comment:' line and a key line")
    try:
        return base64.b64decode(lines[1], validate=True)
    except binascii.Error as error:
        raise SignatureInvalid(f"{what}: the key line is not base64") from error


def secret_key_parse(text: str) -> SecretKey:
    blob = _base64_line(text, "secret key file")
    if len(blob) != 2 + 2 + 2 + 32 + 8 + 8 + 8 + 64 + 32:
        raise SignatureInvalid("secret key file: wrong length for a minisign secret key")
    if blob[:2] != LEGACY_ALGORITHM or blob[4:6] != CHECKSUM_ALGORITHM:
        raise SignatureInvalid("secret key file: not an Ed25519 minisign secret key")
    if blob[2:4] != KDF_NONE:
        raise SignatureInvalid(
            "secret key file: the key is encrypted with a password; the registry signs "
            "unattended and needs an unencrypted key (manage.py signing_key create, or "
            "minisign -G -W)"
        )
    key_id, secret64, checksum = blob[54:62], blob[62:126], blob[126:158]
    if _checksum(key_id, secret64) != checksum:
        raise SignatureInvalid("secret key file: checksum mismatch (damaged file)")
    private = Ed25519PrivateKey.from_private_bytes(secret64[:32])
    key = SecretKey(key_id=key_id, private=private)
    if key.public.raw != secret64[32:]:
        raise SignatureInvalid("secret key file: the public half does not match the seed")
    return key


def public_key_parse(text: str) -> PublicKey:
    """A minisign public key file (or its one base64 line)."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    line = next((line for line in lines if not line.startswith(UNTRUSTED)), "")
    try:
        blob = base64.b64decode(line, validate=True)
    except binascii.Error as error:
        raise SignatureInvalid("public key: not base64") from error
    if len(blob) != 42 or blob[:2] != LEGACY_ALGORITHM:
        raise SignatureInvalid("public key: not an Ed25519 minisign public key")
    return PublicKey(key_id=blob[2:10], raw=blob[10:])


def public_keys_parse(text: str) -> list[PublicKey]:
    """Every public key in ``text``: a file may list several (the well-known file lists the
    current key first, then retired ones)."""
    keys = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith(UNTRUSTED) and not line.startswith("#"):
            keys.append(public_key_parse(line))
    return keys


# The key of this server.


@lru_cache(maxsize=4)
def _load(path: str, mtime_ns: int) -> SecretKey:
    return secret_key_parse(Path(path).read_text(encoding="ascii"))


def signing_key() -> SecretKey:
    """The secret key in ``settings.SIGNING_KEY_FILE``; raises ``SigningKeyMissing`` when the
    file is missing or unreadable. Read again when the file changes (a rotation)."""
    path = str(settings.SIGNING_KEY_FILE)
    try:
        mtime = os.stat(path).st_mtime_ns
        return _load(path, mtime)
    except (OSError, UnicodeDecodeError, SignatureInvalid) as error:
        raise SigningKeyMissing(
            f"No usable signing key in SIGNING_KEY_FILE ({path}): {error}. "
            "Create one with: manage.py signing_key create"
        ) from error


def signing_key_write(path: Path, key: SecretKey) -> None:
    """Write ``key`` to ``path``, readable by its owner only."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as file:
        file.write(secret_key_file_text(key))


def old_public_keys() -> list[PublicKey]:
    """Retired public keys (``SIGNING_OLD_PUBLIC_KEYS``, a file of minisign public key lines):
    listed in the well-known file so that signatures made with them keep verifying."""
    path = settings.SIGNING_OLD_PUBLIC_KEYS
    if not path:
        return []
    try:
        return public_keys_parse(Path(path).read_text(encoding="ascii"))
    except (OSError, UnicodeDecodeError, SignatureInvalid):
        return []


def public_key_text() -> str:
    """The minisign public key file of the current key."""
    return signing_key().public.file_text()


def well_known_text() -> str:
    """``/.well-known/coalition-registry.pub``: the current key as a minisign public key file
    (its first two lines, which ``minisign -p`` reads), then each retired key as a comment and
    a key line."""
    current = signing_key().public
    text = current.file_text(f"minisign public key {current.key_id_text} (current)")
    for old in old_public_keys():
        if old.key_id != current.key_id:
            text += f"{UNTRUSTED}retired minisign public key {old.key_id_text}\n{old.base64}\n"
    return text


def key_id() -> str:
    """The current key's id as minisign displays it (16 uppercase hex digits)."""
    return signing_key().public.key_id_text


def key_fingerprint() -> str:
    """What the letter prints: the key id and the base64 public key line."""
    public = signing_key().public
    return f"{public.key_id_text} {public.base64}"


def sign(data: bytes, *, trusted_comment: str = "", key: SecretKey | None = None) -> str:
    """The ``.minisig`` file text of ``data``. ``trusted_comment`` is one line (newlines
    become spaces), covered by the global signature."""
    key = key or signing_key()
    trusted_comment = " ".join(trusted_comment.split()) or "signed by coalition registry"
    signature = key.private.sign(hashlib.blake2b(data, digest_size=64).digest())
    global_signature = key.private.sign(signature + trusted_comment.encode())
    line = base64.b64encode(PREHASHED_ALGORITHM + key.key_id + signature).decode()
    return (
        f"{UNTRUSTED}signature from coalition registry secret key {key.public.key_id_text}\n"
        f"{line}\n{TRUSTED}{trusted_comment}\n{base64.b64encode(global_signature).decode()}\n"
    )


@dataclass(frozen=True)
class Verified:
    key_id: str
    trusted_comment: str


def verify(data: bytes, signature_text: str, public: PublicKey) -> Verified:
    """Check ``signature_text`` (a ``.minisig`` file) over ``data`` with ``public``, as
    ``minisign -V`` does: the key id, the signature (prehashed or legacy), and the global
    signature over the trusted comment. Raises ``SignatureInvalid`` saying which failed."""
    lines = signature_text.splitlines()
    if len(lines) < 4 or not lines[0].startswith(UNTRUSTED) or not lines[2].startswith(TRUSTED):
        raise SignatureInvalid("signature file: not in minisign's four-line format")
    try:
        blob = base64.b64decode(lines[1].strip(), validate=True)
        global_signature = base64.b64decode(lines[3].strip(), validate=True)
    except binascii.Error as error:
        raise SignatureInvalid("signature file: not base64") from error
    if len(blob) != 74 or blob[:2] not in (PREHASHED_ALGORITHM, LEGACY_ALGORITHM):
        raise SignatureInvalid("signature file: unknown signature algorithm")
    algorithm, signed_by, signature = blob[:2], blob[2:10], blob[10:]
    if signed_by != public.key_id:
        raise SignatureInvalid(
            f"signature made with key {key_id_text(signed_by)}, "
            f"not with the public key {public.key_id_text}"
        )
    message = (
        hashlib.blake2b(data, digest_size=64).digest() if algorithm == PREHASHED_ALGORITHM else data
    )
    verifier = Ed25519PublicKey.from_public_bytes(public.raw)
    try:
        verifier.verify(signature, message)
    except InvalidSignature as error:
        raise SignatureInvalid("signature verification failed: the file was altered") from error
    trusted_comment = lines[2][len(TRUSTED) :]
    try:
        verifier.verify(global_signature, signature + trusted_comment.encode())
    except InvalidSignature as error:
        raise SignatureInvalid("the trusted comment was altered") from error
    return Verified(key_id=public.key_id_text, trusted_comment=trusted_comment)
