"""``/review/campaigns/<slug>/export.csv`` and ``export.xlsx``: a campaign's approved allies with
their contacts, consents and sources, for its owners' CRM (``?format=`` one of
``coalition.endorsements.crm_export.FORMATS``).

Only a campaign's owners and superusers export: the file holds every contact's name and address
and leaves the site with whoever downloads it, which is the owner's decision, as sending updates
is. Its reviewers decide applications one by one and see each contact there; they do not need
them all at once (``docs/crm-export.md``). Anyone else gets the workspace's 404 for the
campaign, as for one that does not exist. Every export writes the team's audit row first.

The CSV streams, row by row, from one query; the XLSX is built in openpyxl's write-only mode.
Neither is kept by any cache (``reviewer_required`` says ``private, no-store``).
"""

from __future__ import annotations

from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBase,
    StreamingHttpResponse,
)
from django.shortcuts import get_object_or_404
from django.utils.translation import gettext
from django.views.decorators.http import require_GET

from coalition.campaigns import team
from coalition.endorsements import crm_export
from coalition.models import Campaign
from review.access import reviewer_required

XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _owned_or_404(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(Campaign, slug=slug)
    if not team.may_own(request.user, campaign):
        # Not "forbidden": whether another campaign exists is not for them to learn.
        raise Http404
    return campaign


def _bad_format(file_format: str) -> HttpResponse:
    message = gettext("Unknown format “%(format)s”. Choose one of: %(formats)s.") % {
        "format": file_format[:40],
        "formats": ", ".join(crm_export.FORMATS),
    }
    return HttpResponse(message, status=400, content_type="text/plain; charset=utf-8")


# GET only (not HEAD): every answer is an export, and writes its audit row.
@require_GET
@reviewer_required
def export_allies(request: HttpRequest, slug: str, kind: str) -> HttpResponseBase:
    campaign = _owned_or_404(request, slug)
    file_format = request.GET.get("format", crm_export.DEFAULT_FORMAT)
    if file_format not in crm_export.FORMATS:
        return _bad_format(file_format)
    crm_export.crm_export_record(
        campaign=campaign,
        by=request.user,
        file_format=file_format,
        kind=kind,
        count=crm_export.allies_for_export(campaign).count(),
    )
    name = crm_export.file_name(campaign, file_format, kind)
    response: HttpResponseBase
    if kind == "csv":
        response = StreamingHttpResponse(
            crm_export.csv_lines(campaign, file_format), content_type="text/csv; charset=utf-8"
        )
    else:
        response = HttpResponse(
            crm_export.xlsx_bytes(campaign, file_format), content_type=XLSX_TYPE
        )
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response
