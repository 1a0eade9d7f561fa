"""The applicant's pages: the application form, and the pages reached through the signed links
of the mails (confirm, "this wasn't us", manage, the data download, withdraw).

A page reached through a signed link is a ``token_page``: the link is checked once there, and
its response is a ``private_page``.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_safe

from coalition import domain_proof, emails, ratelimit, services, sources, tokens
from coalition.forms import ApplicationForm, ManageForm, ResendForm, WithdrawForm
from coalition.models import Endorsement, OrganizationVersion
from coalition.views.common import campaign_or_404


def _rate_limited(request: HttpRequest, setting: str, scope: str) -> int | None:
    """Count a hit against ``settings.<setting>``; the window in seconds when it is over."""
    limit, window = getattr(settings, setting)
    return (
        window if ratelimit.over_limit(request, scope=scope, limit=limit, window=window) else None
    )


@require_http_methods(["GET", "HEAD", "POST"])
def apply(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    campaign = campaign_or_404(slug)
    if not campaign.accepts_applications:
        status = 410 if request.method == "POST" else 200
        return render(request, "coalition/apply_closed.html", {"campaign": campaign}, status=status)
    status = 200
    retry_after = None
    # Where the applicant came from (the link's ref and UTM parameters), carried signed through
    # the form's POST and stored with the application; never shown publicly.
    if request.method == "POST":
        source = sources.unsign(request.POST.get(sources.FIELD_NAME))
    else:
        source = sources.clean(request.GET)
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
                endorsement, email = services.endorsement_apply(
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
                )
            except services.ApplicationError as error:
                form.add_error(None, str(error))
            else:
                return render(
                    request,
                    "coalition/apply_done.html",
                    {
                        "campaign": campaign,
                        "endorsement": endorsement,
                        "mail_delayed": email is None or emails.outbox_delayed(),
                    },
                )
        if status == 200:
            status = 400
    else:
        form = ApplicationForm()
    context = {"campaign": campaign, "form": form, "source_token": sources.sign(source)}
    response = render(request, "coalition/apply.html", context, status=status)
    if retry_after is not None:
        response["Retry-After"] = str(retry_after)
    return response


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "coalition/link_invalid.html", {"expired": expired}, status=400)


def private_page(response: HttpResponse) -> HttpResponse:
    """Mark a page whose URL carries a private token: kept out of shared caches, and its URL
    sent in no ``Referer`` to another site. ``same-origin`` rather than ``no-referrer``: with
    ``no-referrer`` Chromium sends ``Origin: null`` with the page's own forms, and Django's CSRF
    check refuses them."""
    patch_cache_control(response, private=True, no_store=True)
    response["Referrer-Policy"] = "same-origin"
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


@require_safe
@token_page(tokens.endorsement_from_confirm_token)
def confirm(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    already = endorsement.status != Endorsement.Status.UNCONFIRMED
    if not already:
        try:
            services.endorsement_confirm(endorsement=endorsement)
        except services.EndorsementTransitionError:
            # Someone else (a second click in another tab) confirmed it a moment ago.
            endorsement.refresh_from_db()
            already = True
    return render(
        request,
        "coalition/confirm_done.html",
        {
            "endorsement": endorsement,
            "campaign": endorsement.campaign,
            "already": already,
            "manage_url": services.applicant_links(endorsement)["manage_url"],
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
        "domain_proof": domain_proof.proof_status(endorsement),
    }


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    context = _manage_context(endorsement, token)
    if request.method == "POST" and context["editable"]:
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
    else:
        form = ManageForm.for_organization(endorsement.organization, proposed=context["proposed"])
    context.update(form=form, withdraw_form=WithdrawForm(), saved=request.GET.get("saved"))
    status = 400 if request.method == "POST" else 200
    return render(request, "coalition/manage.html", context, status=status)


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
    context = _manage_context(endorsement, token)
    if form.is_valid():
        try:
            services.endorsement_withdraw(endorsement=endorsement)
        except services.EndorsementTransitionError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "coalition/withdrawn.html", context)
    context.update(
        form=ManageForm.for_organization(endorsement.organization, proposed=context["proposed"]),
        withdraw_form=form,
    )
    return render(request, "coalition/manage.html", context, status=400)


@require_http_methods(["GET", "HEAD", "POST"])
@token_page(tokens.endorsement_from_manage_token)
def manage_domain_check(request: HttpRequest, endorsement: Endorsement, token: str) -> HttpResponse:
    """POST: "Check now", a check of the domain queued for the worker, then back to the manage
    page, which shows the result once it is there. GET: whether a check is still waiting, as
    JSON, for the page's polling script."""
    if request.method != "POST":
        status = domain_proof.proof_status(endorsement, history=1)
        return JsonResponse({"pending": status.pending, "verification": status.verification})
    if endorsement.status in Endorsement.LIVE_STATUSES:
        try:
            domain_proof.domain_check_request(endorsement=endorsement)
        except domain_proof.DomainCheckRefused as error:
            context = _manage_context(endorsement, token)
            context.update(
                form=ManageForm.for_organization(
                    endorsement.organization, proposed=context["proposed"]
                ),
                withdraw_form=WithdrawForm(),
                domain_check_refused=str(error),
            )
            response = render(request, "coalition/manage.html", context, status=429)
            response["Retry-After"] = str(int(domain_proof.LIMIT_WINDOW.total_seconds()))
            return response
    return redirect(reverse("manage", kwargs={"token": token}) + "#domain-proof")
