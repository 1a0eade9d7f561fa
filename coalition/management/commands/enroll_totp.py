from __future__ import annotations

import io
from base64 import b32encode

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import transaction
from django_otp.plugins.otp_totp.models import TOTPDevice


def terminal_qr(data: str) -> str | None:
    """``data`` as a QR code drawn with characters, or None without the ``qrcode`` package."""
    try:
        import qrcode
    except ModuleNotFoundError:
        return None
    code = qrcode.QRCode(border=2)
    code.add_data(data)
    out = io.StringIO()
    code.print_ascii(out=out, invert=True)
    return out.getvalue()


class Command(BaseCommand):
    help = (
        "Give a staff member an authenticator (TOTP) device for two-factor sign-in: prints the "
        "otpauth:// link and a QR code to scan with an authenticator app. Hand them over in "
        "person or over a trusted channel; whoever has them can make the codes."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("username")
        parser.add_argument(
            "--replace",
            action="store_true",
            help="Delete the user's existing TOTP devices first (a lost or new phone).",
        )
        parser.add_argument("--name", default="authenticator", help="The device's name.")

    def handle(self, *args, **options) -> None:
        User = get_user_model()
        try:
            user = User.objects.get_by_natural_key(options["username"])
        except User.DoesNotExist:
            raise CommandError(f"There is no user {options['username']!r}.") from None
        if not user.is_staff:
            raise CommandError(
                f"{user.get_username()!r} is not staff: only staff sign in to the admin."
            )
        existing = TOTPDevice.objects.devices_for_user(user, confirmed=None)
        if existing.exists() and not options["replace"]:
            raise CommandError(
                f"{user.get_username()!r} already has a TOTP device; "
                "run again with --replace to replace it."
            )
        with transaction.atomic():
            existing.delete()
            device = TOTPDevice.objects.create(user=user, name=options["name"], confirmed=True)

        url = device.config_url
        self.stdout.write(f"TOTP device created for {user.get_username()!r}.")
        self.stdout.write("Add it to an authenticator app with this link or the QR code below:")
        self.stdout.write(url)
        self.stdout.write(f"Or type the key by hand: {b32encode(device.bin_key).decode()}")
        qr = terminal_qr(url)
        if qr:
            self.stdout.write(qr)
        self.stdout.write("Then sign in at /admin/ with the password and the app's six-digit code.")
