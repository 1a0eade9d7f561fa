"""The applicant's pages: the application form, and the pages reached through the signed links
of the mails (confirm, "this wasn't us", manage, the data download, withdraw).

A page reached through a signed link is a ``token_page``: the link is checked once there, and
its response is a ``private_page``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from urllib.parse import urlencode

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from coalition import services
from coalition.campaigns import badge, dates, sharing
from coalition.campaigns import page as campaign_page
from coalition.endorsements import resubmission, sources, tokens
from coalition.models import Campaign, Endorsement, OrganizationVersion
from coalition.proofs import services as proofs
from coalition.updates import services as updates
from coalition.wall.parameters import QueryError
from coalition.web import ratelimit
from public_site.forms import (
    ApplicationForm,
    ManageForm,
    ResendForm,
    UpdatesChoiceForm,
    WithdrawForm,
)
from public_site.views import applied
from public_site.views.shortcuts import campaign_to_apply_to_or_404, private_preview


def _rate_limited(request: HttpRequest, setting: str, scope: str) -> int | None:
    """Count a hit against ``settings.<setting>``; the window in seconds when it is over."""
    limit, window = getattr(settings, setting)
    return (
        window if ratelimit.over_limit(request, scope=scope, limit=limit, window=window) else None
    )


@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    # Before its launch, a campaign's form opens only through the owners' private link.
    campaign, previewing = campaign_to_apply_to_or_404(request, slug)
    if not campaign_page.takes_applications(campaign):
        # Closed by hand or past its deadline: the page says so (with the date, for a
        # deadline), and a form sent anyway is refused with the same page, nothing stored.
        deadline = campaign_page.deadline(campaign)
        context = {
            "campaign": campaign,
            "deadline": deadline if deadline and deadline.closed else None,
        }
        status = 410 if request.method == "POST" else 200
        response = render(request, "coalition/apply_closed.html", context, status=status)
        return private_preview(response) if previewing else response
    status = 200
    retry_after = None
    # Where the applicant came from (the link's ref and UTM parameters), carried signed through
    # the form's POST and stored with the application; never shown publicly.
    if request.method == "POST":
        source = sources.unsign(request.POST.get(sources.FIELD_NAME))
    else:
        # The link's own; else those of the page of this site that linked here, for a browser
        # that ran no script (its Sign on link is the same for everyone).
        source = sources.clean(request.GET) or sources.from_referer(
            request.headers.get("Referer"), host=request.get_host()
        )
    # One id per form, kept while it is corrected: the same form sent again (Back, then Send)
    # is the application it made, answered with its "check your email" page.
    submission = applied.submission_id(request)
    if request.method == "POST" and applied.repeated(request, submission):
        return applied.redirect_to_done(campaign, slug)
    if request.method == "POST":
        form = ApplicationForm(request.POST, request.FILES)
        # Two limits: attempts (generous, so that correcting mistakes never locks anyone out)
        # and accepted applications. A refused submission is shown again as it was typed.
        retry_after = _rate_limited(request, "APPLY_ATTEMPT_RATE_LIMIT", "apply-attempt")
        if retry_after is None and form.is_valid():
            retry_after = _rate_limited(request, "APPLY_RATE_LIMIT", "apply")
        if retry_after is not None:
            form.add_error(None, ratelimit.refusal_message(retry_after))
            status = 429
        elif form.is_valid():
            data = form.cleaned_data
            try:
                endorsement, _email = services.endorsement_apply(
                    campaign=campaign,
                    name=data["name"],
                    website=data["website"],
                    country=data["country"],
                    sector=data["sector"],
                    logo=data["logo"],
                    registry_id=data["registry_id"],
                    statement=data["statement"],
                    statement_translations=form.statement_translations(),
                    contact_name=data["contact_name"],
                    contact_role=data["contact_role"],
                    contact_email=data["contact_email"],
                    preferred_language=data["preferred_language"],
                    consent_authority=data["consent_authority"],
                    consent_publish=data["consent_publish"],
                    source=source,
                    # The words of the boxes as this page showed them, in its language.
                    consent_authority_words=str(form.fields["consent_authority"].label),
                    consent_publish_words=str(form.fields["consent_publish"].label),
                    consent_language=get_language() or settings.LANGUAGE_CODE,
                    updates_opt_in=data["updates_opt_in"],
                    updates_opt_in_words=str(form.fields["updates_opt_in"].label),
                )
            except resubmission.ApplicationRepeated as repeat:
                endorsement = repeat.endorsement
            except services.ApplicationError as error:
                form.add_error(None, str(error))
                endorsement = None
            if endorsement is not None:
                # Post/Redirect/Get: reloading the answer never sends the form again.
                response = applied.to_done_page(
                    request,
                    campaign=campaign,
                    slug=slug,
                    endorsement=endorsement,
                    submission=submission,
                )
                return _preview_done(response, campaign) if previewing else response
        if status == 200:
            status = 400
    else:
        form = ApplicationForm()
    context = {
        "campaign": campaign,
        "form": form,
        "source_token": sources.sign(source),
        "submission_id": submission,
        # Carried by the form (a hidden field), so that sending it works before the launch too.
        "preview_key": campaign.preview_key if previewing else "",
    }
    response = render(request, "coalition/apply.html", context, status=status)
    if previewing:
        private_preview(response)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _preview_done(response: HttpResponse, campaign: Campaign) -> HttpResponse:
    """The redirect to the "check your email" page of a form opened by its private link: that
    page opens by the same link."""
    response["Location"] += "?" + urlencode({dates.PREVIEW_PARAMETER: campaign.preview_key})
    return private_preview(response)


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "coalition/link_invalid.html", {"expired": expired}, status=400)


def private_page(response: HttpResponse) -> HttpResponse:
    """Mark a page whose URL carries a private token: kept out of shared caches and search
    engines, and its URL sent in no ``Referer`` to another site. ``same-origin`` rather than
    ``no-referrer``: with ``no-referrer`` Chromium sends ``Origin: null`` with the page's own
    forms, and Django's CSRF check refuses them."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "same-origin"
    # A link that leaked (pasted in a public forum) is still never indexed.
    response["X-Robots-Tag"] = "noindex, nofollow"
    return response


TokenView = Callable[..., HttpResponse]


def token_page(read: Callable[[str], Endorsement]) -> Callable[[TokenView], TokenView]:
    """A view reached through a signed link: ``read(token)`` finds the endorsement (or the
    link-problem page answers), and the response is a private page."""

    def decorator(view: TokenView) -> TokenView:
        @wraps(view)
        def wrapper(request: HttpRequest, token: str) -> HttpResponse:
            try:
                endorsement = read(token)
            except tokens.ExpiredLink:
                response = _link_problem(request, expired=True)
            except tokens.InvalidLink:
                response = _link_problem(request, expired=False)
            else:
                response = view(request, endorsement, token)
            return private_page(response)

        return wrapper

    return decorator


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_confirm_token)
def confirm(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    # A GET only asks: mail gateways' link scanners follow every link, and must not confirm an
    # application (and earn it the proof by email) for whoever typed in someone's address.
    waiting = endorsement.status == Endorsement.Status.UNCONFIRMED
    confirmed = False
    if request.method == "POST" and waiting:
        try:
            services.endorsement_confirm(endorsement=endorsement)
            confirmed = True
        except services.EndorsementTransitionError:
            # Someone else (a second click in another tab) confirmed it a moment ago.
            endorsement.refresh_from_db()
        waiting = False
    return render(
        request,
        "coalition/confirm_done.html",
        {
            "endorsement": endorsement,
            "campaign": endorsement.campaign,
            "waiting": waiting,
            "confirmed": confirmed,
            # The private link is handed out once, to whoever confirms; a confirm link used
            # again, or after a reviewer revoked the links, mints none (a new one comes by mail).
            "manage_url": (
                services.applicant_links(endorsement)["manage_url"]
                if confirmed and not endorsement.manage_links_revoked
                else ""
            ),
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_not_us_token)
def not_us(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    # A GET only asks: mail scanners follow links, and must not withdraw anything.
    done = False
    if request.method == "POST" and endorsement.status in Endorsement.LIVE_STATUSES:
        try:
            services.endorsement_withdraw(
                endorsement=endorsement,
                actor=services.Actor.SYSTEM,
                reported=True,
                note=str(
                    _("The contact reported that they did not apply (“this wasn't us” link).")
                ),
            )
            done = True
        except services.EndorsementTransitionError:
            endorsement.refresh_from_db()
    return render(
        request,
        "coalition/not_us.html",
        {
            "endorsement": endorsement,
            "campaign": endorsement.campaign,
            "done": done,
            "live": endorsement.status in Endorsement.LIVE_STATUSES,
        },
    )


@require_http_methods(["GET", "HEAD", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    status = 200
    if request.method == "POST":
        form = ResendForm(request.POST)
        status = 400
        retry_after = _rate_limited(request, "RESEND_RATE_LIMIT", "resend")
        if retry_after is not None:
            form.add_error(None, ratelimit.refusal_message(retry_after))
            response = render(request, "coalition/resend.html", {"form": form}, status=429)
            response["Retry-After"] = str(retry_after)
            return response
        if form.is_valid():
            services.endorsement_resend_links(contact_email=form.cleaned_data["contact_email"])
            # The same answer whether or not the address has applied.
            return render(request, "coalition/resend_done.html", {})
    else:
        form = ResendForm()
    return render(request, "coalition/resend.html", {"form": form}, status=status)


def _manage_context(endorsement: Endorsement, token: str) -> dict[str, object]:
    organization = endorsement.organization
    return {
        "endorsement": endorsement,
        "organization": organization,
        "campaign": endorsement.campaign,
        "token": token,
        "proposed": organization.versions.filter(state=OrganizationVersion.State.PROPOSED).first(),
        "editable": endorsement.status in Endorsement.LIVE_STATUSES,
        "domain_proof": proofs.proof_status(endorsement),
        # The updates box (coalition.updates): ticked as the contact last chose.
        "updates_form": UpdatesChoiceForm(
            initial={"updates_opt_in": endorsement.updates_opt_in}, auto_id="updates_%s"
        ),
    }


def _share_context(request: HttpRequest, endorsement: Endorsement) -> dict[str, object]:
    """The badge and share links of an approved ally (``coalition/_ally_share.html``), in the
    language and colours its options ask for (``badge_lang``, ``badge_theme``; what names
    none is the default); nothing for any other application."""
    if endorsement.status != Endorsement.Status.APPROVED:
        return {"share": None}
    asked = {"lang": request.GET.get("badge_lang", ""), "theme": request.GET.get("badge_theme", "")}
    try:
        looks = badge.BadgeLooks.parse(asked) if any(asked.values()) else None
    except QueryError:
        looks = None
    return {
        "share": sharing.ally_share(endorsement, looks),
        "badge_languages": sharing.badge_languages(),
        "badge_themes": badge.THEMES,
    }


def _render_manage(
    request: HttpRequest,
    endorsement: Endorsement,
    token: str,
    *,
    status: int = 200,
    form: ManageForm | None = None,
    withdraw_form: WithdrawForm | None = None,
    **extra: object,
) -> HttpResponse:
    """The manage page, whole, whichever of its forms was sent: after a refused withdrawal or
    check, an approved ally still sees its badge and share links."""
    context = _manage_context(endorsement, token)
    if form is None:
        form = ManageForm.for_organization(endorsement.organization, proposed=context["proposed"])
    context.update(
        form=form,
        withdraw_form=WithdrawForm() if withdraw_form is None else withdraw_form,
        saved=request.GET.get("saved"),
        **extra,
    )
    context.update(_share_context(request, endorsement))
    return render(request, "coalition/manage.html", context, status=status)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    if request.method == "POST" and endorsement.status in Endorsement.LIVE_STATUSES:
        form = ManageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = services.organization_update(
                    endorsement=endorsement,
                    website=form.cleaned_data["website"],
                    statement=form.cleaned_data["statement"],
                    statement_translations=form.statement_translations(),
                    logo=form.cleaned_data.get("logo") or None,
                )
            except services.ApplicationError as error:
                form.add_error(None, str(error))
            else:
                review = saved.state == OrganizationVersion.State.PROPOSED
                return redirect(
                    reverse("manage", kwargs={"token": token})
                    + ("?saved=review" if review else "?saved=1")
                )
        return _render_manage(request, endorsement, token, status=400, form=form)
    status = 400 if request.method == "POST" else 200
    return _render_manage(request, endorsement, token, status=status)


@require_safe
@token_page(tokens.endorsement_from_manage_token)
def manage_data(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    """Everything stored about this application, as JSON, for its contact."""
    response = JsonResponse(
        services.endorsement_data_export(endorsement=endorsement),
        json_dumps_params={"indent": 2, "ensure_ascii": False},
    )
    response["Content-Disposition"] = (
        f'attachment; filename="application-{endorsement.public_id}.json"'
    )
    return response


@require_http_methods(["POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage_withdraw(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    form = WithdrawForm(request.POST)
    if form.is_valid():
        try:
            services.endorsement_withdraw(endorsement=endorsement)
        except services.EndorsementTransitionError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "coalition/withdrawn.html", _manage_context(endorsement, token))
    return _render_manage(request, endorsement, token, status=400, withdraw_form=form)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage_domain_check(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    """POST: "Check now", a check of the domain queued for the worker, then back to the manage
    page, which shows the result once it is there. GET: whether a check is still waiting, as
    JSON, for the page's polling script."""
    if request.method != "POST":
        status = proofs.proof_status(endorsement, history=1)
        return JsonResponse({"pending": status.pending, "verification": status.verification})
    if endorsement.status in Endorsement.LIVE_STATUSES:
        try:
            proofs.domain_check_request(endorsement=endorsement)
        except proofs.DomainCheckRefused as error:
            response = _render_manage(
                request, endorsement, token, status=429, domain_check_refused=str(error)
            )
            response["Retry-After"] = str(int(proofs.LIMIT_WINDOW.total_seconds()))
            return response
    return redirect(reverse("manage", kwargs={"token": token}) + "#domain-proof")


@require_http_methods(["POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage_updates(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    """The manage page's updates box: yes or no to the campaign's updates, with the box's words."""
    form = UpdatesChoiceForm(request.POST)
    form.is_valid()  # a box: always valid, absent meaning no
    try:
        updates.updates_choice_change(
            endorsement=endorsement,
            wanted=bool(form.cleaned_data.get("updates_opt_in")),
            words=str(form.fields["updates_opt_in"].label),
        )
    except services.ServiceError as error:
        return _render_manage(request, endorsement, token, status=400, updates_error=str(error))
    return redirect(reverse("manage", kwargs={"token": token}) + "?updates=saved#updates")
