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

from coalition.campaigns import team


@dataclass(frozen=True)
class Section:
    url_name: str
    label: Promise
    # URL names that belong to the section, so that it shows as the current one there.
    also: tuple[str, ...] = ()
    # Shown only to the owners of a campaign (``coalition.campaigns.team``).
    owners_only: bool = False


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
    Section(
        "review:campaigns",
        _("Campaigns"),
        also=("review:campaign", "review:campaign-private-link"),
        owners_only=True,
    ),
    Section("review:import-upload", _("Import allies"), also=("review:import",), owners_only=True),
    Section(
        "review:team",
        _("Team"),
        also=("review:team-campaign", "review:team-remove"),
        owners_only=True,
    ),
    Section(
        "review:updates",
        _("Updates"),
        also=("review:update-new", "review:update", "review:update-send"),
        owners_only=True,
    ),
]


def sections(request: HttpRequest) -> list[dict[str, object]]:
    match = getattr(request, "resolver_match", None)
    current = match.view_name if match else ""
    owner = None  # asked once, and only when a section needs it
    shown = []
    for section in SECTIONS:
        if section.owners_only:
            if owner is None:
                owner = team.campaigns_owned_by(request.user).exists()
            if not owner:
                continue
        shown.append(section)
    return [
        {
            "url": reverse(section.url_name),
            "label": section.label,
            "current": current == section.url_name or current in section.also,
        }
        for section in shown
    ]
