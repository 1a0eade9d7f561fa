from __future__ import annotations

from django.core.management.base import BaseCommand

from coalition import services


class Command(BaseCommand):
    help = (
        "Delete unconfirmed applications, sent mail, done cache purges and webhook deliveries "
        "after "
        "RETENTION_UNCONFIRMED_DAYS, and erase the contact details, the link that brought them "
        "(and rejected logos) of ended applications after "
        "RETENTION_PERSONAL_DATA_DAYS. Meant to run once a day."
    )

    def handle(self, *args, **options) -> None:
        report = services.retention_apply()
        self.stdout.write(
            f"Retention: {report.unconfirmed_deleted} unconfirmed applications deleted, "
            f"{report.personal_data_erased} contacts erased, {report.logos_deleted} logos "
            f"deleted, {report.sent_mail_deleted} sent emails deleted, "
            f"{report.purges_deleted} done cache purges deleted, "
            f"{report.webhook_deliveries_deleted} done webhook deliveries deleted."
        )
