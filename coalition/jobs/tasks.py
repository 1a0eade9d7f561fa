"""Background work: one mechanism for everything a request must not wait for.

A request only records the work: a row written in the same transaction as the change it
follows (``recorded``). ``manage.py worker`` does it: it claims a due row, does the remote work
outside any transaction, records the result, and retries a failure after a growing delay. Mail
is the first kind of work (the outbox, ``coalition.jobs.outbox``); cache purges and domain checks
are
added the same way, as queues of their own.

**Claiming.** In a short transaction the worker picks the oldest due row with ``SELECT … FOR
UPDATE SKIP LOCKED`` (on PostgreSQL two workers pass each other by instead of waiting on one
row) and takes it with a compare-and-set ``UPDATE … WHERE (claimed_until IS NULL OR
claimed_until < now) AND <not done>``: of two workers that picked the same row, one updates it
and the other updates nothing, which is what keeps SQLite (no row locks) safe too. The claim is
a lease (``claimed_until``), committed before the work starts, so no transaction and no row lock
is held while a remote server is slow.

**At least once.** A worker that dies mid-job (killed, machine lost) records nothing: its lease
expires and a later pass does the job again; so does a mail server that took a message and
dropped the connection before saying so. Two live workers never do one job at the same time as
long as the work takes less than the lease (mail: the SMTP timeout is seconds, the lease minutes).

**Waking.** The worker polls every ``WORKER_POLL_SECONDS`` (1 s): one indexed query per queue
over the rows not done, a handful however long the record grows. With
``BACKGROUND_WORK_IMMEDIATE`` (the test suite only) the job just recorded is done in-process
once the transaction commits, through the same claim, perform and record.

**Adding a queue** takes a model, a ``register`` call and one line here:

1. In ``models.py``: ``class CachePurge(QueuedJob)`` with the job's own fields (``url``), a
   done timestamp (``done_at = models.DateTimeField(null=True, blank=True)``) and a partial
   index on the rows not done (as ``OutboundEmail.Meta.indexes``); then ``makemigrations``.
2. In the module that does the work (``coalition/publishing/purges.py``)::

       def _purge(job: CachePurge) -> None:
           ...  # talk to Varnish; raise on failure and the job is retried later

       QUEUE = tasks.register(
           tasks.Queue(
               name="purges", model=CachePurge, perform=_purge, done_field="done_at",
               first_backoff=timedelta(seconds=1), max_backoff=timedelta(minutes=5),
           )
       )

       def purge_record(*, url: str) -> None:
           # In the transaction of the change; the worker purges once it commits.
           tasks.recorded(QUEUE, CachePurge.objects.create(url=url))

3. That module's name in ``QUEUE_MODULES`` below, so that the worker loads it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from importlib import import_module
from typing import Any

from django.conf import settings
from django.db import DatabaseError, connections, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from coalition.models import QueuedJob

logger = logging.getLogger(__name__)

# Modules that register a queue (or a step) when imported: the worker imports them all.
QUEUE_MODULES = (
    "coalition.jobs.outbox",
    "coalition.publishing.purges",
    "coalition.proofs.services",
    "coalition.imports.tasks",
    "coalition.campaigns.dates",
    "coalition.updates.tasks",
    "coalition.webhooks.delivery",
)

# How many due rows one claim looks at: enough to get past those another worker just took.
_CANDIDATES = 5


@dataclass(frozen=True)
class Queue:
    """One kind of background work: where its jobs are stored and how one is done."""

    name: str
    model: type[QueuedJob]
    # Does the remote work for one job, outside any transaction; raises to have it retried.
    perform: Callable[[Any], None]
    # The model's timestamp that stays null until the work succeeded.
    done_field: str = "done_at"
    # The delay after the first failure, doubled after each further one, up to max_backoff.
    first_backoff: timedelta = timedelta(minutes=1)
    max_backoff: timedelta = timedelta(hours=1)
    # Longer than the work can take, or a second worker would start the same job.
    lease: timedelta = timedelta(minutes=5)
    # Jobs done in one pass before the next queue gets its turn.
    batch: int = 20
    # Its jobs wait on servers of other people's, which may be slow: the worker runs it beside
    # the other queues, in the thread the queues so marked share.
    own_thread: bool = False
    # More timestamps that also mean "nothing more to do" (given up, skipped): ``perform`` sets
    # one and returns, and the job is not marked done.
    also_done: tuple[str, ...] = ()
    # How many of its jobs may start now (a rate limit: updates to allies), None for no limit.
    # A job over the budget is simply not claimed yet: neither an attempt nor a failure.
    allowance: Callable[[datetime], int] | None = None

    def pending(self) -> QuerySet:
        """The jobs not done yet, due or not."""
        return self.model.objects.filter(
            **{f"{name}__isnull": True for name in (self.done_field, *self.also_done)}
        )

    def due(self, now: datetime) -> QuerySet:
        """The jobs to do now: not done, past their retry time, and claimed by no worker."""
        return self.pending().filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now),
            Q(claimed_until__isnull=True) | Q(claimed_until__lt=now),
        )

    def backoff(self, attempts: int) -> timedelta:
        """How long to wait after the ``attempts``-th failed attempt."""
        # The exponent is capped so that a job failing for months never overflows timedelta.
        return min(self.first_backoff * 2 ** min(max(attempts - 1, 0), 30), self.max_backoff)


@dataclass
class Tally:
    """What one pass over a queue did."""

    done: int = 0
    failed: int = 0

    def __bool__(self) -> bool:
        return bool(self.done or self.failed)


_registry: dict[str, Queue] = {}


def register(queue: Queue) -> Queue:
    """Make ``queue`` known to the worker (call it at import time of the module doing the work)."""
    _registry[queue.name] = queue
    return queue


def queues() -> list[Queue]:
    """Every queue, in the order registered."""
    for module in QUEUE_MODULES:
        import_module(module)
    return list(_registry.values())


@dataclass(frozen=True)
class Step:
    """Work that no row records, because a moment calls for it rather than a change (a
    campaign's launch at its ``publish_at``): done on every pass of the worker, before the
    queues. ``run`` must be cheap when there is nothing to do, safe with two workers running it
    at once, and returns how many things it did."""

    name: str
    run: Callable[[], int]


_steps: dict[str, Step] = {}


def register_step(step: Step) -> Step:
    """Make ``step`` known to the worker (at import time, as ``register``)."""
    _steps[step.name] = step
    return step


def steps() -> list[Step]:
    """Every step, in the order registered."""
    for module in QUEUE_MODULES:
        import_module(module)
    return list(_steps.values())


def run_steps() -> dict[str, Tally]:
    """One go at every step: the tally of each that did something. A step that fails for any
    reason but the database (which the pass handles) is logged and tried at the next pass: it
    never stops the mail."""
    tallies = {}
    for step in steps():
        try:
            done = step.run()
        except DatabaseError:
            raise
        except Exception:
            # Not counted: the loop would go round again at once instead of waiting.
            logger.exception("Worker: step %s failed; tried again at the next pass", step.name)
            continue
        if done:
            tallies[step.name] = Tally(done=done)
    return tallies


def recorded(queue: Queue, job: QueuedJob) -> None:
    """Call in the transaction that wrote ``job``: once it commits, the work gets done."""
    pk = job.pk

    def committed() -> None:
        if settings.BACKGROUND_WORK_IMMEDIATE:
            run(queue, only=[pk])
        # Otherwise the worker, polling every WORKER_POLL_SECONDS, finds it within a second.

    transaction.on_commit(committed)


def take(queue: Queue, pk: int, *, now: datetime) -> bool:
    """Claim one job by compare-and-set: True for the one worker whose UPDATE changed the row."""
    return bool(
        queue.due(now)
        .filter(pk=pk)
        .update(claimed_until=now + queue.lease, attempts=F("attempts") + 1)
    )


def claim(queue: Queue, *, only: Collection[int] | None = None) -> int | None:
    """Claim the oldest due job of ``queue`` (of ``only``, if given) and return its id, or None.

    The claim is committed when this returns: the work that follows holds no transaction.
    """
    now = timezone.now()
    due = queue.due(now)
    if only is not None:
        due = due.filter(pk__in=only)
    with transaction.atomic():
        # SKIP LOCKED (PostgreSQL): rows another worker is claiming right now are passed over;
        # databases without row locks ignore it and rely on take()'s compare-and-set.
        candidates = list(
            due.select_for_update(skip_locked=True)
            .order_by("pk")
            .values_list("pk", flat=True)[:_CANDIDATES]
        )
        for pk in candidates:
            if take(queue, pk, now=now):
                return pk
    return None


def perform(queue: Queue, pk: int) -> bool | None:
    """Do one claimed job and record the result: True when done, False when it will be retried,
    None when the job no longer exists (deleted with what it belonged to)."""
    job = queue.model.objects.filter(pk=pk).first()
    if job is None:
        return None
    try:
        queue.perform(job)
    except Exception as exc:  # noqa: BLE001 - any failure of the remote side means "try later"
        delay = queue.backoff(job.attempts)
        retried = (
            queue.pending()
            .filter(pk=pk)
            .update(
                claimed_until=None,
                next_attempt_at=timezone.now() + delay,
                last_error=f"{type(exc).__name__}: {exc}"[:2000],
            )
        )
        if retried:
            logger.warning(
                "%s %s failed (attempt %s), next attempt in %s: %s",
                queue.name,
                pk,
                job.attempts,
                delay,
                exc,
            )
        else:  # ``perform`` gave it up (``also_done``) before raising: no attempt follows
            logger.warning(
                "%s %s failed (attempt %s) and was given up: %s", queue.name, pk, job.attempts, exc
            )
        return False
    # Only a job still pending: one that ``perform`` gave up on (``also_done``) stays so.
    queue.pending().filter(pk=pk).update(
        **{queue.done_field: timezone.now()},
        claimed_until=None,
        next_attempt_at=None,
        last_error="",
    )
    logger.debug("%s %s done (attempt %s)", queue.name, pk, job.attempts)
    return True


def run(
    queue: Queue,
    *,
    only: Collection[int] | None = None,
    stop: threading.Event | None = None,
) -> Tally:
    """Claim, do and record due jobs of ``queue``, up to one batch; stop early when ``stop`` is set
    (the job under way is finished first)."""
    tally = Tally()
    batch = queue.batch
    if queue.allowance is not None:
        batch = min(batch, max(queue.allowance(timezone.now()), 0))
    for _ in range(batch):
        if stop is not None and stop.is_set():
            break
        pk = claim(queue, only=only)
        if pk is None:
            break
        result = perform(queue, pk)
        if result is True:
            tally.done += 1
        elif result is False:
            tally.failed += 1
    return tally


def drain(*, stop: threading.Event | None = None) -> dict[str, Tally]:
    """One pass over every queue."""
    return {queue.name: run(queue, stop=stop) for queue in queues()}


@dataclass
class Totals:
    """What a worker did since it started, per queue."""

    by_queue: dict[str, Tally] = field(default_factory=dict)

    def add(self, tallies: dict[str, Tally]) -> None:
        for name, tally in tallies.items():
            total = self.by_queue.setdefault(name, Tally())
            total.done += tally.done
            total.failed += tally.failed


def work(*, interval: float, stop: threading.Event, once: bool = False) -> Totals:
    """The worker: pass over every queue until ``stop`` is set, waiting ``interval`` seconds
    after a pass that found nothing. With ``once``, return after the first such pass.

    The queues whose jobs wait on other people's servers (``own_thread``: domain checks against
    a website that may trickle its answer, webhooks to a partner's slow endpoint) run beside the
    others, taking turns in one second thread, so none of their jobs ever delays mail or purges.
    One thread for them all, not one each: every thread polls the database, and SQLite (the
    tests' shared in-memory database above all) meets a locked table the more of them do."""
    totals = Totals()
    lock = threading.Lock()
    beside = [queue for queue in queues() if queue.own_thread and not once]
    together = [queue for queue in queues() if queue not in beside]

    def loop(group: list[Queue], *, with_steps: bool = False) -> None:
        while not stop.is_set():
            tallies = _pass(group, stop=stop, interval=interval, once=once, with_steps=with_steps)
            with lock:
                totals.add(tallies)
            if any(tallies.values()):
                continue  # more may be due: the batch limit only takes turns between queues
            if once:
                break
            stop.wait(interval)

    def in_thread(group: list[Queue]) -> None:
        try:
            loop(group)
        finally:
            connections.close_all()  # this thread's own connections

    # None when no queue waits on other people's servers (and with ``once``).
    threads = (
        [threading.Thread(target=in_thread, args=(beside,), name="worker-remote", daemon=True)]
        if beside
        else []
    )
    for thread in threads:
        thread.start()
    try:
        loop(together, with_steps=True)
    finally:
        stop.set()
        for thread in threads:
            thread.join()
    return totals


def _pass(
    group: list[Queue],
    *,
    stop: threading.Event,
    interval: float,
    once: bool,
    with_steps: bool = False,
) -> dict[str, Tally]:
    """One pass over the queues of ``group`` (after the steps, ``with_steps``: the main loop's
    only), logged; a database that is down or restarting is tried again on a fresh connection at
    the next pass (with ``once``, the error is raised)."""
    try:
        # A step's work records jobs (a launch's purges): done before the queues, they are
        # done in this same pass.
        tallies = run_steps() if with_steps else {}
        tallies.update({queue.name: run(queue, stop=stop) for queue in group})
    except DatabaseError as exc:
        if once:
            raise
        logger.warning("Worker: database error, next pass in %ss: %s", interval, exc)
        connections.close_all()
        return {}
    for name, tally in tallies.items():
        if tally:
            logger.info("Worker: %s: %s done, %s failed", name, tally.done, tally.failed)
    return tallies
