"""Sending webhooks: the worker's ``webhooks`` queue (``coalition.jobs.tasks``).

Each delivery is POSTed as the Standard Webhooks specification says
(https://www.standardwebhooks.com/): ``webhook-id`` (the delivery's ``message_id``, the same on
every attempt so that a receiver drops a repeat), ``webhook-timestamp`` (Unix seconds when the
attempt is made) and ``webhook-signature`` (``v1,`` and the base64 of the HMAC-SHA256 of
``id.timestamp.body`` keyed with the bytes of the endpoint's ``whsec_`` secret), and the body
exactly as stored when the change was made.

**Where.** The endpoint's URL is checked as the domain proofs' fetches are
(``coalition.web.outbound``): HTTPS only; the name resolved here and every address vetted (no
loopback, private, link-local or reserved address); the connection made to the vetted address,
with the name in ``Host`` and in TLS. No redirect is followed: a 3xx is a failed attempt, so an
endpoint cannot send us to 169.254.169.254. ``WEBHOOK_ALLOW_PRIVATE`` lifts these rules for a
receiver on this machine (development and tests only).

**When.** An attempt takes ``WEBHOOK_TIMEOUT`` (10 s) at most from its DNS lookup to the last
byte read (4 KB at most of the answer), however slowly the endpoint trickles; the queue runs
beside the mail, in the thread it shares with the domain checks, so no endpoint delays mail. A
2xx answer delivers; anything else (another status, a refused or timed-out connection, a
forbidden address) is recorded as a failed attempt (``WebhookAttempt``) and retried after
``BACKOFF`` (5 s, 30 s, 2 min, 10 min, 30 min, 1 h, then every 2 h) until 24 hours after the
change; then the delivery is given up (``failed_at``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import socket
import time
from datetime import timedelta

import dns.exception
import dns.name
import dns.resolver
import httpx
from django.conf import settings
from django.utils import timezone

from coalition.jobs import tasks
from coalition.proofs import checks
from coalition.web import links, outbound
from coalition.webhooks.models import WebhookAttempt, WebhookDelivery

# The waits after the 1st, 2nd… failed attempt; the last repeats.
BACKOFF = (
    timedelta(seconds=5),
    timedelta(seconds=30),
    timedelta(minutes=2),
    timedelta(minutes=10),
    timedelta(minutes=30),
    timedelta(hours=1),
    timedelta(hours=2),
)
# How long after the change a delivery is retried.
WINDOW = timedelta(hours=24)
# What is read of an endpoint's answer: its start says what went wrong; the rest is not ours.
MAX_BYTES = 4096
CONNECT_TIMEOUT = 5.0
# What an attempt's error keeps of the answer's body.
ERROR_EXCERPT = 300


class DeliveryFailed(Exception):
    """An attempt that did not deliver; the worker tries again later."""


class Refused(Exception):
    """The endpoint's URL or address is one we do not send to."""


class WebhookQueue(tasks.Queue):
    """The queue's retries wait ``BACKOFF``, not a doubling delay."""

    def backoff(self, attempts: int) -> timedelta:
        return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


def private_allowed() -> bool:
    return bool(settings.WEBHOOK_ALLOW_PRIVATE)


def url_problem(url: str) -> str | None:
    """Why ``url`` cannot be an endpoint (in English, for the record), or None. No DNS here:
    this runs in the admin's request; the addresses are vetted when sending."""
    try:
        parsed = httpx.URL(url)
    except (httpx.InvalidURL, TypeError):
        return "not a valid URL"
    schemes = {"https", "http"} if private_allowed() else {"https"}
    if parsed.scheme not in schemes:
        return "insecure"
    if parsed.userinfo:
        return "credentials"
    host = parsed.host.rstrip(".").lower()
    if not host:
        return "not a valid URL"
    if private_allowed():
        return None
    address = outbound.ip_literal(host)
    if address is not None:
        return None if outbound.address_public(address) else "private address"
    if not outbound.name_public(host):
        return "private name"
    return None


def sign(*, secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """The ``webhook-signature`` header's value for one attempt."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    digest = hmac.new(key, f"{message_id}.{timestamp}.".encode() + body, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode()


def user_agent() -> str:
    return f"CoalitionRegistry-Webhooks/1.0 (+{links.site_url()})"


def _addresses(host: str, lifetime: float) -> list[str]:
    """Every address of ``host``, each vetted; raises ``Refused`` otherwise."""
    literal = outbound.ip_literal(host)
    if literal is not None:
        addresses = [literal]
    elif private_allowed():
        # Development: the system's resolver, /etc/hosts included (a receiver named in a
        # compose file, ``localhost``).
        try:
            infos = socket.getaddrinfo(host, None, type=socket.SOCK_STREAM)
        except OSError as error:
            raise Refused(f"{host} has no address ({error})") from None
        addresses = [info[4][0] for info in infos]
    else:
        if not outbound.name_public(host):
            raise Refused(f"{host} is not a public name")
        addresses = _resolve(host, lifetime)
    if not private_allowed():
        # One forbidden address is enough: a name pointing both outside and inside is how DNS
        # rebinding starts.
        for address in addresses:
            if not outbound.address_public(address):
                raise Refused(f"{host} resolves to {address}, which is not a public address")
    return list(dict.fromkeys(addresses))


def _resolve(host: str, lifetime: float) -> list[str]:
    resolver = checks.resolver()
    addresses: list[str] = []
    for rdtype in ("A", "AAAA"):
        try:
            answer = resolver.resolve(
                dns.name.from_text(host),  # absolute: never completed with a search domain
                rdtype,
                search=False,
                lifetime=lifetime,
                raise_on_no_answer=False,
            )
        except dns.resolver.NXDOMAIN:
            raise Refused(f"{host} does not exist (NXDOMAIN)") from None
        except dns.exception.DNSException:
            continue
        addresses.extend(record.address for record in answer)
    if not addresses:
        raise Refused(f"{host} has no address")
    return addresses


def post(*, url: str, body: bytes, headers: dict[str, str]) -> outbound.Answer:
    """POST ``body`` to ``url`` safely (``coalition.web.outbound``), within WEBHOOK_TIMEOUT."""
    problem = url_problem(url)
    if problem:
        raise Refused(f"the URL is refused: {problem}")
    parsed = httpx.URL(url)
    host = parsed.host.rstrip(".").lower()
    end = time.monotonic() + float(settings.WEBHOOK_TIMEOUT)
    addresses = _addresses(host, lifetime=min(CONNECT_TIMEOUT, float(settings.WEBHOOK_TIMEOUT)))
    for index, address in enumerate(addresses[:2]):
        left = end - time.monotonic()
        if left <= 0:
            raise httpx.ConnectTimeout("the time for the delivery is up")
        try:
            return outbound.send(
                "POST",
                parsed,
                host=host,
                address=address,
                headers=headers,
                content=body,
                step_timeout=left,
                connect_timeout=CONNECT_TIMEOUT,
                total_timeout=left,
                max_bytes=MAX_BYTES,
            )
        except httpx.ConnectError:
            # Another address of the name may take it (IPv4 beside IPv6).
            if index + 1 < min(len(addresses), 2):
                continue
            raise
    raise Refused(f"{host} has no address")


def _describe_answer(answer: outbound.Answer) -> str:
    if answer.location:
        return f"HTTP {answer.status}: a redirect to {answer.location[:200]}, not followed"
    excerpt = answer.body[:ERROR_EXCERPT].decode("utf-8", "replace").strip()
    return f"HTTP {answer.status}" + (f": {excerpt}" if excerpt else "")


def _deliver(delivery: WebhookDelivery) -> None:
    """One attempt at ``delivery``, recorded; raises ``DeliveryFailed`` when it did not
    deliver (after giving up, once the window has passed)."""
    endpoint = delivery.endpoint
    body = delivery.payload.encode()
    started = time.monotonic()
    code: int | None = None
    if not endpoint.active:
        error = "The endpoint is inactive."
    else:
        timestamp = int(time.time())
        headers = {
            "webhook-id": delivery.message_id,
            "webhook-timestamp": str(timestamp),
            "webhook-signature": sign(
                secret=endpoint.secret,
                message_id=delivery.message_id,
                timestamp=timestamp,
                body=body,
            ),
            "Content-Type": "application/json",
            "User-Agent": user_agent(),
        }
        try:
            answer = post(url=endpoint.url, body=body, headers=headers)
        except Refused as refused:
            error = f"Refused: {refused}."
        except httpx.TimeoutException:
            error = f"No answer within {settings.WEBHOOK_TIMEOUT:g} s."
        except httpx.ConnectError as failure:
            error = f"Could not connect: {failure}."
        except httpx.HTTPError as failure:  # a broken answer: not HTTP, cut off, a bad header
            error = f"A broken answer: {type(failure).__name__}: {failure}."
        except Exception as failure:  # noqa: BLE001 - recorded as an attempt like the others
            error = f"Not sent: {type(failure).__name__}: {failure}."
        else:
            code = answer.status
            error = "" if 200 <= code < 300 else _describe_answer(answer)
    duration_ms = round((time.monotonic() - started) * 1000)
    WebhookAttempt.objects.create(
        delivery=delivery,
        succeeded=not error,
        response_code=code,
        duration_ms=duration_ms,
        error=error[:2000],
    )
    if not error:
        return
    now = timezone.now()
    if not endpoint.active or now + QUEUE.backoff(delivery.attempts) > delivery.created_at + WINDOW:
        WebhookDelivery.objects.filter(pk=delivery.pk, delivered_at__isnull=True).update(
            failed_at=now, claimed_until=None, next_attempt_at=None, last_error=error[:2000]
        )
    raise DeliveryFailed(error)


QUEUE = tasks.register(
    WebhookQueue(
        name="webhooks",
        model=WebhookDelivery,
        perform=_deliver,
        done_field="delivered_at",
        # Given up after 24 hours: nothing more to do either.
        also_done=("failed_at",),
        # Longer than an attempt can take (WEBHOOK_TIMEOUT), or a second worker would send it.
        lease=timedelta(minutes=2),
        # Other people's servers: beside the mail, never in its way; a few at a time, so that
        # the domain checks sharing the thread get their turn (10 s an attempt at most).
        own_thread=True,
        batch=5,
    )
)


def delivery_record(delivery: WebhookDelivery) -> None:
    """Call in the transaction that wrote (or re-queued) ``delivery``: sent once it commits."""
    tasks.recorded(QUEUE, delivery)
