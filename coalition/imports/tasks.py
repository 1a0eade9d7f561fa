"""The worker's queue of imports: a started import's rows created, their logos processed and
their mail queued by ``manage.py worker``, never in the request that started it.

A job does ``ROWS_PER_JOB`` rows (a second or two) and records the next one for the rest: the
mail and the purges take their turn between them, in the worker's one loop, and a worker that
dies mid-import loses one batch's lease, not the import's."""

from __future__ import annotations

from datetime import timedelta

from coalition.imports.models import AllyImport, AllyImportJob
from coalition.jobs import tasks

# About 50 ms a row with its logo: a batch of this many keeps the mail waiting two seconds at most.
ROWS_PER_JOB = 40


def _perform(job: AllyImportJob) -> None:
    # Imported here: the services import this module to record a job.
    from coalition.imports.services import ally_import_run

    ally_import = ally_import_run(ally_import=job.ally_import, limit=ROWS_PER_JOB)
    if ally_import.state == AllyImport.State.RUNNING:
        job_record(ally_import=ally_import)  # the rest, at the worker's next turn


QUEUE = tasks.register(
    tasks.Queue(
        name="imports",
        model=AllyImportJob,
        perform=_perform,
        done_field="done_at",
        first_backoff=timedelta(seconds=30),
        max_backoff=timedelta(minutes=30),
        # Far longer than a batch takes, or a second worker would start it too.
        lease=timedelta(minutes=10),
        batch=1,
    )
)


def job_record(*, ally_import: AllyImport) -> AllyImportJob:
    """In the transaction that started ``ally_import``: the worker runs it once that commits."""
    job = AllyImportJob.objects.create(ally_import=ally_import)
    tasks.recorded(QUEUE, job)
    return job
