"""What the journeys share: the application form filled as a person fills it, by its visible
labels in the page's language, and the links read out of the mail."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.core import mail
from django.utils import translation
from django.utils.translation import gettext
from django_countries import countries

from tests.browser import ROOT
from tests.conftest import image_bytes

# An absolute link in a mail's text or HTML.
LINK = re.compile(r"https?://[^\s\"'<>]+")


def t(language: str, message: str, **params: object) -> str:
    """``message`` as the site shows it in ``language`` (the msgid as written in the code)."""
    with translation.override(language):
        text = gettext(message)
    return text % params if params else text


def field(page, language: str, label: str):
    """The form field whose visible label is ``label`` (translated), with or without the
    "(optional)" the form adds to optional fields, and nothing that merely starts the same."""
    optional = re.escape(t(language, "(optional)"))
    return page.get_by_label(re.compile(rf"^{re.escape(t(language, label))}(\s+{optional})?$"))


def button(page, language: str, name: str):
    return page.get_by_role("button", name=t(language, name), exact=True)


def submit(page, control, *, log: Path | None = None) -> None:
    """Press ``control`` and wait for the page it leads to, which must not be an error page:
    a failure names the request, the status and what the page said (and the server's log)."""
    with page.expect_navigation() as navigation:
        control.click()
    response = navigation.value
    assert response is not None
    assert response.ok, (
        f"{response.request.method} {response.url} answered {response.status}: "
        + page.locator("body").inner_text()[:400]
        + (f"\nserver log:\n{log.read_text()[-1500:]}" if log else "")
    )


def logo_png(color: tuple[int, int, int] = (200, 30, 60)) -> dict[str, object]:
    """A PNG made with Pillow, as Playwright hands a chosen file to a file input."""
    return {"name": "logo.png", "mimeType": "image/png", "buffer": image_bytes(color=color)}


@dataclass
class Applicant:
    name: str
    website: str
    email: str
    contact: str = "Ada Lindqvist"
    role: str = "Director"
    statement: str = "Children deserve to be found and helped."
    country: str = "DE"
    sector: str = "child-protection-ngo"


@cache
def _sectors() -> dict[str, dict[str, str]]:
    with open(ROOT / "fixtures" / "sectors.json", encoding="utf-8") as file:
        return {item["fields"]["slug"]: item["fields"] for item in json.load(file)}


def sector_name(slug: str, language: str) -> str:
    """A sector's name as the form lists it, from the reference data (``load_reference_data``):
    read from its file, so that it serves a server with a database of its own too."""
    return _sectors()[slug][f"name_{language}"]


def fill_application(page, applicant: Applicant, *, language: str = "en") -> None:
    """Fill in the sign-on form on the page as a person would (sending it is up to the test)."""
    with translation.override(language):
        country = str(countries.name(applicant.country))
    sector = sector_name(applicant.sector, language)
    field(page, language, "Organization name").fill(applicant.name)
    field(page, language, "Website").fill(applicant.website)
    field(page, language, "Country").select_option(label=country)
    field(page, language, "Sector").select_option(label=sector)
    field(page, language, "Logo").set_input_files(logo_png())
    field(page, language, "Public statement").fill(applicant.statement)
    field(page, language, "Contact name").fill(applicant.contact)
    field(page, language, "Contact role").fill(applicant.role)
    field(page, language, "Contact email").fill(applicant.email)
    page.get_by_label(
        t(language, "I am authorized to sign on to this campaign on behalf of the organization.")
    ).check()
    page.get_by_label(
        t(
            language,
            "The organization agrees to its name and logo being shown publicly as a supporter "
            "of this campaign.",
        )
    ).check()


# Mail ----------------------------------------------------------------------------------------


def mails_to(address: str) -> list[mail.EmailMessage]:
    return [message for message in mail.outbox if address in message.to]


def mail_to(address: str, subject: str) -> mail.EmailMessage:
    """The one message to ``address`` with this subject; a clear failure when it is missing."""
    found = [message for message in mails_to(address) if message.subject == subject]
    assert len(found) == 1, (subject, [message.subject for message in mails_to(address)])
    return found[0]


def bodies(message: mail.EmailMessage) -> list[str]:
    """The text body and the HTML alternative."""
    return [message.body, *(content for content, _type in getattr(message, "alternatives", []))]


# The domain-proof instructions name a file on the organization's own website: not a link to
# this site.
PROOF_FILE = "/.well-known/coalition-verification.txt"


def links(message: mail.EmailMessage) -> list[str]:
    """The links to this site in a mail."""
    return [
        link
        for body in bodies(message)
        for link in LINK.findall(body)
        if not link.endswith(PROOF_FILE)
    ]


def link(message: mail.EmailMessage, kind: str) -> str:
    """The link to ``/<kind>/…`` (confirm, manage, not-us) in the text body, as a person would
    copy it; the HTML body must carry the same one."""
    found = {
        url for url in LINK.findall(message.body) if re.search(rf"/{re.escape(kind)}/[^/]+/$", url)
    }
    assert len(found) == 1, (kind, message.body)
    url = found.pop()
    html = [content for content, _type in getattr(message, "alternatives", [])]
    assert all(url in content for content in html), (url, html)
    return url
