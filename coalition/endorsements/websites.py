"""An organization's website and its domain: the address as it is stored, the registrable
domain under the Public Suffix List, and whether a contact's address is at that domain."""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from publicsuffixlist import PublicSuffixList

_psl = PublicSuffixList()

WEBSITE_MAX_LENGTH = 300
_HOST_LABEL = re.compile(r"(?!-)[a-z0-9-]{1,63}(?<!-)")


def normalize_website(value: str) -> str:
    """Return ``value`` as a lower-cased http(s) URL, adding ``https://`` when no scheme is given.

    Raises ``ValidationError`` for anything that is not a web address.
    """
    value = (value or "").strip()
    if not value:
        raise ValidationError(_("Enter the organization's website."), code="required")
    if "://" not in value:
        value = f"https://{value}"
    try:
        parts = urlsplit(value)
        port = parts.port
    except ValueError:  # a port that is not a number, a broken IPv6 literal
        raise ValidationError(
            _("Enter a website address such as https://example.org."), code="host"
        ) from None
    if parts.scheme.lower() not in {"http", "https"}:
        raise ValidationError(_("The website must start with http:// or https://."), code="scheme")
    host = (parts.hostname or "").rstrip(".")
    if not host or "." not in host or parts.username or parts.password:
        raise ValidationError(
            _("Enter a website address such as https://example.org."), code="host"
        )
    try:
        host = host.encode("idna").decode("ascii").lower()
    except UnicodeError:
        raise ValidationError(_("The website's domain name is not valid."), code="host") from None
    if not all(_HOST_LABEL.fullmatch(label) for label in host.split(".")):
        raise ValidationError(_("The website's domain name is not valid."), code="host")
    if _psl.is_public(host):
        # co.uk or github.io is no organization's own: anyone can have an address under it.
        raise ValidationError(
            _(
                "%(host)s is shared by many sites (a public suffix). Enter your "
                "organization's own website, such as https://your-organization.%(host)s."
            ),
            code="public_suffix",
            params={"host": host},
        )
    netloc = host if port in (None, 80, 443) else f"{host}:{port}"
    path = parts.path if parts.path not in ("", "/") else "/"
    url = urlunsplit((parts.scheme.lower(), netloc, path, parts.query, ""))
    if len(url) > WEBSITE_MAX_LENGTH:
        raise ValidationError(
            _("Keep the website address under %(max)s characters."),
            code="max_length",
            params={"max": WEBSITE_MAX_LENGTH},
        )
    return url


def registrable_domain(url_or_host: str) -> str:
    """The registrable domain ("example.org" for "https://www.example.org/x"), or the host."""
    host = urlsplit(url_or_host).hostname if "://" in url_or_host else url_or_host
    host = (host or "").rstrip(".").lower()
    return _psl.privatesuffix(host) or host


def email_domain_matches(email: str, domain: str) -> bool:
    """True when the email's domain is ``domain`` or one of its subdomains, ``domain`` being a
    registrable domain (under the Public Suffix List), never a public suffix itself."""
    if not email or not domain or "@" not in email:
        return False
    # A public suffix (co.uk, github.io) is nobody's domain: me@x.co.uk proves nothing about a
    # website at co.uk, and me@someone.github.io nothing about github.io.
    if _psl.is_public(domain):
        return False
    email_host = email.rsplit("@", 1)[1].strip().rstrip(".").lower()
    return registrable_domain(email_host) == domain or email_host.endswith(f".{domain}")
