"""A campaign's approved allies with their contacts, for its owners' CRM (CiviCRM, Salesforce
NPSP, Action Network) or a spreadsheet: the workspace's export (``review.exports``) and
``manage.py export_allies`` read them here.

Never public: contact names, addresses, consents and sources leave the site only through this
module, for a campaign's owners (``coalition.campaigns.team.may_own``), and every export writes
the team's audit row (``crm_export_record``).

One row per approved endorsement, in the order of approval. A format names the columns as its
importer calls its fields, so that it maps them without a hand (``docs/crm-export.md`` says which
fields of which importer were checked): the values are the same in every format, but for the
language (CiviCRM wants a locale) and NPSP's preferred address kind. Rows are read in chunks from
one query, whatever their number, so a large campaign streams (``rows``).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from datetime import timezone as dt_timezone
from typing import Any
from urllib.parse import urlencode

from django.contrib.auth.models import AbstractBaseUser
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition.campaigns.models import Campaign, TeamEvent
from coalition.endorsements import sources
from coalition.endorsements.models import Endorsement
from coalition.wall.queries import SEARCH_MAX_LENGTH
from coalition.web import links, spreadsheets

FORMATS: dict[str, Any] = {
    "generic": _("Spreadsheet (generic column names)"),
    "civicrm": _("CiviCRM contact import"),
    "npsp": _("Salesforce NPSP Data Import"),
    "actionnetwork": _("Action Network upload"),
}
DEFAULT_FORMAT = "generic"
KINDS = ("csv", "xlsx")
# Rows read from the database at a time: one query (a server-side cursor on PostgreSQL), a
# bounded amount of memory whatever the campaign's size.
CHUNK_SIZE = 500

# CiviCRM's preferred language is a locale among its own; ours are the languages' usual ones.
CIVICRM_LOCALES = {"en": "en_GB", "fr": "fr_FR", "de": "de_DE"}


@dataclass(frozen=True)
class Column:
    """One column: its value's key in ``ally_values`` and its header in each format that has it
    (a format without one leaves the column out)."""

    key: str
    headers: dict[str, str]


def _column(key: str, title: str, **overrides: str | None) -> Column:
    """A column named ``key`` in the generic and Action Network files (Action Network matches
    headers named as its fields, and keeps any other as a custom field of that name) and
    ``title`` in CiviCRM's and NPSP's (their mapping screens offer a custom field by its label);
    ``overrides`` give a format its own header, or ``None`` for none."""
    headers = {"generic": key, "civicrm": title, "npsp": title, "actionnetwork": key}
    for name, header in overrides.items():
        if header is None:
            headers.pop(name)
        else:
            headers[name] = header
    return Column(key, headers)


_SOURCE_TITLES = {
    "ref": "Ref",
    "utm_source": "UTM Source",
    "utm_medium": "UTM Medium",
    "utm_campaign": "UTM Campaign",
    "utm_term": "UTM Term",
    "utm_content": "UTM Content",
}

COLUMNS: tuple[Column, ...] = (
    _column(
        "organization_name",
        "Organization Name",
        civicrm="Current Employer",
        npsp="Account1 Name",
    ),
    _column("website", "Website", npsp="Account1 Website"),
    _column("country", "Country", npsp="Account1 Country"),
    _column("sector", "Sector"),
    _column("first_name", "First Name", npsp="Contact1 First Name"),
    _column("last_name", "Last Name", npsp="Contact1 Last Name"),
    _column("full_name", "Full Name"),
    _column("job_title", "Job Title", npsp="Contact1 Title"),
    _column("email", "Email", npsp="Contact1 Work Email"),
    # NPSP files the address as the contact's work address, and says which one it prefers.
    _column(
        "preferred_email",
        "Contact1 Preferred Email",
        generic=None,
        civicrm=None,
        actionnetwork=None,
    ),
    _column("preferred_language", "Preferred Language", actionnetwork="language"),
    _column("consent_authority", "Consent Authority"),
    _column("consent_authority_words", "Consent Authority Words"),
    _column("consent_publish", "Consent Publish"),
    _column("consent_publish_words", "Consent Publish Words"),
    _column("consent_language", "Consent Language"),
    _column("consents_given_at", "Consents Given At"),
    # NPSP's own consent fields are the opt-in to messages: the updates box.
    _column("updates_opt_in", "Updates Opt-In", npsp="Contact1 Consent Opt-In"),
    _column("updates_opt_in_words", "Updates Opt-In Words", npsp="Contact1 Consent Message"),
    _column("updates_opt_in_changed_at", "Updates Opt-In Changed At"),
    _column("privacy_notice_version", "Privacy Notice Version"),
    *(_column(key, _SOURCE_TITLES[key]) for key in sources.KEYS),
    _column("submitted_at", "Submitted At"),
    _column("confirmed_at", "Confirmed At"),
    _column("approved_at", "Approved At"),
    _column("campaign", "Campaign"),
    _column("public_id", "Public ID"),
    _column("wall_url", "Wall URL"),
)


def columns(file_format: str) -> list[Column]:
    """The columns of ``file_format``, in order (``KeyError`` for an unknown format)."""
    if file_format not in FORMATS:
        raise KeyError(file_format)
    return [column for column in COLUMNS if file_format in column.headers]


def headers(file_format: str) -> list[str]:
    return [column.headers[file_format] for column in columns(file_format)]


# Reading --------------------------------------------------------------------------------------


def allies_for_export(campaign: Campaign) -> QuerySet[Endorsement]:
    """``campaign``'s approved endorsements with their organization and sector, in the order
    they were approved: for its owners only, never a public surface."""
    return (
        Endorsement.objects.filter(campaign=campaign, status=Endorsement.Status.APPROVED)
        .select_related("organization", "organization__sector")
        .order_by("approved_at", "pk")
    )


# Particles that belong to a family name ("Ursula von der Leyen", "Pieter de Vries").
_PARTICLES = frozenset(
    {
        "al",
        "bin",
        "da",
        "dal",
        "de",
        "degli",
        "dei",
        "del",
        "della",
        "der",
        "des",
        "di",
        "dos",
        "du",
        "el",
        "la",
        "le",
        "lo",
        "ten",
        "ter",
        "van",
        "von",
        "zu",
    }
)
# Forms of address written before a name: not part of the first name a CRM greets with.
_HONORIFICS = frozenset(
    {
        "dr",
        "dr.",
        "prof",
        "prof.",
        "mr",
        "mr.",
        "mrs",
        "mrs.",
        "ms",
        "ms.",
        "mx",
        "mx.",
        "m.",
        "mme",
        "mme.",
        "mlle",
        "herr",
        "frau",
    }
)


def split_name(full_name: str) -> tuple[str, str]:
    """``full_name`` as (first name, last name), as a CRM wants them: "Last, First" when
    written so; a family name written in capitals before the given name ("MÜLLER Anna", the
    French administrative way) as the last name; else the last word with the particles before
    it ("von der Leyen") as the last name. A single word is a last name (CRMs require one).
    Honorifics ("Dr", "Mme") are left out of the first name; the full name keeps them."""
    name = " ".join(full_name.split())
    if not name:
        return "", ""
    if "," in name:
        last, _comma, first = name.partition(",")
        return _without_honorifics(first.strip()), last.strip()
    words = name.split(" ")
    if len(words) == 1:
        return "", name
    capitals = 0
    for word in words:
        if _is_capitalised_family_name(word):
            capitals += 1
        else:
            break
    if 0 < capitals < len(words):
        return _without_honorifics(" ".join(words[capitals:])), " ".join(words[:capitals])
    start = len(words) - 1
    while start > 1 and words[start - 1].lower() in _PARTICLES:
        start -= 1
    return _without_honorifics(" ".join(words[:start])), " ".join(words[start:])


def _is_capitalised_family_name(word: str) -> bool:
    letters = [character for character in word if character.isalpha()]
    # Two letters at least, so that an initial ("J.") is not taken for a family name.
    return len(letters) > 1 and all(character.isupper() for character in letters)


def _without_honorifics(first: str) -> str:
    words = first.split(" ")
    while len(words) > 1 and words[0].lower() in _HONORIFICS:
        words = words[1:]
    return " ".join(words)


def campaign_page_url(campaign: Campaign) -> str:
    """The campaign's public page, absolute (worked out once per export, not per ally)."""
    return links.absolute(reverse("campaign-detail", args=[campaign.slug]))


def wall_entry_url(page_url: str, *, public_id: str, name: str) -> str:
    """The ally's tile on the campaign's public page (``page_url``): the wall searched for its
    name (so the tile is on the first page, however many allies there are), at its anchor."""
    return f"{page_url}?{urlencode({'q': name[:SEARCH_MAX_LENGTH]})}#ally-{public_id}"


def ally_values(endorsement: Endorsement, *, page_url: str) -> dict[str, Any]:
    """Every column's value for one endorsement (read with ``allies_for_export``; ``page_url``:
    its campaign's ``campaign_page_url``), typed: text, ``bool``, ``int``, aware ``datetime``
    or ``None``; ``cell_for_csv`` and ``cell_for_xlsx`` write them."""
    organization = endorsement.organization
    sector = organization.sector
    first, last = split_name(endorsement.contact_name)
    source = endorsement.source if isinstance(endorsement.source, dict) else {}
    language = endorsement.preferred_language or ""
    return {
        "organization_name": organization.name,
        "website": organization.website,
        "country": str(organization.country.code or ""),
        # English, whatever the language of the page the export was asked from: a CRM's
        # picklist wants one value per sector.
        "sector": getattr(sector, "name_en", "") or sector.name,
        "first_name": first,
        "last_name": last,
        "full_name": endorsement.contact_name,
        "job_title": endorsement.contact_role,
        "email": endorsement.contact_email,
        "preferred_email": "Work" if endorsement.contact_email else "",
        "preferred_language": language,
        "preferred_locale": CIVICRM_LOCALES.get(language, language),
        "consent_authority": endorsement.consent_authority,
        "consent_authority_words": endorsement.consent_authority_words,
        "consent_publish": endorsement.consent_publish,
        "consent_publish_words": endorsement.consent_publish_words,
        "consent_language": endorsement.consent_language,
        # The boxes were ticked on the form that was sent then (its words kept as shown).
        "consents_given_at": endorsement.submitted_at
        if endorsement.consent_authority_words or endorsement.consent_publish_words
        else None,
        "updates_opt_in": endorsement.updates_opt_in,
        "updates_opt_in_words": endorsement.updates_opt_in_words,
        "updates_opt_in_changed_at": endorsement.updates_opt_in_changed_at,
        "privacy_notice_version": endorsement.privacy_notice_version,
        **{key: str(source.get(key) or "") for key in sources.KEYS},
        "submitted_at": endorsement.submitted_at,
        "confirmed_at": endorsement.confirmed_at,
        "approved_at": endorsement.approved_at,
        "campaign": endorsement.campaign.slug,
        "public_id": endorsement.public_id,
        "wall_url": wall_entry_url(
            page_url, public_id=endorsement.public_id, name=organization.name
        ),
    }


def rows(campaign: Campaign, file_format: str) -> Iterator[list[Any]]:
    """The typed values of ``campaign``'s approved allies, a list per ally in the columns of
    ``file_format``: read from one query, ``CHUNK_SIZE`` rows at a time."""
    keys = [column.key for column in columns(file_format)]
    if file_format == "civicrm":
        keys = ["preferred_locale" if key == "preferred_language" else key for key in keys]
    page_url = campaign_page_url(campaign)
    for endorsement in allies_for_export(campaign).iterator(chunk_size=CHUNK_SIZE):
        # The campaign is the one asked for: not read again per row.
        endorsement.campaign = campaign
        values = ally_values(endorsement, page_url=page_url)
        yield [values[key] for key in keys]


# Writing cells ---------------------------------------------------------------------------------

# Every time in UTC, as ISO 8601 without the "T": what CiviCRM's "yyyy-mm-dd" date format,
# Salesforce's importers and spreadsheets all read as a date and time.
TIME_FORMAT = "%Y-%m-%d %H:%M:%S"


def cell_for_csv(value: Any) -> str:
    """``value`` as a CSV cell: ``true``/``false``, a time in UTC, and text that a spreadsheet
    shows and never runs as a formula."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(dt_timezone.utc).strftime(TIME_FORMAT)
    if isinstance(value, int):
        return str(value)
    return spreadsheets.defused(value)


def cell_for_xlsx(value: Any) -> Any:
    """``value`` as an XLSX cell: booleans, numbers and times (in UTC, which a cell cannot
    name: the header says so in the docs) as such, text never run as a formula."""
    if isinstance(value, bool | int):
        return value
    if isinstance(value, datetime):
        return value.astimezone(dt_timezone.utc).replace(tzinfo=None)
    return spreadsheets.defused(value)


# The audit row ----------------------------------------------------------------------------------


def crm_export_record(
    *,
    campaign: Campaign,
    by: AbstractBaseUser | None,
    file_format: str,
    kind: str,
    count: int,
    via: str = "workspace",
) -> TeamEvent:
    """Write the team's audit row of an export of ``campaign``'s allies: who, which format and
    file, how many rows (``via``: the workspace or ``manage.py``)."""
    return TeamEvent.objects.create(
        campaign=campaign,
        action=TeamEvent.Action.EXPORTED,
        by=by,
        # Like the import's note: data for the record, in English, as the trail shows it.
        note=f"{kind.upper()}, {file_format}: {count} {'ally' if count == 1 else 'allies'} ({via})",
    )


def file_name(campaign: Campaign, file_format: str, kind: str) -> str:
    """``allies-<slug>-<format>-<date>.<kind>``: the campaign, the format and the day (the
    site's), so that two exports are told apart in a downloads folder."""
    day = timezone.localdate().isoformat()
    return f"allies-{campaign.slug}-{file_format}-{day}.{kind}"


# Files ------------------------------------------------------------------------------------------


class _Line:
    """Where ``csv.writer`` writes a row: handed straight back, so each row is sent as it is
    made instead of piling up in a buffer."""

    def write(self, line: str) -> str:
        return line


def csv_lines(campaign: Campaign, file_format: str) -> Iterator[str]:
    """The CSV file, line by line: the header, then one line per ally (UTF-8 without a byte
    order mark, which the importers would take for part of the first header)."""
    writer = csv.writer(_Line())
    yield writer.writerow(headers(file_format))
    for row in rows(campaign, file_format):
        yield writer.writerow([cell_for_csv(value) for value in row])


def xlsx_bytes(campaign: Campaign, file_format: str) -> bytes:
    """The XLSX workbook: one sheet, the header row frozen, times as dates (in UTC).

    openpyxl's write-only mode keeps only the row being written; the zipped file itself is
    built in memory (a few hundred bytes an ally)."""
    from openpyxl import Workbook  # only the export needs it

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=campaign.slug[:31])
    sheet.freeze_panes = "A2"
    sheet.append(headers(file_format))
    for row in rows(campaign, file_format):
        sheet.append([cell_for_xlsx(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
