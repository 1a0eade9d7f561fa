"""``/share/mastodon/``: sharing on Mastodon, which has no single page for a post (each person
posts from their own server). The page asks for the server and sends the browser to its
``/share`` page with the text (``coalition.campaigns.sharing``).

The server is sent by POST, with the form's CSRF token: a link cannot make this site redirect
anyone anywhere, and the address redirected to is always ``https://<a host name>/share``, built
from a host name checked here (no scheme, port, IP address or path of the visitor's choosing).
No script: the form works as it is.
"""

from __future__ import annotations

from csp.decorators import csp_update
from django import forms
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from coalition.campaigns import sharing


class MastodonShareForm(forms.Form):
    text = forms.CharField(
        label=_("Your post"),
        max_length=sharing.SHARE_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    instance = forms.CharField(
        label=_("Your Mastodon server"),
        help_text=_("The address of the server you post from, such as mastodon.social."),
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "url",
                "inputmode": "url",
                "autocapitalize": "none",
                "spellcheck": "false",
                "placeholder": "mastodon.social",
            }
        ),
    )

    def clean_text(self) -> str:
        text = self.cleaned_data["text"]
        problem = text_problem(text)
        if problem:
            raise ValidationError(problem)
        return text

    def clean_instance(self) -> str:
        host = sharing.mastodon_host(self.cleaned_data["instance"])
        if host is None:
            raise ValidationError(
                _(
                    "Enter the name of your server, such as mastodon.social (no IP address, "
                    "port or other address)."
                )
            )
        return host


def text_problem(text: str) -> str:
    """What is wrong with the text of a post, or ``""``."""
    if len(text) > sharing.SHARE_TEXT_MAX_LENGTH:
        return str(
            _("The post is longer than %(max)d characters.")
            % {"max": sharing.SHARE_TEXT_MAX_LENGTH}
        )
    if any(ord(character) < 32 and character not in "\n\r\t" for character in text):
        return str(_("The post holds characters that cannot be sent."))
    return ""


@require_http_methods(["GET", "HEAD", "POST"])
# The site's forms post to itself only (``form-action 'self'``), and browsers hold a form's
# redirect to that too: this one's leads on to the visitor's server, over HTTPS.
@csp_update({"form-action": ["https:"]})
def mastodon(request: HttpRequest) -> HttpResponse:
    status = 200
    context: dict[str, object] = {}
    if request.method == "POST":
        form = MastodonShareForm(request.POST)
        if form.is_valid():
            data = form.cleaned_data
            # 303: the browser GETs the server's page, whatever this was.
            response = HttpResponseRedirect(
                sharing.mastodon_share_url(data["instance"], data["text"])
            )
            response.status_code = 303
            return _private(response)
        status = 400
    else:
        # What a share link brings: shown to be sent, or said to be wrong (never cut silently).
        text = request.GET.get("text", "")
        problem = text_problem(text)
        form = MastodonShareForm(initial={"text": "" if problem else text})
        if problem:
            status = 400
            context["problem"] = problem
    context["form"] = form
    return _private(render(request, "coalition/share_mastodon.html", context, status=status))


def _private(response: HttpResponse) -> HttpResponse:
    # Its form carries a CSRF token, and what it redirects to is the visitor's own server.
    patch_cache_control(response, private=True, no_store=True)
    # Not no-referrer: Chromium would then send its form with "Origin: null", which the CSRF
    # check refuses.
    response["Referrer-Policy"] = "same-origin"
    return response
