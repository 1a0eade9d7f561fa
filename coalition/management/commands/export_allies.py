from __future__ import annotations

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coalition.endorsements import crm_export
from coalition.models import Campaign


class Command(BaseCommand):
    help = (
        "Export a campaign's approved allies with their contacts, consents and sources for a "
        "CRM, as the workspace's export does (docs/crm-export.md): CSV to standard output, or "
        "XLSX to a file. The file holds personal data; the export is written in the team's "
        "history."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--campaign", required=True, help="The campaign's slug.")
        parser.add_argument(
            "--format",
            dest="file_format",
            choices=list(crm_export.FORMATS),
            default=crm_export.DEFAULT_FORMAT,
            help="Whose column names: %(choices)s (default: %(default)s).",
        )
        parser.add_argument(
            "--xlsx", metavar="FILE", help="Write an XLSX workbook to FILE instead of CSV."
        )

    def handle(self, *args, **options) -> None:
        try:
            campaign = Campaign.objects.get(slug=options["campaign"])
        except Campaign.DoesNotExist:
            raise CommandError(f"There is no campaign {options['campaign']!r}.") from None
        file_format = options["file_format"]
        kind = "xlsx" if options["xlsx"] else "csv"
        crm_export.crm_export_record(
            campaign=campaign,
            by=None,
            file_format=file_format,
            kind=kind,
            count=crm_export.allies_for_export(campaign).count(),
            via="manage.py",
        )
        if options["xlsx"]:
            Path(options["xlsx"]).write_bytes(crm_export.xlsx_bytes(campaign, file_format))
            return
        # Each line ends in \r\n as RFC 4180 says: written as it is, nothing appended.
        for line in crm_export.csv_lines(campaign, file_format):
            self.stdout.write(line, ending="")
