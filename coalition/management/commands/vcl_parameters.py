from __future__ import annotations

from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from coalition.web import public_parameters


class Command(BaseCommand):
    help = (
        "Write the GET parameters each public page reads (coalition/web/public_parameters.py) "
        "into the VCL, between its BEGIN and END lines; with --check, only fail if it differs."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--vcl",
            type=Path,
            default=Path(settings.BASE_DIR) / "deploy" / "varnish" / "default.vcl",
            help="The VCL file (default: deploy/varnish/default.vcl).",
        )
        parser.add_argument(
            "--check", action="store_true", help="Change nothing; fail if the VCL is out of date."
        )

    def handle(self, *args, vcl: Path, check: bool, **options) -> None:
        current = vcl.read_text()
        try:
            wanted = public_parameters.vcl_with_block(current)
        except ValueError as error:
            raise CommandError(f"{vcl}: {error}") from None
        if wanted == current:
            self.stdout.write(f"{vcl}: up to date")
        elif check:
            raise CommandError(
                f"{vcl} does not read the parameters the app reads: run "
                "`manage.py vcl_parameters` and commit the VCL."
            )
        else:
            vcl.write_text(wanted)
            self.stdout.write(f"{vcl}: written")
