"""``manage.py signing_key create [--force]``: make the key that signs the lists of signatories
(``SIGNING_KEY_FILE``); ``manage.py signing_key show``: print its public key file."""

from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management import BaseCommand, CommandError

from coalition.ledger import signing


class Command(BaseCommand):
    help = (
        "create: write a new minisign key to SIGNING_KEY_FILE when none is there (--force: "
        "replace it; see docs/verification.md on rotation). show: print the public key."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("action", choices=["create", "show"])
        parser.add_argument(
            "--force",
            action="store_true",
            help="Replace an existing key. Lists signed before keep verifying only against the "
            "old public key: keep it in SIGNING_OLD_PUBLIC_KEYS.",
        )

    def handle(self, *args, action: str, force: bool, **options) -> None:
        path = Path(settings.SIGNING_KEY_FILE)
        if action == "show":
            try:
                self.stdout.write(signing.public_key_text(), ending="")
            except signing.SigningKeyMissing as error:
                raise CommandError(str(error)) from error
            return
        if path.exists() and not force:
            try:
                current = signing.signing_key()
            except signing.SigningKeyMissing as error:
                raise CommandError(
                    f"{path} exists but is not a usable key: {error}. Use --force to replace it."
                ) from error
            self.stdout.write(
                f"Signing key {current.public.key_id_text} already in {path}; kept "
                "(--force replaces it)."
            )
            return
        old = None
        if path.exists():
            try:
                old = signing.signing_key().public
            except signing.SigningKeyMissing:
                old = None
        key = signing.secret_key_new()
        signing.signing_key_write(path, key)
        self.stdout.write(f"Created signing key {key.public.key_id_text} in {path}.")
        self.stdout.write(key.public.file_text(), ending="")
        if old is not None and old.key_id != key.key_id:
            self.stdout.write(
                f"The previous key was {old.key_id_text}. For lists it signed to keep verifying, "
                "add this line to the file named by SIGNING_OLD_PUBLIC_KEYS:\n"
                f"{old.base64}"
            )
