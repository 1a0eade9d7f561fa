"""An import's report, row by row: what will be created, what is invalid and why, and what each
row matches (an application already there, the same domain or registry ID elsewhere, a
lookalike of an approved ally, the same website twice in the file).

A row is checked as the public application form checks its fields, with the form's own
messages (``row_fields``: the domain's validators and the logo pipeline, the same words), so that a
contact and an owner read one language of refusals. The report is plain JSON (stored on the
``AllyImport``): one dict per row with ``line``, ``name``, ``website``, ``action`` (``create``,
``skip``, ``invalid``), ``problems`` (column and message), ``matches`` (sentences) and, for a
row to create, ``data`` (its cleaned values, which is what the worker imports).
"""

from __future__ import annotations

import io
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _
from django_countries import countries

from coalition.endorsements import characters
from coalition.images import logos
from coalition.imports.parsing import LogoSource, Row
from coalition.models import (
    STATEMENT_MAX_LENGTH,
    Campaign,
    Endorsement,
    Organization,
    Sector,
    email_domain_matches,
    normalize_website,
    registrable_domain,
)
from coalition.reviewing import evidence

CREATE, SKIP, INVALID = "create", "skip", "invalid"


# The row, checked as the application form checks it ---------------------------------------


def _refuse_control_characters(value: str) -> str:
    # The public form's rule and words (public_site.forms): no bidi overrides or NULs.
    if value and characters.invisible_characters(value):
        raise ValidationError(
            _("Remove the invisible control characters from this field."), code="control"
        )
    return value


class _TextField(forms.CharField):
    def to_python(self, value):
        return _refuse_control_characters(super().to_python(value))


class _LineField(_TextField):
    def to_python(self, value):
        value = super().to_python(value)
        if value and ("\n" in value or "\r" in value):
            raise ValidationError(_("Keep this on one line."), code="newline")
        return value


class _WebsiteField(forms.CharField):
    def to_python(self, value):
        value = super().to_python(value)
        if not value:
            return value
        _refuse_control_characters(value)
        return normalize_website(value)


class _SectorField(forms.Field):
    """A sector's id among ``ids``, refused with the form's own words (``ModelChoiceField``'s)
    without a query per row."""

    default_error_messages = {
        "invalid_choice": forms.ModelChoiceField.default_error_messages["invalid_choice"]
    }

    def __init__(self, ids: set[int], **kwargs) -> None:
        super().__init__(**kwargs)
        self.ids = ids

    def to_python(self, value):
        if value in self.empty_values:
            return None
        if value not in self.ids:
            raise ValidationError(self.error_messages["invalid_choice"], code="invalid_choice")
        return value


def row_fields(sectors: dict[str, int]) -> dict[str, forms.Field]:
    """The application form's fields that a CSV row carries, with its limits and messages:
    made once per report and asked row by row (a form per row would copy every field, the
    list of countries with it, a thousand times)."""
    return {
        "name": _LineField(max_length=200),
        "website": _WebsiteField(max_length=300),
        "country": forms.ChoiceField(choices=countries),
        "sector": _SectorField(set(sectors.values())),
        "registry_id": _LineField(required=False, max_length=64),
        "statement": _TextField(required=False, max_length=STATEMENT_MAX_LENGTH),
        "contact_name": _LineField(max_length=200),
        "contact_email": forms.EmailField(max_length=254),
        "language": forms.ChoiceField(choices=settings.LANGUAGES),
    }


# How the cells name a country, a sector and a language ------------------------------------


def _country_code(value: str) -> str:
    """ISO code (two or three letters) or English name; unknown values pass through, to meet
    the form's own "Select a valid choice"."""
    value = value.strip()
    return countries.alpha2(value) or countries.by_name(value) or value


def _sector_index() -> dict[str, int]:
    """Each sector by its slug and by its name in every language, folded."""
    index: dict[str, int] = {}
    codes = [code for code, _name in settings.LANGUAGES]
    for sector in Sector.objects.all():
        index.setdefault(sector.slug.casefold(), sector.pk)
        for code in codes:
            name = getattr(sector, f"name_{code}", "") or ""
            if name:
                index.setdefault(name.strip().casefold(), sector.pk)
    return index


def _language_code(value: str) -> str:
    value = value.strip()
    if not value:
        return settings.LANGUAGE_CODE
    folded = value.casefold()
    for code, _name in settings.LANGUAGES:
        info = translation.get_language_info(code)
        if folded in (code, info["name"].casefold(), info["name_local"].casefold()):
            return code
    return value


# The report -------------------------------------------------------------------------------


@dataclass
class RowReport:
    line: int
    name: str
    website: str
    action: str = CREATE
    problems: list[dict[str, str]] = field(default_factory=list)
    matches: list[str] = field(default_factory=list)
    data: dict[str, Any] = field(default_factory=dict)

    def problem(self, column: str, message: str) -> None:
        self.problems.append({"column": column, "message": message})

    def as_json(self) -> dict[str, Any]:
        return {
            "line": self.line,
            "name": self.name,
            "website": self.website,
            "action": INVALID if self.problems else self.action,
            "problems": self.problems,
            "matches": self.matches,
            "data": self.data if not self.problems and self.action == CREATE else {},
        }


def _check_logo(report: RowReport, name: str, source: LogoSource) -> None:
    """The logo is there and the pipeline's checks of its size, format and dimensions pass;
    else the refusal is on the row. Its pixels are decoded when it is stored (the worker):
    a file broken past its header fails its row then."""
    if not name:
        report.problem("logo", str(forms.Field.default_error_messages["required"]))
        return
    data = source.read(name)
    if data is None:
        report.problem(
            "logo", _("There is no file named %(name)s among the logos.") % {"name": name}
        )
        return
    try:
        logos.validate_header(io.BytesIO(data))
    except ValidationError as error:
        for message in error.messages:
            report.problem("logo", message)


def check_row(
    row: Row,
    *,
    source: LogoSource,
    sectors: dict[str, int],
    fields: dict[str, forms.Field] | None = None,
    check_logo: bool = True,
) -> RowReport:
    """One row against the form's rules and the logo pipeline."""
    fields = fields or row_fields(sectors)
    cells = row.cells
    report = RowReport(line=row.line, name=cells["name"], website=cells["website"])
    data = {
        **cells,
        "country": _country_code(cells["country"]),
        "sector": sectors.get(cells["sector"].casefold(), cells["sector"] or ""),
        "language": _language_code(cells["language"]),
    }
    cleaned: dict[str, Any] = {}
    for column, checker in fields.items():
        try:
            cleaned[column] = checker.clean(data[column])
        except ValidationError as error:
            for message in error.messages:
                report.problem(column, message)
    if check_logo:
        _check_logo(report, cells["logo"], source)
    if report.problems:
        return report
    report.website = cleaned["website"]
    report.data = {
        "name": cleaned["name"],
        "website": cleaned["website"],
        "domain": registrable_domain(cleaned["website"]),
        "country": cleaned["country"],
        "sector": cleaned["sector"],
        "registry_id": cleaned["registry_id"],
        "statement": cleaned["statement"],
        "contact_name": cleaned["contact_name"],
        "contact_email": cleaned["contact_email"],
        "language": cleaned["language"],
        "logo": cells["logo"],
    }
    return report


def _status_label(status: str) -> str:
    return str(Endorsement.Status(status).label)


def _match_existing(report: RowReport, *, campaign: Campaign, organizations: list) -> None:
    """What the row's domain and registry ID meet among the organizations already here."""
    domain = report.data["domain"]
    registry_id = evidence.normalize_registry_id(report.data["registry_id"])
    for organization in organizations:
        same_domain = organization.domain == domain
        if not same_domain and not (
            registry_id and evidence.normalize_registry_id(organization.registry_id) == registry_id
        ):
            continue
        for endorsement in organization.endorsements.all():
            here = endorsement.campaign_id == campaign.pk and same_domain
            if here and endorsement.imported_in_id is not None:
                report.action = SKIP
                report.matches.append(
                    _("Already imported: %(name)s (%(status)s).")
                    % {"name": organization.name, "status": _status_label(endorsement.status)}
                )
            elif here and endorsement.status in Endorsement.LIVE_STATUSES:
                report.action = SKIP
                report.matches.append(
                    _("Already applied: %(name)s (%(status)s).")
                    % {"name": organization.name, "status": _status_label(endorsement.status)}
                )
            elif same_domain:
                report.matches.append(
                    _("Same domain as %(name)s (%(campaign)s, %(status)s).")
                    % {
                        "name": organization.name,
                        "campaign": endorsement.campaign.title,
                        "status": _status_label(endorsement.status),
                    }
                )
            else:
                report.matches.append(
                    _("Same registry ID as %(name)s (%(campaign)s, %(status)s).")
                    % {
                        "name": organization.name,
                        "campaign": endorsement.campaign.title,
                        "status": _status_label(endorsement.status),
                    }
                )


def _match_lookalikes(report: RowReport, approved: dict) -> None:
    data = report.data
    organization = Organization(name=data["name"], website=data["website"], domain=data["domain"])
    for flag in evidence.lookalike_flags(organization, approved):
        for match in flag.matches:
            if match.get("domain") == data["domain"]:
                continue  # the same domain is said above
            report.matches.append(
                _("Looks like %(name)s (%(domain)s), already on a wall.")
                % {"name": match["name"], "domain": match["domain"]}
            )


def build(
    *, campaign: Campaign, rows: list[Row], source: LogoSource, check_logos: bool = True
) -> list[dict[str, Any]]:
    """The report of ``rows`` for ``campaign``: every row checked, then matched."""
    sectors = _sector_index()
    fields = row_fields(sectors)
    reports = [
        check_row(row, source=source, sectors=sectors, fields=fields, check_logo=check_logos)
        for row in rows
    ]
    valid = [report for report in reports if report.data and not report.problems]

    # Inside the file: the same registrable domain twice is one organization twice.
    first_line: dict[str, int] = {}
    for report in valid:
        domain = report.data["domain"]
        if domain in first_line:
            report.problem(
                "website",
                _("The same website as line %(line)s: one organization, imported once.")
                % {"line": first_line[domain]},
            )
        else:
            first_line[domain] = report.line
    valid = [report for report in valid if not report.problems]

    domains = {report.data["domain"] for report in valid}
    registry_ids = {report.data["registry_id"] for report in valid if report.data["registry_id"]}
    organizations = list(
        Organization.objects.filter(
            Q(domain__in=domains) | Q(registry_id__in=registry_ids)
        ).prefetch_related("endorsements__campaign")
    )
    approved = evidence.approved_allies() if valid else {}
    for report in valid:
        nearby = [
            organization
            for organization in organizations
            if organization.domain == report.data["domain"]
            or (report.data["registry_id"] and organization.registry_id)
        ]
        _match_existing(report, campaign=campaign, organizations=nearby)
        if report.action == CREATE:
            _match_lookalikes(report, approved)
            if not email_domain_matches(report.data["contact_email"], report.data["domain"]):
                report.data["domain_verified"] = False
            else:
                report.data["domain_verified"] = True
    return [report.as_json() for report in reports]


def counts(report: list[dict[str, Any]]) -> dict[str, int]:
    """How many rows will be created, skipped, or are invalid."""
    tally = Counter(row["action"] for row in report)
    return {
        "total": len(report),
        CREATE: tally[CREATE],
        SKIP: tally[SKIP],
        INVALID: tally[INVALID],
        "valid": tally[CREATE] + tally[SKIP],
    }
