"""``/review/import/``: an owner imports the allies who already signed (issue 22).

Upload a CSV and a ZIP of logos, read the report row by row, then import (all rows, or the valid
ones), optionally attesting with a note that the organizations signed by other means; the
worker does the work and the page follows its progress. Owners only: anyone else gets a 404, as
if the page did not exist. Every write goes through ``coalition.imports.services``; a GET
changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from coalition.campaigns import team
from coalition.errors import ServiceError
from coalition.imports import parsing, services
from coalition.imports import report as reports
from coalition.models import AllyImport
from review.access import base_context, reviewer_required

State = AllyImport.State
# How often the progress page reloads itself while the worker imports.
REFRESH_SECONDS = 2


def owner_required(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """Signed in as the workspace wants, and the owner of at least one campaign; else 404."""

    signed_in_view = reviewer_required(view)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not team.campaigns_owned_by(request.user).exists():
            raise Http404
        # Then the workspace's own checks: signed in as the admin wants (the second factor).
        return signed_in_view(request, *args, **kwargs)

    return wrapper


class UploadForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, empty_label=None)
    csv_file = forms.FileField(
        label=_("CSV file"),
        help_text=_(
            "UTF-8, one row per organization, with the columns name, website, country, sector, "
            "contact_email, contact_name, language, statement and logo."
        ),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    logos = forms.FileField(
        label=_("Logos (ZIP)"),
        required=False,
        help_text=_("A ZIP of the logo files the logo column names."),
        widget=forms.ClearableFileInput(attrs={"accept": ".zip,application/zip"}),
    )

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = team.campaigns_owned_by(user).order_by("title")

    def clean_csv_file(self):
        upload = self.cleaned_data["csv_file"]
        if upload.size > parsing.MAX_CSV_BYTES:
            raise forms.ValidationError(
                _("The file is larger than %(limit)s MB. Split it into smaller files."),
                params={"limit": parsing.MAX_CSV_BYTES // (1024 * 1024)},
            )
        return upload


class StartForm(forms.Form):
    attest = forms.BooleanField(
        label=_(
            "These organizations signed by other means (an email, a letter): publish them at "
            "once, without waiting for their confirmation."
        ),
        required=False,
    )
    note = forms.CharField(
        label=_("How they signed"),
        required=False,
        max_length=2000,
        help_text=_(
            "Needed when you tick the box above: how they signed and where their signatures "
            "are. Kept in the audit trail with each approval."
        ),
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self) -> dict:
        cleaned = super().clean()
        if cleaned.get("attest") and not (cleaned.get("note") or "").strip():
            self.add_error("note", _("Say how the organizations signed: the note is needed."))
        return cleaned


@owner_required
@require_http_methods(["GET", "POST"])
def import_upload(request: HttpRequest) -> HttpResponse:
    form = UploadForm(request.POST or None, request.FILES or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            upload = form.cleaned_data["csv_file"]
            try:
                ally_import = services.ally_import_report(
                    campaign=form.cleaned_data["campaign"],
                    by=request.user,
                    file_name=upload.name,
                    data=upload.read(parsing.MAX_CSV_BYTES + 1),
                    archive=form.cleaned_data["logos"],
                )
            except ServiceError as error:
                form.add_error(None, str(error))
            else:
                return redirect("review:import", pk=ally_import.pk)
        status = 400
    recent = AllyImport.objects.filter(
        campaign__in=team.campaigns_owned_by(request.user)
    ).select_related("campaign")[:10]
    return render(
        request,
        "review/import.html",
        {**base_context(request), "form": form, "recent": recent, "columns": parsing.COLUMNS},
        status=status,
    )


def _summary(tally: dict[str, int]) -> list[str]:
    return [
        ngettext("%(count)s row", "%(count)s rows", tally["total"]) % {"count": tally["total"]},
        ngettext(
            "%(count)s organization to create", "%(count)s organizations to create", tally["create"]
        )
        % {"count": tally["create"]},
        ngettext(
            "%(count)s already here, skipped", "%(count)s already here, skipped", tally["skip"]
        )
        % {"count": tally["skip"]},
        ngettext("%(count)s invalid row", "%(count)s invalid rows", tally["invalid"])
        % {"count": tally["invalid"]},
    ]


@owner_required
@require_http_methods(["GET", "POST"])
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    ally_import = get_object_or_404(
        AllyImport.objects.select_related("campaign", "created_by"),
        pk=pk,
        campaign__in=team.campaigns_owned_by(request.user),
    )
    form = StartForm(request.POST or None)
    status = 200
    if request.method == "POST":
        action = request.POST.get("action", "")
        try:
            if action == "cancel":
                services.ally_import_cancel(ally_import=ally_import)
                messages.success(request, _("The import was cancelled: nothing was written."))
                return redirect("review:import-upload")
            if action in ("import", "valid") and form.is_valid():
                services.ally_import_start(
                    ally_import=ally_import,
                    by=request.user,
                    valid_only=action == "valid",
                    attestation=form.cleaned_data["note"] if form.cleaned_data["attest"] else "",
                )
                return redirect("review:import", pk=ally_import.pk)
        except ServiceError as error:
            form.add_error(None, str(error))
        status = 400
    tally = reports.counts(ally_import.report)
    running = ally_import.state in (State.QUEUED, State.RUNNING)
    to_do = tally[reports.CREATE]
    return render(
        request,
        "review/import_report.html",
        {
            **base_context(request),
            "ally_import": ally_import,
            "rows": ally_import.report,
            "tally": tally,
            "summary": _summary(tally),
            "form": form,
            "reported": ally_import.state == State.REPORTED,
            "running": running,
            "refresh": REFRESH_SECONDS if running else None,
            "percent": round(100 * ally_import.rows_done / to_do) if to_do else 100,
            "to_do": to_do,
            "created": ally_import.endorsements.count(),
        },
        status=status,
    )
