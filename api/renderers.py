"""The allies list as CSV, for people who work in spreadsheets, and the choice of format."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework.negotiation import DefaultContentNegotiation
from rest_framework.renderers import BaseRenderer

from api.errors import ParameterError
from coalition.web.spreadsheets import defused

COLUMNS = (
    "id",
    "name",
    "website",
    "country_code",
    "country_name",
    "sector_slug",
    "sector_name",
    "sector_parent",
    "logo_png",
    "logo_webp",
    "logo_png_2x",
    "logo_webp_2x",
    "logo_width",
    "logo_height",
    "statement",
    "verified",
    "verification",
    "approved_at",
)


def safe_cell(value: Any) -> Any:
    """``value``, defused when a spreadsheet would take it for a formula."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return defused(value) if isinstance(value, str) or value is None else value


def ally_row(ally: dict[str, Any]) -> list[Any]:
    """One ally as serialized for JSON, flattened into the CSV columns."""
    country = ally.get("country") or {}
    sector = ally.get("sector") or {}
    logo = ally.get("logo") or {}
    row = {
        "id": ally.get("id"),
        "name": ally.get("name"),
        "website": ally.get("website"),
        "country_code": country.get("code"),
        "country_name": country.get("name"),
        "sector_slug": sector.get("slug"),
        "sector_name": sector.get("name"),
        "sector_parent": sector.get("parent"),
        "logo_png": logo.get("png"),
        "logo_webp": logo.get("webp"),
        "logo_png_2x": logo.get("png_2x"),
        "logo_webp_2x": logo.get("webp_2x"),
        "logo_width": logo.get("width"),
        "logo_height": logo.get("height"),
        "statement": ally.get("statement"),
        "verified": ally.get("verified"),
        # How the domain was proven ("email", "dns", "well-known"); empty when it is not.
        "verification": ally.get("verification") or "",
        "approved_at": ally.get("approved_at"),
    }
    return [safe_cell(row[column]) for column in COLUMNS]


class AllyCSVRenderer(BaseRenderer):
    """Renders a page of allies (the ``results`` of the JSON list) as CSV."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type=None, renderer_context=None) -> bytes:
        results = data.get("results", []) if isinstance(data, dict) else (data or [])
        buffer = io.StringIO()
        # A byte order mark, so that Excel reads the file as UTF-8 (names have accents).
        buffer.write("\ufeff")
        writer = csv.writer(buffer)
        writer.writerow(COLUMNS)
        writer.writerows(ally_row(ally) for ally in results)
        response = (renderer_context or {}).get("response")
        if response is not None:
            response["Content-Disposition"] = 'attachment; filename="allies.csv"'
        return buffer.getvalue().encode(self.charset)


class ApiContentNegotiation(DefaultContentNegotiation):
    """DRF's negotiation, with an unknown ``?format=`` as a 400 naming it rather than a 404."""

    def filter_renderers(self, renderers, format):
        matching = [renderer for renderer in renderers if renderer.format == format]
        if not matching:
            formats = ", ".join(renderer.format for renderer in renderers)
            raise ParameterError(
                "format",
                _("“%(format)s” is not a format of this endpoint, which offers %(formats)s.")
                % {"format": str(format)[:20], "formats": formats},
            )
        return matching
