"""After applying: the "check your email" page, reached by a redirect (Post/Redirect/Get), so that
reloading it or going Back never sends the application again.

The page names the application it follows from a short-lived signed cookie (its public id and
the form's one-time submission id), scoped to the form's own path: no personal data in a URL,
nothing stored on the server, and no cookie on the public pages that a shared cache keeps. The
same submission id sent again is the same application: it goes straight to this page.
"""

from __future__ import annotations

import re
import secrets

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_safe

from coalition.jobs import outbox
from coalition.models import Campaign, Endorsement
from public_site.views.shortcuts import campaign_to_apply_to_or_404

COOKIE = "coalition_applied"
_SALT = "coalition.applied"
# Long enough to read the page and come back to it; the mail holds everything needed after.
MAX_AGE = 3600
FIELD_NAME = "submission"
_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")


def submission_id(request: HttpRequest) -> str:
    """The form's one-time submission id: the one it was sent with (kept while the person
    corrects mistakes), else a new one."""
    sent = request.POST.get(FIELD_NAME, "") if request.method == "POST" else ""
    return sent if _SUBMISSION.match(sent) else secrets.token_urlsafe(16)


def _recalled(request: HttpRequest) -> tuple[str, str]:
    """The public id and submission id this browser applied with lately, or two ``""``."""
    value = request.get_signed_cookie(COOKIE, default="", salt=_SALT, max_age=MAX_AGE)
    public_id, _sep, submission = value.partition(":")
    return public_id, submission


def _recalled_endorsement(request: HttpRequest, campaign: Campaign) -> Endorsement | None:
    public_id, _submission = _recalled(request)
    if not public_id:
        return None
    return (
        Endorsement.objects.filter(public_id=public_id, campaign=campaign)
        .select_related("organization", "campaign")
        .first()
    )


def repeated(request: HttpRequest, submission: str) -> bool:
    """Whether this form (its submission id) has made an application already."""
    public_id, sent = _recalled(request)
    return bool(public_id) and secrets.compare_digest(sent, submission)


def done_path(campaign: Campaign, slug: str | None) -> str:
    """The "check your email" page of the form of ``campaign`` (``slug`` ``None``: the
    default campaign's form, at ``/apply/``), in the active language."""
    if slug is None:
        return reverse("apply-done-default")
    return reverse("apply-done", args=[campaign.slug])


def redirect_to_done(campaign: Campaign, slug: str | None) -> HttpResponse:
    return HttpResponseRedirect(done_path(campaign, slug), status=303)


def to_done_page(
    request: HttpRequest,
    *,
    campaign: Campaign,
    slug: str | None,
    endorsement: Endorsement,
    submission: str,
) -> HttpResponse:
    """The answer to a form that made (or had made) ``endorsement``: a redirect to the "check
    your email" page, remembering the application for it."""
    response = redirect_to_done(campaign, slug)
    response.set_signed_cookie(
        COOKIE,
        f"{endorsement.public_id}:{submission}",
        salt=_SALT,
        max_age=MAX_AGE,
        # The form's path: sent back with the form and its "check your email" page only.
        path=request.path,
        secure=settings.SESSION_COOKIE_SECURE,
        httponly=True,
        samesite="Lax",
    )
    return response


@require_safe
def done(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    """The "check your email" page: the address the link went to when this browser just
    applied; the same words without it otherwise (another browser, or an hour later)."""
    # Before the campaign's launch, by the private link its form was opened with.
    campaign, _previewing = campaign_to_apply_to_or_404(request, slug)
    endorsement = _recalled_endorsement(request, campaign)
    context = {
        "campaign": campaign,
        "endorsement": endorsement,
        "mail_delayed": endorsement is not None and outbox.outbox_delayed(),
    }
    response = render(request, "coalition/apply_done.html", context)
    # It names the contact's address: kept out of every cache, its URL sent to no other site.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "same-origin"
    return response
