"""Requests to other people's servers, made safely: the one place that says which addresses the
site may connect to and how it connects there. Used by the domain proofs' web check
(``coalition.proofs.checks``) and the webhooks' deliveries (``coalition.webhooks.delivery``),
both run by the worker only, never in a request.

- **Where.** Only public unicast addresses (``address_public``): no loopback, private,
  link-local (169.254.169.254, a cloud's metadata service), shared, reserved or multicast
  address, and no IPv6 transition address carrying one. Names only under a public suffix
  (``name_public``). Each caller decides when a testing setting lifts these rules.
- **How.** The caller resolves the name and vets every address; ``send`` then connects to the
  vetted address itself, with the name in the ``Host`` header and in TLS (SNI and the
  certificate check): what was checked is what is connected to, so a name that resolves
  elsewhere a second later (DNS rebinding) changes nothing. No redirect is followed here (the
  caller vets the next hop, or refuses it), no proxy or cookie from the environment, raw bytes
  only (no decompression bomb), at most ``max_bytes`` of the body read.
- **When.** httpx's timeouts bound each read, so a server trickling a byte a second never trips
  them; the whole exchange (connect, TLS, headers, body) therefore runs under one total
  deadline and is cancelled, its connection closed, when it passes.
"""

from __future__ import annotations

import asyncio
import ipaddress
import ssl
from collections.abc import Collection
from dataclasses import dataclass
from functools import cache

import certifi
import httpx
from publicsuffixlist import PublicSuffixList

# In the public suffix list, and still no place to look: reverse lookups, Tor.
_PRIVATE_TLDS = frozenset({"arpa", "onion"})

# IPv6 prefixes that carry an IPv4 address a gateway or tunnel would forward to (NAT64's
# well-known and local-use prefixes, 6to4, Teredo), and the deprecated IPv4-compatible form:
# ``is_global`` says yes to most of them, yet 64:ff9b::7f00:1 reaches 127.0.0.1.
_TRANSITION_NETWORKS = tuple(
    ipaddress.ip_network(network)
    for network in ("64:ff9b::/96", "64:ff9b:1::/48", "2002::/16", "2001::/32", "::/96")
)


def _ipv6_transition(ip: ipaddress.IPv6Address) -> bool:
    """Whether ``ip`` is a transition address, whatever IPv4 address it carries: nothing is
    fetched through a NAT64 gateway, a 6to4 relay or a Teredo tunnel."""
    return any(ip in network for network in _TRANSITION_NETWORKS)


def address_public(address: str) -> bool:
    """Whether ``address`` is a public unicast address, one the site may connect to."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address):
        if ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped
        elif _ipv6_transition(ip) or ip.is_site_local:
            return False
    # is_global is False for private, loopback, link-local, reserved and shared addresses.
    return ip.is_global and not ip.is_multicast


def ip_literal(host: str) -> str | None:
    """``host`` as an IP address when it is one (``[::1]`` too), else None."""
    try:
        return str(ipaddress.ip_address(host.strip("[]")))
    except ValueError:
        return None


@cache
def _public_suffixes() -> PublicSuffixList:
    return PublicSuffixList()


def name_public(domain: str) -> bool:
    """Whether ``domain`` is a name under a public suffix (not ``localhost``, ``.internal``,
    ``.local``, a bare suffix or a reverse-lookup name), so one the site may look up."""
    if not domain or "." not in domain:
        return False
    suffix = _public_suffixes().publicsuffix(domain, accept_unknown=False)
    return bool(suffix) and suffix != domain and domain.rsplit(".", 1)[1] not in _PRIVATE_TLDS


def tls_context() -> ssl.SSLContext:
    # Certificates are checked against the name (the SNI), not the address connected to.
    return ssl.create_default_context(cafile=certifi.where())


@dataclass(frozen=True)
class Answer:
    """What a server answered: its status, where it redirects to (not followed), and the start
    of its body."""

    status: int
    location: str = ""
    body: bytes = b""
    too_large: bool = False


def send(
    method: str,
    url: httpx.URL,
    *,
    host: str,
    address: str,
    headers: dict[str, str],
    step_timeout: float,
    total_timeout: float,
    max_bytes: int,
    content: bytes | None = None,
    connect_timeout: float | None = None,
    body_for: Collection[int] | None = None,
    tls: ssl.SSLContext | None = None,
) -> Answer:
    """One request for ``url`` to ``address`` (vetted by the caller), as ``host``.

    ``step_timeout`` bounds each step (connect, each read), ``connect_timeout`` the connection
    when shorter, ``total_timeout`` the whole exchange (``httpx.ReadTimeout`` when it passes);
    at most ``max_bytes`` of the body are read, and only for the statuses in ``body_for``
    (every status but a redirect's when None). ``tls``: the certificates trusted (certifi's
    by default). Raises httpx's errors for the rest."""
    within = asyncio.wait_for(
        _send_async(
            method,
            url,
            host=host,
            address=address,
            headers=headers,
            content=content,
            step_timeout=step_timeout,
            connect_timeout=connect_timeout,
            max_bytes=max_bytes,
            body_for=body_for,
            tls=tls or tls_context(),
        ),
        timeout=max(total_timeout, 0.01),
    )
    try:
        return asyncio.run(within)
    except asyncio.TimeoutError as error:  # TimeoutError itself from Python 3.11 on
        raise httpx.ReadTimeout("the time for the whole request is up") from error


async def _send_async(
    method: str,
    url: httpx.URL,
    *,
    host: str,
    address: str,
    headers: dict[str, str],
    content: bytes | None,
    step_timeout: float,
    connect_timeout: float | None,
    max_bytes: int,
    body_for: Collection[int] | None,
    tls: ssl.SSLContext,
) -> Answer:
    host_header = host if url.port is None else f"{host}:{url.port}"
    transport = httpx.AsyncHTTPTransport(verify=tls, retries=0, trust_env=False)
    timeout = httpx.Timeout(
        step_timeout,
        connect=step_timeout if connect_timeout is None else min(connect_timeout, step_timeout),
    )
    # A fresh client for each request: no cookie, connection or proxy setting carries over.
    async with httpx.AsyncClient(
        transport=transport, trust_env=False, follow_redirects=False, timeout=timeout
    ) as client:
        # TLS names a host, never an address (an IP literal is checked against the certificate
        # as the address it is).
        extensions = {} if ip_literal(host) else {"sni_hostname": host}
        request = client.build_request(
            method,
            url.copy_with(host=address),
            headers={
                **headers,
                "Host": host_header,
                # Raw bytes only: max_bytes read is max_bytes, not a compressed bomb unpacked.
                "Accept-Encoding": "identity",
            },
            content=content,
            extensions=extensions,
        )
        response = await client.send(request, stream=True)
        try:
            if response.is_redirect:
                return Answer(response.status_code, location=response.headers.get("location", ""))
            if body_for is not None and response.status_code not in body_for:
                return Answer(response.status_code)
            body = bytearray()
            async for chunk in response.aiter_raw():
                body += chunk
                if len(body) > max_bytes:
                    return Answer(
                        response.status_code, body=bytes(body[:max_bytes]), too_large=True
                    )
            return Answer(response.status_code, body=bytes(body))
        finally:
            await response.aclose()
