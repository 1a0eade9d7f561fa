"""Looking for an organization's token on its domain, safely: the network half of
``coalition.proofs.services``, run by the worker only, never in a request.

- **DNS** through dnspython: a TXT record ``coalition-verification=<token>`` on the registrable
  domain or on ``_coalition-verification.<domain>``, asked of the resolvers in
  ``DOMAIN_PROOF_DNS_SERVERS`` (``host`` or ``host:port``, comma-separated; empty: the system's).
  Names are absolute (no search list) and must end in a public suffix: nothing is looked up in
  a private namespace (``.local``, ``.internal``, ``.arpa``, a bare IP address).
- **Web** through httpx: ``https://<domain>/.well-known/coalition-verification.txt`` holding the
  token. The host is resolved here, through the same resolvers, every address is vetted (none
  private, loopback, link-local or reserved), and the connection goes to a vetted address, with
  the name in the ``Host`` header and in TLS (SNI and the certificate check): what was checked is
  what is connected to. At most 3 redirects, each within the same registrable domain and vetted
  again; at most 64 KB read; no cookies; a User-Agent that says who asks.

Every step waits ``DOMAIN_PROOF_TIMEOUT`` (5 s) at most and a whole check three of them, each
web request included from its connection to its last byte (a server that trickles its headers
a byte at a time is cut off too), so a hostile or slow domain holds its check for 15 s at most;
the worker does mail in a thread of its own (``coalition.jobs.tasks``), so no check delays it.
``DOMAIN_PROOF_ALLOW_HTTP`` and ``DOMAIN_PROOF_ALLOW_PRIVATE`` lift the HTTPS and public-address
rules, for tests against servers on loopback.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass, field
from typing import Any

import dns.exception
import dns.name
import dns.nameserver
import dns.resolver
import httpx
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

from coalition.models import registrable_domain
from coalition.proofs.models import Method
from coalition.web import links, outbound

TXT_PREFIX = "coalition-verification="
DNS_LABEL = "_coalition-verification"
WELL_KNOWN_PATH = "/.well-known/coalition-verification.txt"
MAX_BYTES = 64 * 1024
MAX_REDIRECTS = 3
# A whole check (two TXT lookups, then the web: its addresses, up to four requests) gets this
# many steps' worth of time.
STEPS_PER_CHECK = 3

DNS = Method.DNS.value
WEB = Method.WELL_KNOWN.value


@dataclass(frozen=True)
class Finding:
    """What one method found: ``found``, or why not (a code and its values, no words)."""

    method: str
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    # The other side did not answer in time or could not be reached: it may work later.
    transient: bool = False

    @property
    def ok(self) -> bool:
        return self.code == "found"

    def as_json(self) -> dict[str, Any]:
        return {"method": self.method, "code": self.code, "params": self.params}


@dataclass(frozen=True)
class CheckResult:
    """A whole check: how the domain was proven (or None), and every finding on the way."""

    method: str | None
    findings: list[Finding]

    @property
    def transient(self) -> bool:
        """Nothing proven, and only because something did not answer."""
        return self.method is None and any(finding.transient for finding in self.findings)


class Deadline:
    """A check's time: each step gets ``DOMAIN_PROOF_TIMEOUT`` at most, and never more than is
    left of the whole."""

    def __init__(self, steps: int = STEPS_PER_CHECK) -> None:
        self.step_seconds = float(settings.DOMAIN_PROOF_TIMEOUT)
        self.end = time.monotonic() + steps * self.step_seconds

    def remaining(self) -> float:
        return self.end - time.monotonic()

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0

    def step(self) -> float:
        return max(min(self.step_seconds, self.remaining()), 0.01)


def is_public_name(domain: str) -> bool:
    """Whether ``domain`` is a name under a public suffix, so one we may look up."""
    if not domain or "." not in domain:
        return False
    return settings.DOMAIN_PROOF_ALLOW_PRIVATE or outbound.name_public(domain)


def address_allowed(address: str) -> bool:
    """Whether we may connect to ``address``: a public unicast address (or anything, for tests
    with ``DOMAIN_PROOF_ALLOW_PRIVATE``)."""
    return settings.DOMAIN_PROOF_ALLOW_PRIVATE or outbound.address_public(address)


def nameservers() -> list[tuple[str, int]]:
    """``DOMAIN_PROOF_DNS_SERVERS`` as (address, port) pairs; empty: the system's resolvers."""
    servers = []
    for entry in settings.DOMAIN_PROOF_DNS_SERVERS:
        host, port = entry, "53"
        if entry.startswith("["):  # [::1]:5353
            host, _bracket, rest = entry[1:].partition("]")
            port = rest.removeprefix(":") or "53"
        elif entry.count(":") == 1:  # 192.0.2.1:5353, dns.example:53
            host, port = entry.split(":")
        if not port.isdigit() or not 0 < int(port) < 65536 or not host:
            raise ImproperlyConfigured(
                f"DOMAIN_PROOF_DNS_SERVERS: {entry!r} is not a host or host:port."
            )
        try:
            ipaddress.ip_address(host)
            addresses = [host]
        except ValueError:
            # A resolver given by name: the system finds its address, once per check.
            addresses = [
                info[4][0] for info in socket.getaddrinfo(host, int(port), type=socket.SOCK_DGRAM)
            ]
        servers.extend((address, int(port)) for address in dict.fromkeys(addresses))
    return servers


def resolver() -> dns.resolver.Resolver:
    """A resolver for one check: the configured servers, no search list, no cache."""
    servers = nameservers()
    resolver = dns.resolver.Resolver(configure=not servers)
    if servers:
        resolver.nameservers = [dns.nameserver.Do53Nameserver(host, port) for host, port in servers]
    resolver.search = []
    resolver.use_search_by_default = False
    resolver.cache = None
    resolver.timeout = float(settings.DOMAIN_PROOF_TIMEOUT)
    return resolver


def _query(resolver: dns.resolver.Resolver, name: str, rdtype: str, deadline: Deadline):
    return resolver.resolve(
        dns.name.from_text(name),  # absolute: never completed with a local search domain
        rdtype,
        search=False,
        lifetime=deadline.step(),
        raise_on_no_answer=False,
    )


def check_dns(
    domain: str, token: str, *, resolver: dns.resolver.Resolver, deadline: Deadline
) -> list[Finding]:
    """Look for the TXT record at the domain, then at its underscore name."""
    expected = f"{TXT_PREFIX}{token}".lower()
    findings = []
    for name in (domain, f"{DNS_LABEL}.{domain}"):
        if deadline.expired:
            findings.append(Finding(DNS, "timeout", {"name": name}, transient=True))
            continue
        try:
            answer = _query(resolver, name, "TXT", deadline)
        except dns.resolver.NXDOMAIN:
            findings.append(Finding(DNS, "no_record", {"name": name}))
            continue
        except dns.exception.Timeout:
            findings.append(Finding(DNS, "timeout", {"name": name}, transient=True))
            continue
        except dns.exception.DNSException:  # every server failed (SERVFAIL, refused)
            findings.append(Finding(DNS, "dns_error", {"name": name}, transient=True))
            continue
        values = [
            b"".join(record.strings).decode("utf-8", "replace").strip().lower() for record in answer
        ]
        if expected in values:
            return [Finding(DNS, "found", {"name": name})]
        if any(value.startswith(TXT_PREFIX) for value in values):
            findings.append(Finding(DNS, "other_token", {"name": name}))
        else:
            findings.append(Finding(DNS, "no_record", {"name": name}))
    return findings


def _addresses(
    host: str, resolver: dns.resolver.Resolver, deadline: Deadline
) -> list[str] | Finding:
    """Every address of ``host`` (A and AAAA), or why there is none we may use."""
    addresses: list[str] = []
    timed_out = False
    for rdtype in ("A", "AAAA"):
        try:
            answer = _query(resolver, host, rdtype, deadline)
        except dns.resolver.NXDOMAIN:
            return Finding(WEB, "no_address", {"host": host})
        except dns.exception.Timeout:
            timed_out = True
            continue
        except dns.exception.DNSException:
            continue
        addresses.extend(record.address for record in answer)
    if not addresses:
        if timed_out:
            return Finding(WEB, "timeout", {"host": host}, transient=True)
        return Finding(WEB, "no_address", {"host": host})
    # One forbidden address is enough to refuse: a name that points both outside and inside
    # is how DNS rebinding starts.
    for address in addresses:
        if not address_allowed(address):
            return Finding(WEB, "private_address", {"host": host, "address": address})
    return list(dict.fromkeys(addresses))


def first_url(domain: str) -> str:
    scheme = "http" if settings.DOMAIN_PROOF_ALLOW_HTTP else "https"
    port = settings.DOMAIN_PROOF_WEB_PORT
    return f"{scheme}://{domain}{f':{port}' if port else ''}{WELL_KNOWN_PATH}"


def user_agent() -> str:
    return f"CoalitionRegistry-DomainCheck/1.0 (+{links.site_url()})"


def tls_context() -> ssl.SSLContext:
    return outbound.tls_context()


def _get(url: httpx.URL, host: str, address: str, deadline: Deadline) -> outbound.Answer:
    """One GET of ``url`` from ``address``, as ``host`` (``outbound.send``): each step and the
    whole request within the check's deadline; at most MAX_BYTES of a 200's body."""
    return outbound.send(
        "GET",
        url,
        host=host,
        address=address,
        headers={"User-Agent": user_agent(), "Accept": "text/plain, */*;q=0.1"},
        step_timeout=deadline.step(),
        total_timeout=deadline.remaining(),
        max_bytes=MAX_BYTES,
        body_for={200},
        tls=tls_context(),
    )


def _tls_failure(error: BaseException) -> bool:
    while error is not None:
        if isinstance(error, ssl.SSLError):
            return True
        error = error.__cause__ or error.__context__
    return False


def _fetch(
    url: httpx.URL, host: str, addresses: list[str], deadline: Deadline
) -> outbound.Answer | Finding:
    """GET ``url`` from the first vetted address that takes the connection."""
    for index, address in enumerate(addresses[:2]):
        try:
            return _get(url, host, address, deadline)
        except httpx.TimeoutException:
            return Finding(WEB, "timeout", {"host": host}, transient=True)
        except httpx.ConnectError as error:
            if _tls_failure(error):
                return Finding(WEB, "tls", {"host": host})
            if index + 1 < min(len(addresses), 2) and not deadline.expired:
                continue
            return Finding(WEB, "unreachable", {"host": host}, transient=True)
        except httpx.HTTPError:  # a broken answer: not HTTP, cut off, a bad header
            return Finding(WEB, "bad_answer", {"host": host})
    return Finding(WEB, "unreachable", {"host": host}, transient=True)


def check_web(
    domain: str, token: str, *, resolver: dns.resolver.Resolver, deadline: Deadline
) -> list[Finding]:
    """Fetch the file, following redirects within the domain, and compare it with the token."""
    start = first_url(domain)
    url = httpx.URL(start)
    for _hop in range(MAX_REDIRECTS + 1):
        schemes = {"https", "http"} if settings.DOMAIN_PROOF_ALLOW_HTTP else {"https"}
        if url.scheme not in schemes:
            return [Finding(WEB, "insecure", {"url": str(url)})]
        host = url.raw_host.decode("ascii").rstrip(".").lower()
        if registrable_domain(host) != domain:
            return [Finding(WEB, "redirect_elsewhere", {"host": host, "domain": domain})]
        if deadline.expired:
            return [Finding(WEB, "timeout", {"host": host}, transient=True)]
        addresses = _addresses(host, resolver, deadline)
        if isinstance(addresses, Finding):
            return [addresses]
        answer = _fetch(url, host, addresses, deadline)
        if isinstance(answer, Finding):
            return [answer]
        if answer.location:
            try:
                url = url.join(answer.location)
            except httpx.InvalidURL:
                return [Finding(WEB, "bad_answer", {"host": host})]
            continue
        return [_judge(answer, token, url=str(url))]
    return [Finding(WEB, "too_many_redirects", {"url": start, "max": MAX_REDIRECTS})]


def _judge(answer: outbound.Answer, token: str, *, url: str) -> Finding:
    if answer.status in (404, 410):
        return Finding(WEB, "not_found", {"url": url, "status": answer.status})
    if answer.status != 200:
        return Finding(WEB, "http_status", {"url": url, "status": answer.status})
    if answer.too_large:
        return Finding(WEB, "too_large", {"url": url, "kb": MAX_BYTES // 1024})
    text = answer.body.decode("utf-8", "replace").lstrip("\ufeff").strip()
    if not text:
        return Finding(WEB, "empty", {"url": url})
    if text.lower() != token.lower():
        return Finding(WEB, "other_token", {"url": url})
    return Finding(WEB, "found", {"url": url})


def check_domain(domain: str, token: str) -> CheckResult:
    """Look for ``token`` on ``domain``: the DNS record first, then the file."""
    if not is_public_name(domain):
        return CheckResult(None, [Finding(DNS, "private_name", {"domain": domain})])
    deadline = Deadline()
    try:
        names = resolver()
    except dns.resolver.NoResolverConfiguration:
        return CheckResult(None, [Finding(DNS, "dns_error", {"name": domain}, transient=True)])
    findings = check_dns(domain, token, resolver=names, deadline=deadline)
    if not findings[0].ok:
        findings += check_web(domain, token, resolver=names, deadline=deadline)
    proven = next((finding for finding in findings if finding.ok), None)
    return CheckResult(proven.method if proven else None, findings)
