"""Dates in the workspace's templates: one way for people to read them (``review.wording``), and
the form a ``<time datetime>`` attribute needs."""

from __future__ import annotations

from datetime import date, datetime

from django import template

from review import wording

register = template.Library()


@register.filter
def machine(value: datetime | date | None) -> str:
    """``value`` for a ``datetime`` attribute: a moment in UTC to the second (``…T21:58:12Z``);
    a date as ``YYYY-MM-DD``. HTML allows at most three digits of a second, and ``date:"c"``
    writes six."""
    if value is None or value == "":
        return ""
    return wording.machine(value)


@register.filter
def when(value: datetime | None) -> str:
    """A date and time as the workspace writes it, in the reader's language."""
    return wording.when(value) if value else ""


@register.filter
def day(value: datetime | date | None) -> str:
    """A date as the workspace writes it, in the reader's language."""
    return wording.day(value) if value else ""
