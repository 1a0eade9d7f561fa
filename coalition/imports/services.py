"""Importing the allies who already signed: the writes.

``ally_import_report`` reads the files and stores the import with its report (nothing else is
written: a dry run stops there); ``ally_import_start`` is the owner's go, refused while a row is
invalid unless they chose to import the valid rows, and queues the worker's job;
``ally_import_run`` is that job (``coalition.imports.tasks``, or in-process for the command): each
row to create becomes an application of the campaign through ``endorsement_import``, its logo
through the pipeline, its contact's mail through the outbox.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.core.files import File
from django.db import transaction
from django.db.models import Q
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from coalition.campaigns.models import TeamEvent
from coalition.endorsements.mail import queue_applicant_mail
from coalition.endorsements.models import statement_fields
from coalition.endorsements.services import endorsement_attest
from coalition.errors import ServiceError
from coalition.images import logos
from coalition.imports import parsing
from coalition.imports import report as reports
from coalition.imports.models import AllyImport
from coalition.models import (
    Campaign,
    Endorsement,
    Organization,
    OrganizationVersion,
    Sector,
)
from coalition.privacy.selectors import privacy_notice_version
from coalition.reviewing.services import evidence_refresh

logger = logging.getLogger(__name__)

State = AllyImport.State
# Progress is written every this many rows: the status page reads it, the rows don't wait on it.
PROGRESS_EVERY = 25


class ImportRefused(ServiceError):
    """An import that cannot start (or run) as asked."""


# The report ------------------------------------------------------------------------------


def logo_source(
    *, archive: IO[bytes] | None = None, folder: Path | None = None
) -> parsing.LogoSource:
    """Where the logos are: a ZIP, a folder, or nowhere."""
    if archive is not None:
        return parsing.open_zip(archive, size=getattr(archive, "size", None))
    if folder is not None:
        return parsing.FolderLogos(folder)
    return parsing.NoLogos()


def ally_import_report(
    *,
    campaign: Campaign,
    by: AbstractBaseUser | None,
    file_name: str,
    data: bytes,
    archive: IO[bytes] | None = None,
    folder: Path | None = None,
    save: bool = True,
) -> AllyImport:
    """Read the CSV (and the logos), check every row, and store the import with its report,
    ``REPORTED``: nothing else is written. With ``save=False`` (a dry run) not even that.

    Raises ``parsing.ImportFileError`` for a file that cannot be read as an import at all."""
    rows = parsing.parse(parsing.decode(data))
    source = logo_source(archive=archive, folder=folder)
    report = reports.build(campaign=campaign, rows=rows, source=source)
    tally = reports.counts(report)
    ally_import = AllyImport(
        campaign=campaign,
        created_by=by,
        file_name=Path(file_name).name[:255],
        csv_text=data.decode("utf-8-sig"),
        report=report,
        rows_total=tally["total"],
        rows_valid=tally["valid"],
    )
    if save:
        if archive is not None:
            archive.seek(0)
            ally_import.logos_archive.save("logos.zip", File(archive), save=False)
        ally_import.save()
    return ally_import


# Starting --------------------------------------------------------------------------------


def ally_import_start(
    *,
    ally_import: AllyImport,
    by: AbstractBaseUser | None,
    valid_only: bool = False,
    attestation: str = "",
    queue: bool = True,
) -> AllyImport:
    """The owner's go: refused while a row is invalid unless ``valid_only``; ``attestation``
    (their note that the organizations signed by other means) approves the rows at once.

    Writes the team's audit row and, with ``queue``, the worker's job; the command, which does
    the work itself, passes ``queue=False`` and calls ``ally_import_run``."""
    attestation = attestation.strip()
    with transaction.atomic():
        locked = AllyImport.objects.select_for_update().get(pk=ally_import.pk)
        if locked.state != State.REPORTED:
            raise ImportRefused(
                _("This import has already been started (%(state)s).")
                % {"state": locked.get_state_display()}
            )
        invalid = reports.counts(locked.report)[reports.INVALID]
        if invalid and not valid_only:
            raise ImportRefused(
                ngettext(
                    "%(count)s row is invalid: correct the file, or import the valid rows only.",
                    "%(count)s rows are invalid: correct the file, or import the valid rows only.",
                    invalid,
                )
                % {"count": invalid}
            )
        locked.state = State.QUEUED
        locked.valid_only = valid_only
        locked.attested = bool(attestation)
        locked.attestation_note = attestation
        locked.save(update_fields=["state", "valid_only", "attested", "attestation_note"])
        to_create = reports.counts(locked.report)[reports.CREATE]
        TeamEvent.objects.create(
            campaign=locked.campaign,
            action=TeamEvent.Action.IMPORTED,
            by=by,
            note=(
                f"{locked.file_name}: {to_create} of {locked.rows_total} rows"
                + (", valid rows only" if valid_only else "")
                + (f"; attested: {attestation}" if attestation else "")
            ),
        )
        if queue:
            from coalition.imports import tasks  # the queue's module imports this one

            tasks.job_record(ally_import=locked)
    return locked


# Running ---------------------------------------------------------------------------------


def endorsement_import(
    *,
    campaign: Campaign,
    ally_import: AllyImport,
    data: dict[str, Any],
    logo: logos.ProcessedLogo,
) -> Endorsement:
    """One row of an import as an application of ``campaign``, unconfirmed, with its contact's
    mail (``imported``: confirm, or say it wasn't you) queued unless the import is attested."""
    stored_logo = logos.logo_store(logo)
    with translation.override(data["language"]):
        statements = statement_fields(data["statement"])
    with transaction.atomic():
        organization = Organization.objects.create(
            name=data["name"],
            website=data["website"],
            country=data["country"],
            sector=Sector.objects.get(pk=data["sector"]),
            logo=stored_logo,
            registry_id=data.get("registry_id", ""),
            **statements,
        )
        OrganizationVersion.objects.create(
            organization=organization,
            state=OrganizationVersion.State.CURRENT,
            website=organization.website,
            logo=stored_logo,
            **statements,
        )
        endorsement = Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Endorsement.Status.UNCONFIRMED,
            contact_name=data["contact_name"],
            contact_email=data["contact_email"],
            preferred_language=data["language"],
            privacy_notice_version=privacy_notice_version(),
            domain_verified=bool(data.get("domain_verified")),
            source={"ref": "import"},
            imported_in=ally_import,
        )
        evidence_refresh(endorsement=endorsement)
        if not ally_import.attested:
            queue_applicant_mail(template="imported", endorsement=endorsement)
    return endorsement


def _already_here(campaign: Campaign, domain: str) -> bool:
    """A row the import made before (a retried job) or that applied meanwhile: not made again."""
    return (
        Endorsement.objects.filter(campaign=campaign, organization__domain=domain)
        .filter(Q(status__in=Endorsement.LIVE_STATUSES) | Q(imported_in__isnull=False))
        .exists()
    )


def _import_row(ally_import: AllyImport, row: dict[str, Any], source: parsing.LogoSource) -> str:
    """One row: "created", "skipped" (already here) or the message of why it failed."""
    data = row["data"]
    campaign = ally_import.campaign
    if _already_here(campaign, data["domain"]):
        return "skipped"
    raw = source.read(data["logo"])
    if raw is None:
        return _("There is no file named %(name)s among the logos.") % {"name": data["logo"]}
    try:
        processed = logos.process(logos.validate_and_open(io.BytesIO(raw)))
    except ValidationError as error:
        return " ".join(error.messages)
    endorsement = endorsement_import(
        campaign=campaign, ally_import=ally_import, data=data, logo=processed
    )
    if ally_import.attested:
        endorsement_attest(
            endorsement=endorsement, by=ally_import.created_by, note=ally_import.attestation_note
        )
        queue_applicant_mail(template="imported-attested", endorsement=endorsement)
    return "created"


def ally_import_run(
    *,
    ally_import: AllyImport,
    source: parsing.LogoSource | None = None,
    progress: Callable[[int, int], None] | None = None,
    limit: int | None = None,
) -> AllyImport:
    """Create the rows of a started import (the worker's job, or the command's own work): all
    of them, or the next ``limit`` (the worker's jobs take turns with the mail that way). The
    import stays ``RUNNING`` while rows remain, and is ``DONE`` after the last.

    Each row in a transaction of its own, so that a failure mid-way keeps what was made and a
    retried job skips it (``_already_here``). Each row's outcome is written to the report, which
    is what the next batch continues from; ``rows_done`` moves on every ``PROGRESS_EVERY`` rows,
    and ``progress(done, total)`` is told too."""
    AllyImport.objects.filter(pk=ally_import.pk, state=State.QUEUED).update(
        state=State.RUNNING, started_at=timezone.now()
    )
    ally_import.refresh_from_db()
    if ally_import.state != State.RUNNING:
        return ally_import
    opened = None
    if source is None:
        if ally_import.logos_archive:
            opened = ally_import.logos_archive.open("rb")
            source = parsing.open_zip(opened)
        else:
            source = parsing.NoLogos()
    report = list(ally_import.report)
    rows = [row for row in report if row["action"] == reports.CREATE]
    todo = [row for row in rows if "outcome" not in row][:limit]
    done = len(rows) - len([row for row in rows if "outcome" not in row])
    try:
        for row in todo:
            try:
                row["outcome"] = _import_row(ally_import, row, source)
            except ServiceError as error:
                row["outcome"] = str(error)
            done += 1
            if done % PROGRESS_EVERY == 0 or done == len(rows):
                AllyImport.objects.filter(pk=ally_import.pk).update(rows_done=done)
                if progress is not None:
                    progress(done, len(rows))
    except Exception as error:
        AllyImport.objects.filter(pk=ally_import.pk).update(
            state=State.FAILED,
            report=report,
            rows_done=done,
            finished_at=timezone.now(),
            error=f"{type(error).__name__}: {error}"[:2000],
        )
        raise
    finally:
        if opened is not None:
            opened.close()
    if done < len(rows):
        AllyImport.objects.filter(pk=ally_import.pk).update(report=report, rows_done=done)
        ally_import.refresh_from_db()
        return ally_import
    AllyImport.objects.filter(pk=ally_import.pk).update(
        state=State.DONE,
        report=[_without_contact(row) for row in report],
        rows_done=done,
        finished_at=timezone.now(),
        # The file and the contacts' data in the report were only the way in: the applications
        # hold them now, under their own retention (``coalition.endorsements.retention``).
        csv_text="",
    )
    if ally_import.logos_archive:
        # The logos are stored now; the archive was only their way in.
        ally_import.logos_archive.delete(save=False)
        AllyImport.objects.filter(pk=ally_import.pk).update(logos_archive="")
    ally_import.refresh_from_db()
    return ally_import


def _without_contact(row: dict[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in row.items() if key != "data"}


def ally_import_cancel(*, ally_import: AllyImport) -> AllyImport:
    """Drop a reported import that will not be started (its archive with it)."""
    updated = AllyImport.objects.filter(pk=ally_import.pk, state=State.REPORTED).update(
        state=State.CANCELLED,
        csv_text="",
        report=[_without_contact(row) for row in ally_import.report],
    )
    if not updated:
        raise ImportRefused(_("Only an import that has not started can be cancelled."))
    if ally_import.logos_archive:
        ally_import.logos_archive.delete(save=False)
        AllyImport.objects.filter(pk=ally_import.pk).update(logos_archive="")
    ally_import.refresh_from_db()
    return ally_import
