"""Purging the HTTP caches in front of the site (Varnish) after a public change.

Each cache named in ``HTTP_CACHE_PURGE_URLS`` (comma-separated, such as
``http://127.0.0.1:6081``; empty: no purging) is told to drop what it keeps under the keys of
what changed (``coalition.publishing.cache_keys``, chosen by ``freshness.public_change``).
``purge_after_commit(keys)`` records one job per cache in the change's transaction and, once it
commits, tries each at once with a tight timeout, so that the change is on every wall within a
second. Two failures are covered beside that first try: a cache that is unreachable or refuses
is retried by the worker (``coalition.jobs.tasks``, queue ``purges``) every second at first,
then at most every minute, until it succeeds (meanwhile the responses' ``s-maxage`` bounds how
stale it can be); and a page a cache began fetching before the commit and stored after the purge
is purged by the same keys once more, ``HTTP_CACHE_PURGE_REPEAT_SECONDS`` later.

A cache is a ``Backend``: one method, ``purge(keys, timeout=…)``, which raises on failure.
``VarnishBackend`` is the first, for ``deploy/varnish/default.vcl``: it sends
``PURGE /`` with the keys, space-separated, in an ``xkey-purge`` header. A CDN's purge API is
added beside it as another ``Backend`` and a branch in ``backend_for`` (Wagtail's
``frontend_cache`` backends have the same shape).
"""

from __future__ import annotations

import urllib.error
import urllib.request
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import Protocol

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import transaction
from django.utils import timezone

from coalition.jobs import tasks
from coalition.models import CachePurge

# The attempt right after commit happens in the request that made the change: it must not keep
# it waiting. The worker's retries may wait longer for a slow cache.
FIRST_TIMEOUT = 0.5
RETRY_TIMEOUT = 5.0
PURGE_HEADER = "xkey-purge"
# Varnish refuses request headers above 8 KiB (http_req_hdr_len): longer lists go in several
# requests.
MAX_HEADER_BYTES = 4096


class PurgeError(Exception):
    """A cache did not confirm the purge."""


class Backend(Protocol):
    """One HTTP cache that can drop what it keeps under some keys."""

    def purge(self, keys: Sequence[str], *, timeout: float) -> None:
        """Purge every response named by any of ``keys``; raise when that cannot be confirmed."""
        ...


class VarnishBackend:
    """A Varnish running ``deploy/varnish/default.vcl``, at ``url`` (``http://host:port``)."""

    def __init__(self, url: str) -> None:
        self.url = url.rstrip("/") + "/"

    def purge(self, keys: Sequence[str], *, timeout: float) -> None:
        for batch in _batches(keys):
            request = urllib.request.Request(  # noqa: S310 - the URL is http(s), see backend_for
                self.url, method="PURGE", headers={PURGE_HEADER: " ".join(batch)}
            )
            try:
                with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
                    status = response.status
            except urllib.error.HTTPError as error:  # a status other than 2xx
                raise PurgeError(f"{self.url} answered {error.code} {error.reason}") from None
            except OSError as error:  # refused, unreachable, timed out
                raise PurgeError(f"{self.url}: {error}") from None
            if status != 200:
                raise PurgeError(f"{self.url} answered {status}")


def _batches(keys: Sequence[str]) -> Iterable[list[str]]:
    batch: list[str] = []
    size = 0
    for key in keys:
        if batch and size + len(key) + 1 > MAX_HEADER_BYTES:
            yield batch
            batch, size = [], 0
        batch.append(key)
        size += len(key) + 1
    if batch:
        yield batch


def backend_for(target: str) -> Backend:
    """The backend for one entry of ``HTTP_CACHE_PURGE_URLS``."""
    if target.startswith(("http://", "https://")):
        return VarnishBackend(target)
    raise ImproperlyConfigured(
        f"HTTP_CACHE_PURGE_URLS: {target!r} is not an http:// or https:// URL of a Varnish."
    )


def _perform(job: CachePurge) -> None:
    if job.target not in settings.HTTP_CACHE_PURGE_URLS:
        return  # that cache is no longer in front of the site: nothing there to purge
    # ``attempts`` counts this one: 1 is the try right after commit.
    timeout = FIRST_TIMEOUT if job.attempts <= 1 else RETRY_TIMEOUT
    backend_for(job.target).purge(job.keys, timeout=timeout)


QUEUE = tasks.register(
    tasks.Queue(
        name="purges",
        model=CachePurge,
        perform=_perform,
        done_field="done_at",
        first_backoff=timedelta(seconds=1),
        max_backoff=timedelta(minutes=1),
        # Far longer than a purge can take (RETRY_TIMEOUT per batch), and short: a purge whose
        # worker died is tried again within a minute.
        lease=timedelta(minutes=1),
    )
)


def purge_after_commit(keys: Iterable[str]) -> None:
    """Purge ``keys`` on every cache in ``HTTP_CACHE_PURGE_URLS`` once the current transaction
    commits (at once outside a transaction), retried by the worker until each cache confirms.

    ``freshness.public_change`` calls it after registering the move of the public versions:
    commit callbacks run in order, and what a cache fetches again once purged must be the new
    rendering.
    """
    keys = list(dict.fromkeys(keys))
    targets = settings.HTTP_CACHE_PURGE_URLS
    if not keys or not targets:
        return
    pks = [CachePurge.objects.create(target=target, keys=keys).pk for target in targets]
    # A cache may have begun fetching a page before the change committed and store that old
    # rendering after the purge arrived (a purge reaches only what is already stored): the
    # same keys are purged once more when any rendering begun before the commit is done.
    if settings.HTTP_CACHE_PURGE_REPEAT_SECONDS > 0:
        again = timezone.now() + timedelta(seconds=settings.HTTP_CACHE_PURGE_REPEAT_SECONDS)
        for target in targets:
            CachePurge.objects.create(target=target, keys=keys, next_attempt_at=again)
    # Robust: a failure here is the worker's to retry, never an error for the committed change.
    transaction.on_commit(lambda: tasks.run(QUEUE, only=pks), robust=True)
