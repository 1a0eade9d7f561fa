from __future__ import annotations

from django.core.management.base import BaseCommand

from coalition.proofs import services as proofs


class Command(BaseCommand):
    help = (
        "Queue a new check of every approved ally proven by a DNS record or a file on its "
        "website (the worker does them), and flag for review those whose proof has been "
        "missing for 7 days. Meant to run once a day."
    )

    def handle(self, *args, **options) -> None:
        queued = proofs.domain_recheck_all()
        self.stdout.write(f"Domain proofs: {queued} checks queued for the worker.")
