"""``manage.py worker``: the one process that does the site's background work (see
``coalition.jobs.tasks``). Deployments start it by this name."""

from __future__ import annotations

import logging
import signal
import threading

from django.conf import settings
from django.core.management import BaseCommand

from coalition.jobs import tasks

logger = logging.getLogger("coalition.jobs.tasks")


class Command(BaseCommand):
    help = (
        "Do the background work the site records (mail, purges, domain checks) and what a "
        "moment calls for (a campaign's launch): poll for due jobs, do them, retry "
        "failures with a growing delay. Runs until SIGTERM or Ctrl-C, finishing the job under "
        "way; with --once it does what is due and exits (for cron)."
    )

    def add_arguments(self, parser) -> None:
        parser.add_argument("--once", action="store_true", help="Do what is due now, then exit.")
        parser.add_argument(
            "--interval",
            type=float,
            default=None,
            help="Seconds between looks for due jobs when idle (default: WORKER_POLL_SECONDS).",
        )

    def handle(self, *args, once: bool, interval: float | None, **options) -> None:
        interval = settings.WORKER_POLL_SECONDS if interval is None else interval
        stop = threading.Event()
        previous = self._stop_on_signals(stop)
        names = ", ".join(queue.name for queue in tasks.queues())
        if not once:
            logger.info("Worker started (queues: %s; polling every %ss)", names, interval)
        try:
            totals = tasks.work(interval=interval, stop=stop, once=once)
        finally:
            for signum, handler in previous.items():
                signal.signal(signum, handler)
        if once:
            for name, tally in totals.by_queue.items():
                self.stdout.write(
                    f"{name}: {tally.done} done, {tally.failed} failed (will be retried)."
                )
        else:
            logger.info("Worker stopped")

    def _stop_on_signals(self, stop: threading.Event) -> dict[int, object]:
        """SIGTERM (systemd, ``make run``) and SIGINT ask the loop to stop after the job under
        way, instead of killing it halfway through an SMTP conversation."""
        if threading.current_thread() is not threading.main_thread():
            return {}  # only the main thread may handle signals (call_command from a thread)

        def request_stop(signum: int, frame: object) -> None:
            logger.info("Worker: %s, stopping after the job under way", signal.Signals(signum).name)
            stop.set()

        return {
            signum: signal.signal(signum, request_stop)
            for signum in (signal.SIGTERM, signal.SIGINT)
        }
