"""``/review/shortcuts/``: each reviewer chooses how the workspace's keyboard shortcuts work —
single keys, with the Alt key, or off (WCAG 2.2 SC 2.1.4). The choice is kept on the server
(``coalition.reviewing.preferences``); every page of the workspace hands it to review.js."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from coalition import services
from coalition.reviewing import preferences
from review.access import base_context, reviewer_required

Shortcuts = preferences.Shortcuts

# What each choice does, as the reviewer chooses it (the model's labels are short, for lists).
CHOICES = [
    (
        Shortcuts.SINGLE_KEY,
        _("Single keys: j and k move through the queue, a approves, r rejects."),
    ),
    (
        Shortcuts.ALT,
        _("With the Alt key: Alt+j, Alt+k, Alt+a and Alt+r (Option on a Mac)."),
    ),
    (
        Shortcuts.OFF,
        _("Off: keys do only what the browser and your assistive technology make them do."),
    ),
]


class ShortcutsForm(forms.Form):
    shortcuts = forms.ChoiceField(
        label=_("How the shortcuts work"),
        choices=CHOICES,
        widget=forms.RadioSelect,
        help_text=_(
            "Kept for your account, on every computer. Enter still opens the link in focus."
        ),
        error_messages={"required": _("Choose how the keyboard shortcuts work.")},
    )


@require_http_methods(["GET", "HEAD", "POST"])
@reviewer_required
def shortcuts(request: HttpRequest) -> HttpResponse:
    context = base_context(request)
    status = 200
    if request.method == "POST":
        form = ShortcutsForm(request.POST)
        if form.is_valid():
            services.reviewer_settings_update(
                reviewer=request.user, shortcuts=form.cleaned_data["shortcuts"]
            )
            messages.success(request, _("Your keyboard shortcuts are saved."))
            return redirect("review:shortcuts")
        status = 400
    else:
        form = ShortcutsForm(initial={"shortcuts": context["shortcuts"]})
    return render(request, "review/shortcuts.html", {**context, "form": form}, status=status)
