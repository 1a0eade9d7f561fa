"""The workspace's sections, as its navigation lists them.

A new part of the workspace (the campaign dashboard, domain proofs) adds its URL name and label
here and its template extends ``review/base.html``; nothing else needs to change.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Section:
    url_name: str
    label: Promise
    # URL names that belong to the section, so that it shows as the current one there.
    also: tuple[str, ...] = ()


SECTIONS: list[Section] = [
    Section(
        "review:queue",
        _("Queue"),
        also=(
            "review:changes",
            "review:reported",
            "review:decided",
            "review:decision",
            "review:take-over",
        ),
    ),
    Section("review:dashboard", _("Dashboard")),
]


def sections(request: HttpRequest) -> list[dict[str, object]]:
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    return [
        {
            "url": reverse(section.url_name),
            "label": section.label,
            "current": current == section.url_name or current in section.also,
        }
        for section in SECTIONS
    ]
