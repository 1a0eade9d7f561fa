from __future__ import annotations

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from coalition import ratelimit, selectors, services, tokens
from coalition.forms import ApplicationForm, ManageForm, ResendForm, WithdrawForm
from coalition.models import Campaign, Endorsement, OrganizationVersion


def _campaign_or_404(slug: str | None) -> Campaign:
    try:
        return selectors.campaign_get(slug=slug)
    except Campaign.DoesNotExist:
        raise Http404 from None


def campaign_detail(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    campaign = _campaign_or_404(slug)
    allies = selectors.ally_list(campaign=campaign)
    return render(
        request,
        "coalition/campaign_detail.html",
        {"campaign": campaign, "allies": allies, "ally_count": len(allies)},
    )


def too_many_requests(request: HttpRequest, window: int) -> HttpResponse:
    response = render(
        request, "coalition/too_many_requests.html", {"minutes": window // 60}, status=429
    )
    response["Retry-After"] = str(window)
    return response


@require_http_methods(["GET", "POST"])
def apply(request: HttpRequest, slug: str | None = None) -> HttpResponse:
    campaign = _campaign_or_404(slug)
    if not campaign.accepts_applications:
        status = 410 if request.method == "POST" else 200
        return render(request, "coalition/apply_closed.html", {"campaign": campaign}, status=status)
    if request.method == "POST":
        limit, window = settings.APPLY_RATE_LIMIT
        if ratelimit.over_limit(request, scope="apply", limit=limit, window=window):
            return too_many_requests(request, window)
        form = ApplicationForm(request.POST, request.FILES)
        if form.is_valid():
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
                    contact_name=data["contact_name"],
                    contact_role=data["contact_role"],
                    contact_email=data["contact_email"],
                    preferred_language=data["preferred_language"],
                    consent_authority=data["consent_authority"],
                    consent_publish=data["consent_publish"],
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
                        "mail_delayed": email is None or email.sent_at is None,
                    },
                )
    else:
        form = ApplicationForm()
    return render(
        request,
        "coalition/apply.html",
        {"campaign": campaign, "form": form},
        status=400 if form.is_bound else 200,
    )


def _link_problem(request: HttpRequest, *, expired: bool) -> HttpResponse:
    return render(request, "coalition/link_invalid.html", {"expired": expired}, status=400)


def confirm(request: HttpRequest, token: str) -> HttpResponse:
    try:
        endorsement = tokens.endorsement_from_confirm_token(token)
    except tokens.ExpiredLink:
        return _link_problem(request, expired=True)
    except tokens.InvalidLink:
        return _link_problem(request, expired=False)
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


@require_http_methods(["GET", "POST"])
def not_us(request: HttpRequest, token: str) -> HttpResponse:
    # A GET only asks: mail scanners follow links, and must not withdraw anything.
    try:
        endorsement = tokens.endorsement_from_not_us_token(token)
    except tokens.InvalidLink:
        return _link_problem(request, expired=False)
    done = False
    if request.method == "POST" and endorsement.status in Endorsement.LIVE_STATUSES:
        try:
            services.endorsement_withdraw(
                endorsement=endorsement,
                actor=services.Actor.SYSTEM,
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


@require_http_methods(["GET", "POST"])
def resend(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        limit, window = settings.RESEND_RATE_LIMIT
        if ratelimit.over_limit(request, scope="resend", limit=limit, window=window):
            return too_many_requests(request, window)
        form = ResendForm(request.POST)
        if form.is_valid():
            services.endorsement_resend_links(contact_email=form.cleaned_data["contact_email"])
            # The same answer whether or not the address has applied.
            return render(request, "coalition/resend_done.html", {})
    else:
        form = ResendForm()
    return render(
        request, "coalition/resend.html", {"form": form}, status=400 if form.is_bound else 200
    )


def _manage_context(endorsement: Endorsement, token: str) -> dict[str, object]:
    organization = endorsement.organization
    return {
        "endorsement": endorsement,
        "organization": organization,
        "campaign": endorsement.campaign,
        "token": token,
        "proposed": organization.versions.filter(state=OrganizationVersion.State.PROPOSED).first(),
        "editable": endorsement.status in Endorsement.LIVE_STATUSES,
    }


@require_http_methods(["GET", "POST"])
def manage(request: HttpRequest, token: str) -> HttpResponse:
    try:
        endorsement = tokens.endorsement_from_manage_token(token)
    except tokens.InvalidLink:
        return _link_problem(request, expired=False)
    context = _manage_context(endorsement, token)
    saved = None
    if request.method == "POST" and context["editable"]:
        form = ManageForm(request.POST, request.FILES)
        if form.is_valid():
            try:
                saved = services.organization_update(
                    endorsement=endorsement,
                    website=form.cleaned_data["website"],
                    statement=form.cleaned_data["statement"],
                    logo=form.cleaned_data.get("logo") or None,
                )
            except services.ApplicationError as error:
                form.add_error(None, str(error))
            else:
                return redirect(
                    reverse("manage", kwargs={"token": token})
                    + (
                        "?saved=review"
                        if saved.state == OrganizationVersion.State.PROPOSED
                        else "?saved=1"
                    )
                )
    else:
        form = ManageForm.for_organization(endorsement.organization)
    context.update(
        form=form,
        withdraw_form=WithdrawForm(),
        saved=request.GET.get("saved"),
    )
    status = 400 if request.method == "POST" else 200
    response = render(request, "coalition/manage.html", context, status=status)
    # A private page: keep it out of shared caches and out of the Referer of outgoing links.
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response


@require_http_methods(["POST"])
def manage_withdraw(request: HttpRequest, token: str) -> HttpResponse:
    try:
        endorsement = tokens.endorsement_from_manage_token(token)
    except tokens.InvalidLink:
        return _link_problem(request, expired=False)
    form = WithdrawForm(request.POST)
    context = _manage_context(endorsement, token)
    if form.is_valid():
        try:
            services.endorsement_withdraw(endorsement=endorsement)
        except services.EndorsementTransitionError as error:
            form.add_error(None, str(error))
        else:
            return render(request, "coalition/withdrawn.html", context)
    context.update(form=ManageForm.for_organization(endorsement.organization), withdraw_form=form)
    response = render(request, "coalition/manage.html", context, status=400)
    response["Cache-Control"] = "private, no-store"
    response["Referrer-Policy"] = "no-referrer"
    return response
