"""``manage.py import_allies --campaign SLUG FILE.csv [--logos DIR] [--dry-run] [--valid-only]
[--attest NOTE]``: the allies who already signed, from a shell (issue 22).

Prints the report row by row; exits 2 with it when a row is invalid (unless ``--valid-only``);
else stores the import and does the work itself, with the worker's own function
(``coalition.imports.services.ally_import_run``), printing its progress and a summary.
"""

from __future__ import annotations

import time
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError, CommandParser

from coalition.errors import ServiceError
from coalition.imports import report as reports
from coalition.imports import services
from coalition.models import Campaign

ACTIONS = {reports.CREATE: "create", reports.SKIP: "skip", reports.INVALID: "INVALID"}


def _cut(text: str, width: int) -> str:
    text = " ".join(str(text).split())
    return text if len(text) <= width else text[: width - 1] + "…"


def report_table(report: list[dict]) -> list[str]:
    """The report as a plain table: line, action, organization, then each problem and match."""
    lines = [f"{'line':>5}  {'action':<8} {'organization':<40} website", "-" * 90]
    for row in report:
        lines.append(
            f"{row['line']:>5}  {ACTIONS[row['action']]:<8} {_cut(row['name'], 40):<40} "
            f"{_cut(row['website'], 40)}"
        )
        for problem in row["problems"]:
            lines.append(f"{'':>15}✗ {problem['column']}: {problem['message']}")
        for match in row["matches"]:
            lines.append(f"{'':>15}≈ {match}")
        if row.get("outcome") not in (None, "created"):
            lines.append(f"{'':>15}→ {row['outcome']}")
    return lines


class Command(BaseCommand):
    help = (
        "Import the allies who already signed into a campaign from a CSV (columns: name, "
        "website, country, sector, contact_email, contact_name, language, statement, logo). "
        "Prints the report; exits 2 when rows are invalid, unless --valid-only."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", type=Path, help="The CSV file (UTF-8).")
        parser.add_argument("--campaign", required=True, help="The campaign's slug.")
        parser.add_argument("--logos", type=Path, help="The folder holding the logo files.")
        parser.add_argument(
            "--dry-run", action="store_true", help="Print the report and write nothing."
        )
        parser.add_argument(
            "--valid-only", action="store_true", help="Import the valid rows, skip the others."
        )
        parser.add_argument(
            "--attest",
            metavar="NOTE",
            default="",
            help="Attest that the organizations signed by other means (how): approved at once.",
        )

    def handle(self, *args, **options) -> None:
        campaign = Campaign.objects.filter(slug=options["campaign"]).first()
        if campaign is None:
            raise CommandError(f"No campaign with the slug {options['campaign']!r}.")
        path: Path = options["file"]
        if not path.is_file():
            raise CommandError(f"{path} is not a file.")
        if path.stat().st_size > services.parsing.MAX_CSV_BYTES:
            raise CommandError(
                f"{path} is larger than {services.parsing.MAX_CSV_BYTES // (1024 * 1024)} MB."
            )
        started = time.monotonic()
        try:
            ally_import = services.ally_import_report(
                campaign=campaign,
                by=None,
                file_name=path.name,
                data=path.read_bytes(),
                folder=options["logos"],
                save=False,  # stored below only when it goes ahead
            )
        except ServiceError as error:
            raise CommandError(str(error)) from None
        checked = time.monotonic() - started
        self.stdout.write("\n".join(report_table(ally_import.report)))
        tally = reports.counts(ally_import.report)
        self.stdout.write(
            f"\n{tally['total']} rows: {tally['create']} to create, {tally['skip']} already here, "
            f"{tally['invalid']} invalid (checked in {checked:.1f} s)."
        )
        if tally["invalid"] and not options["valid_only"]:
            self.stderr.write("Invalid rows: nothing imported. Correct them or pass --valid-only.")
            raise SystemExit(2)
        if options["dry_run"]:
            self.stdout.write("Dry run: nothing written.")
            return
        ally_import.save()
        try:
            services.ally_import_start(
                ally_import=ally_import,
                by=None,
                valid_only=options["valid_only"],
                attestation=options["attest"],
                queue=False,
            )
        except ServiceError as error:
            raise CommandError(str(error)) from None
        source = services.logo_source(folder=options["logos"])
        began = time.monotonic()

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total} rows imported")

        ally_import = services.ally_import_run(
            ally_import=ally_import, source=source, progress=progress
        )
        elapsed = time.monotonic() - began
        outcomes = [row.get("outcome") for row in ally_import.report if "outcome" in row]
        created = outcomes.count("created")
        failed = [
            row
            for row in ally_import.report
            if row.get("outcome") not in (None, "created", "skipped")
        ]
        for row in failed:
            self.stdout.write(f"  line {row['line']}: {row['outcome']}")
        self.stdout.write(
            f"Imported {created} allies into {campaign.slug} in {elapsed:.1f} s "
            f"({outcomes.count('skipped')} already there, {len(failed)} failed); "
            + (
                "approved at once (attested)."
                if ally_import.attested
                else "their contacts are mailed to confirm."
            )
        )
