"""``/review/updates/``: a campaign's owners write updates to its allies (issue 23).

The list of updates with each one's progress; a form (the campaign, then a subject and a text
per language, English required); "Send a test to me"; and "Send", after a confirmation page
that says how many allies will receive it. Owners only (superusers, a campaign's owners):
anyone else gets a 404, as if the page did not exist. Every write goes through
``coalition.updates.services``, which asks again who may; a GET changes nothing.
"""

from __future__ import annotations

from django import forms
from django.conf import settings
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import get_language_info, ngettext
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from coalition.campaigns import team
from coalition.models import CampaignUpdate
from coalition.updates import services
from review.access import base_context
from review.imports import owner_required

# How often a page reloads itself while the worker is sending.
REFRESH_SECONDS = 3


class UpdateForm(forms.Form):
    campaign = forms.ModelChoiceField(label=_("Campaign"), queryset=None, empty_label=None)

    def __init__(self, *args, user, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["campaign"].queryset = team.campaigns_owned_by(user).order_by("title")
        for code, _name in settings.LANGUAGES:
            language = get_language_info(code)["name_translated"]
            english = code == services.FALLBACK_LANGUAGE
            self.fields[f"subject_{code}"] = forms.CharField(
                label=_("Subject in %(language)s") % {"language": language},
                max_length=200,
                required=english,
                widget=forms.TextInput(attrs={"lang": code}),
            )
            self.fields[f"body_{code}"] = forms.CharField(
                label=_("Text in %(language)s") % {"language": language},
                required=english,
                strip=False,
                help_text=_(
                    "Plain text: write links in full (https://…), they become clickable. Allies "
                    "who read this language get it; the others get English."
                )
                if english
                else "",
                widget=forms.Textarea(attrs={"rows": 10, "lang": code}),
            )

    def languages(self) -> list[dict[str, object]]:
        """The fields of each language, for the template."""
        return [
            {
                "code": code,
                "subject": self[f"subject_{code}"],
                "body": self[f"body_{code}"],
            }
            for code, _name in settings.LANGUAGES
        ]

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        codes = [code for code, _name in settings.LANGUAGES]
        data = self.cleaned_data
        return (
            {code: data.get(f"subject_{code}", "") for code in codes},
            {code: data.get(f"body_{code}", "") for code in codes},
        )


def _initial(update: CampaignUpdate) -> dict[str, object]:
    initial: dict[str, object] = {"campaign": update.campaign}
    for code, _name in settings.LANGUAGES:
        initial[f"subject_{code}"] = getattr(update, f"subject_{code}") or ""
        initial[f"body_{code}"] = getattr(update, f"body_{code}") or ""
    return initial


def _owned_update(request: HttpRequest, pk: int) -> CampaignUpdate:
    return get_object_or_404(
        CampaignUpdate.objects.select_related("campaign", "created_by", "sent_by"),
        pk=pk,
        campaign__in=team.campaigns_owned_by(request.user),
    )


@owner_required
@require_http_methods(["GET", "HEAD"])
def update_list(request: HttpRequest) -> HttpResponse:
    updates = list(
        CampaignUpdate.objects.filter(campaign__in=team.campaigns_owned_by(request.user))
        .select_related("campaign")
        .order_by("-created_at")[:50]
    )
    rows = [{"update": update, "progress": services.update_progress(update)} for update in updates]
    sending = any(row["progress"].left or row["progress"].failed for row in rows)
    return render(
        request,
        "review/updates.html",
        {
            **base_context(request),
            "rows": rows,
            "refresh": REFRESH_SECONDS if sending else None,
        },
    )


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def update_new(request: HttpRequest) -> HttpResponse:
    form = UpdateForm(request.POST or None, user=request.user)
    status = 200
    if request.method == "POST":
        if form.is_valid():
            subjects, bodies = form.texts()
            try:
                update = services.update_save(
                    campaign=form.cleaned_data["campaign"],
                    by=request.user,
                    subjects=subjects,
                    bodies=bodies,
                )
            except services.UpdateError as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("The update is saved as a draft."))
                return redirect("review:update", pk=update.pk)
        status = 400
    return render(
        request,
        "review/update.html",
        {**base_context(request), "form": form, "update": None},
        status=status,
    )


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def update_detail(request: HttpRequest, pk: int) -> HttpResponse:
    update = _owned_update(request, pk)
    draft = update.sent_at is None
    form = UpdateForm(
        request.POST if request.method == "POST" else None,
        initial=_initial(update),
        user=request.user,
    )
    status = 200
    if request.method == "POST" and draft:
        action = request.POST.get("action", "save")
        if form.is_valid():
            subjects, bodies = form.texts()
            try:
                # What is on the screen is what is tried or sent: saved first.
                update = services.update_save(
                    campaign=form.cleaned_data["campaign"],
                    by=request.user,
                    subjects=subjects,
                    bodies=bodies,
                    update=update,
                )
                if action == "test":
                    sent = services.update_test_send(update=update, by=request.user)
                    messages.success(
                        request,
                        ngettext(
                            "A test was sent to %(address)s (%(count)s language).",
                            "A test was sent to %(address)s (%(count)s languages).",
                            len(sent),
                        )
                        % {"address": request.user.email, "count": len(sent)},
                    )
                    return redirect("review:update", pk=update.pk)
                if action == "send":
                    return redirect("review:update-send", pk=update.pk)
                messages.success(request, _("The update is saved as a draft."))
                return redirect("review:update", pk=update.pk)
            except services.UpdateError as error:
                form.add_error(None, str(error))
        status = 400
    elif request.method == "POST":
        status = 400
        messages.error(request, _("This update was sent already and can no longer be changed."))
    progress = services.update_progress(update)
    return render(
        request,
        "review/update.html",
        {
            **base_context(request),
            "form": form,
            "update": update,
            "draft": draft,
            "progress": progress,
            "written_languages": services.written_in(update),
            "refresh": REFRESH_SECONDS
            if not draft and (progress.left or progress.failed)
            else None,
        },
        status=status,
    )


@owner_required
@require_http_methods(["GET", "HEAD", "POST"])
def update_send(request: HttpRequest, pk: int) -> HttpResponse:
    """The confirmation step: how many allies will receive the update, then Send."""
    update = _owned_update(request, pk)
    if update.sent_at is not None:
        if request.method == "POST":
            # Send pressed again (a second tab, Back then Send): said, and nothing more is sent.
            messages.info(request, services.ALREADY_SENT)
        return redirect("review:update", pk=update.pk)
    error = ""
    if request.method == "POST":
        try:
            queued = services.update_send(update=update, by=request.user)
        except services.UpdateError as refusal:
            error = str(refusal)
        else:
            messages.success(
                request,
                ngettext(
                    "The update is on its way to %(count)s ally.",
                    "The update is on its way to %(count)s allies.",
                    queued,
                )
                % {"count": queued},
            )
            return redirect("review:update", pk=update.pk)
    count = services.recipients(update.campaign).count()
    return render(
        request,
        "review/update_send.html",
        {
            **base_context(request),
            "update": update,
            "count": count,
            "count_text": ngettext(
                "This update will be sent to %(count)s ally who asked for updates.",
                "This update will be sent to %(count)s allies who asked for updates.",
                count,
            )
            % {"count": count},
            "error": error,
            "per_minute": settings.UPDATES_PER_MINUTE,
        },
        status=400 if error else 200,
    )
