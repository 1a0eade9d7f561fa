"""Cells for CSV files that people open in spreadsheet programs."""

from __future__ import annotations

# A spreadsheet runs a cell starting with one of these as a formula (CSV injection).
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "\n")


def defused(value: object) -> str:
    """``value`` as text that a spreadsheet will show, never run as a formula."""
    text = "" if value is None else str(value)
    return f"'{text}" if text.startswith(FORMULA_TRIGGERS) else text
