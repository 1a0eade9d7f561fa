from __future__ import annotations

import time

from django.core.management import BaseCommand

from coalition import emails


class Command(BaseCommand):
    help = (
        "Send the mail waiting in the outbox, retrying what the mail server refused earlier. "
        "Run it with --loop as a worker in production, or from cron every minute."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Keep running, draining the outbox every interval."
        )
        parser.add_argument(
            "--interval", type=float, default=30.0, help="Seconds between passes with --loop."
        )

    def handle(self, *args, loop: bool, interval: float, **options) -> None:
        while True:
            sent, failed = emails.deliver()
            if sent or failed or not loop:
                self.stdout.write(f"Outbox: {sent} sent, {failed} failed (will retry).")
            if not loop:
                return
            time.sleep(interval)
