"""``manage.py send_outbox``: the old name of ``manage.py worker``, kept for existing crontabs
and units."""

from __future__ import annotations

from coalition.management.commands import worker


class Command(worker.Command):
    help = (
        "Old name of 'manage.py worker': does the background work that is due (mail) and exits; "
        "with --loop it keeps running, as 'manage.py worker' does."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--loop", action="store_true", help="Keep running, like 'manage.py worker'."
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between looks for due jobs when idle (default: WORKER_POLL_SECONDS).",
        )

    def handle(self, *args, loop: bool, interval: float | None, **options) -> None:
        super().handle(*args, once=not loop, interval=interval, **options)
