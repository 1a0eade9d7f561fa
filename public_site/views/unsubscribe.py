"""``/unsubscribe/<token>/``: stop the updates about a campaign (``coalition.updates``).

The link every update carries, in its footer and in its ``List-Unsubscribe`` header. A GET only
asks, with a button: mail gateways' link scanners follow every link and must not unsubscribe
anyone. A POST unsubscribes, whatever its body: the button's, or RFC 8058's one-click
``List-Unsubscribe=One-Click`` that a mail provider sends on the reader's behalf, with no cookie
and no CSRF token, so this one view is exempt from the CSRF check (the signed token in the URL is
what authorizes it, and it can do nothing but stop updates). Saying it twice is no error. Mail
about the contact's own application still goes.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import translation
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_http_methods

from coalition.endorsements import tokens
from coalition.updates import services as updates
from public_site.views.applicant import private_page


@csrf_exempt
@require_http_methods(["GET", "HEAD", "POST"])
def unsubscribe(request: HttpRequest, token: str) -> HttpResponse:
    try:
        endorsement = tokens.endorsement_from_unsubscribe_token(token)
    except tokens.InvalidLink:
        # Forged, cut short, or the application is gone (retention): nothing to stop.
        return private_page(
            render(request, "coalition/unsubscribe.html", {"invalid": True}, status=404)
        )
    done = False
    if request.method == "POST":
        updates.updates_choice_change(endorsement=endorsement, wanted=False)
        done = True
    # The contact's language, not the browser's: the address is the same for everyone.
    with translation.override(endorsement.preferred_language):
        response = render(
            request,
            "coalition/unsubscribe.html",
            {
                "endorsement": endorsement,
                "campaign": endorsement.campaign,
                "organization": endorsement.organization,
                "done": done,
                "subscribed": endorsement.updates_opt_in,
            },
        )
    return private_page(response)
