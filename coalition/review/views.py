"""The reviewers' workspace: the queue, and one screen per decision.

For staff who may decide (``coalition.reviewers``), signed in through the admin's own sign-in
(password, TOTP when ``REQUIRE_STAFF_2FA`` is on, django-axes' lockout). Every decision goes
through ``coalition.services``; nothing here sets a status.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin, messages
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.timesince import timesince
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coalition import claims, evidence, reviewers, services
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvidence,
    OrganizationVersion,
    ReviewClaim,
)
from coalition.review import display, navigation
from coalition.review.forms import ApproveForm, RejectForm, RemoveForm, TakeOverForm
from coalition.review.queues import DEFAULT_TAB, TABS, QueueState

Status = Endorsement.Status
PER_PAGE = 50
# How often an open decision screen asks whether someone else decided or took it over.
STATUS_POLL_SECONDS = 20

View = Callable[..., HttpResponse]


# Who may come in ---------------------------------------------------------------------------


def may_decide(request: HttpRequest) -> bool:
    user = request.user
    return bool(
        user.is_authenticated and reviewers.reviewers_who_may_decide().filter(pk=user.pk).exists()
    )


def reviewer_required(view: View) -> View:
    """Staff who may decide, signed in as the admin wants (with their second factor when it is
    required); anyone else is sent to the admin's sign-in, or refused once signed in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        signed_in = admin.site.has_permission(request)
        if not user.is_authenticated or (user.is_active and user.is_staff and not signed_in):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (signed_in and may_decide(request)):
            return render(request, "review/refused.html", _base_context(request), status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def _base_context(request: HttpRequest) -> dict[str, Any]:
    current = translation.get_language()
    next_query = urlencode({"next": request.get_full_path()})
    return {
        "sections": navigation.sections(request),
        "languages": [
            {
                "code": code,
                "name": translation.get_language_info(code)["name_local"],
                "url": f"{reverse('switch-language', args=[code])}?{next_query}",
                "current": code == current,
            }
            for code, _name in settings.LANGUAGES
        ],
        "reviewer_name": display.person(request.user) if request.user.is_authenticated else "",
    }


# The queue ---------------------------------------------------------------------------------


def _age(moment) -> str:
    return timesince(moment, timezone.now(), depth=1) if moment else ""


def _row(endorsement: Endorsement, state: QueueState, now) -> dict[str, Any]:
    try:
        stored = endorsement.evidence
    except EndorsementEvidence.DoesNotExist:
        stored = None
    claim = claims.claim_of(endorsement, now)
    return {
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "url": reverse("review:decision", args=[endorsement.public_id]) + state.query(),
        "age": _age(endorsement.waiting_since),
        "flags": display.flag_views(stored.flags) if stored else None,
        "claim": claim,
        "claim_by": display.person(claim.reviewer) if claim else "",
        "claim_since": display.clock(claim.claimed_at) if claim else "",
        "decided_by": display.person(endorsement.decided_by) if endorsement.decided_at else "",
        "decided_at": endorsement.decided_at,
        "reported_at": getattr(endorsement, "reported_at", None),
        "proposed_at": getattr(endorsement, "proposed_at", None),
    }


@require_GET
@reviewer_required
def queue(request: HttpRequest, tab: str = DEFAULT_TAB) -> HttpResponse:
    if tab not in TABS:
        raise Http404
    state = QueueState.from_data(request.GET, tab=tab)
    counts = state.counts()
    page = Paginator(state.rows(), PER_PAGE).get_page(request.GET.get("page"))
    now = timezone.now()
    tabs = [
        {
            "slug": slug,
            "label": item.label,
            "count": counts[slug],
            "url": item.url() + state.query(with_tab=False),
            "current": slug == state.tab.slug,
        }
        for slug, item in TABS.items()
    ]
    page_links = []
    if page.paginator.num_pages > 1:
        for number in page.paginator.get_elided_page_range(page.number, on_each_side=2):
            if number == page.paginator.ELLIPSIS:
                page_links.append({"ellipsis": True})
                continue
            params = [*state.params(with_tab=False), ("page", str(number))]
            page_links.append(
                {"number": number, "url": f"?{urlencode(params)}", "current": number == page.number}
            )
    context = {
        **_base_context(request),
        "state": state,
        "tab": state.tab,
        "tabs": tabs,
        "form": state.form,
        "page": page,
        "rows": [_row(endorsement, state, now) for endorsement in page.object_list],
        "page_links": page_links,
        "filtered": bool(state.params(with_tab=False)),
        # The campaign of each row is worth a line only when there is more than one.
        "many_campaigns": Campaign.objects.count() > 1,
        "clear_url": state.tab.url(),
    }
    return render(request, "review/queue.html", context, status=200 if state.valid else 400)


# One screen per decision -------------------------------------------------------------------


def _endorsement(public_id: str) -> Endorsement:
    return get_object_or_404(
        Endorsement.objects.select_related(
            "organization__logo",
            "organization__sector__parent",
            "campaign",
            "decided_by",
            "rejection_reason",
        ),
        public_id=public_id,
    )


def _proposal(endorsement: Endorsement) -> OrganizationVersion | None:
    if endorsement.status != Status.APPROVED:
        return None
    return (
        endorsement.organization.versions.filter(state=OrganizationVersion.State.PROPOSED)
        .select_related("logo")
        .first()
    )


def _needs_review(endorsement: Endorsement, proposal: OrganizationVersion | None) -> bool:
    return endorsement.status == Status.PENDING or proposal is not None


def _statements(source: Any) -> list[dict[str, str]]:
    return [
        {
            "code": code,
            "language": translation.get_language_info(code)["name_translated"],
            "text": getattr(source, f"statement_{code}") or "",
        }
        for code, _name in settings.LANGUAGES
        if getattr(source, f"statement_{code}")
    ]


def _proposal_diff(endorsement: Endorsement, proposal: OrganizationVersion) -> dict[str, Any]:
    organization = endorsement.organization
    current = {item["code"]: item["text"] for item in _statements(organization)}
    proposed = {item["code"]: item["text"] for item in _statements(proposal)}
    return {
        "version": proposal,
        "website_changed": proposal.website != organization.website,
        "logo_changed": proposal.logo_id != organization.logo_id,
        "statements": [
            {
                "code": code,
                "language": translation.get_language_info(code)["name_translated"],
                "current": current.get(code, ""),
                "proposed": proposed.get(code, ""),
                "changed": current.get(code, "") != proposed.get(code, ""),
            }
            for code, _name in settings.LANGUAGES
            if current.get(code) or proposed.get(code)
        ],
    }


def _claim_context(claim: ReviewClaim | None, request: HttpRequest) -> dict[str, Any]:
    active = claims.is_active(claim)
    mine = active and claim is not None and claim.reviewer_id == request.user.pk
    return {
        "claim": claim if active else None,
        "claim_mine": mine,
        "claim_other": active and not mine,
        "claim_text": display.claim_text(claim) if active and claim else "",
        "claim_until": display.clock(claim.expires_at) if active and claim else "",
        "claim_by": display.person(claim.reviewer) if active and claim else "",
        "taken_over_from": display.person(claim.taken_over_from)
        if mine and claim and claim.taken_over_from_id
        else "",
    }


def _screen(
    request: HttpRequest,
    endorsement: Endorsement,
    state: QueueState,
    *,
    claim: ReviewClaim | None = None,
    forms: dict[str, Any] | None = None,
    problem: str = "",
    status: int = 200,
) -> HttpResponse:
    organization = endorsement.organization
    stored = evidence.evidence_current(endorsement=endorsement)
    proposal = _proposal(endorsement)
    if claim is None:
        claim = (
            ReviewClaim.objects.select_related("reviewer", "taken_over_from")
            .filter(endorsement=endorsement)
            .first()
        )
    forms = forms or {}
    claim_context = _claim_context(claim, request)
    decisions = {
        "approve": endorsement.can_become(Status.APPROVED),
        "reject": endorsement.can_become(Status.REJECTED),
        "remove": endorsement.can_become(Status.REMOVED),
    }
    previous = state.neighbour(endorsement, forward=False)
    following = state.neighbour(endorsement, forward=True)
    query = state.query()
    context = {
        **_base_context(request),
        **claim_context,
        "state": state,
        "tab": state.tab,
        "hidden_state": state.params(),
        "endorsement": endorsement,
        "organization": organization,
        "logo": organization.logo,
        "statements": _statements(organization),
        "flags": display.flag_views(stored.flags),
        "evidence": stored,
        "needs_acknowledgement": stored.needs_acknowledgement,
        "decisions": decisions,
        "show_controls": not claim_context["claim_other"]
        and (any(decisions.values()) or proposal is not None),
        "approve_form": forms.get("approve")
        or ApproveForm(prefix="approve", needs_acknowledgement=stored.needs_acknowledgement),
        "reject_form": forms.get("reject") or RejectForm(prefix="reject"),
        "remove_form": forms.get("remove") or RemoveForm(prefix="remove"),
        "open": next((name for name in ("reject", "remove") if name in forms), ""),
        "proposal": _proposal_diff(endorsement, proposal) if proposal else None,
        "events": endorsement.events.select_related("user", "reason").order_by("at", "pk"),
        "outcome": display.outcome_text(endorsement),
        "waiting": _age(endorsement.confirmed_at or endorsement.submitted_at),
        "problem": problem,
        "previous_url": reverse("review:decision", args=[previous.public_id]) + query
        if previous
        else "",
        "next_url": reverse("review:decision", args=[following.public_id]) + query
        if following
        else "",
        "queue_url": state.tab.url() + state.query(with_tab=False),
        "status_url": reverse("review:status", args=[endorsement.public_id]),
        "claim_url": reverse("review:claim", args=[endorsement.public_id]),
        "poll_seconds": STATUS_POLL_SECONDS,
        "take_over_url": reverse("review:take-over", args=[endorsement.public_id]) + query,
    }
    return render(request, "review/decision.html", context, status=status)


@require_GET
@reviewer_required
def decision(request: HttpRequest, public_id: str) -> HttpResponse:
    """The application with everything needed to decide; opening it claims it."""
    endorsement = _endorsement(public_id)
    state = QueueState.from_data(request.GET)
    claim = None
    if _needs_review(endorsement, _proposal(endorsement)):
        claim = claims.claim_open(endorsement=endorsement, by=request.user)
    return _screen(request, endorsement, state, claim=claim)


def _after_decision(request: HttpRequest, endorsement: Endorsement, state: QueueState):
    """Open the next application of the queue the reviewer came from, or the queue."""
    claims.claim_release(endorsement=endorsement)
    following = state.neighbour(endorsement, free_for=request.user) or state.head(
        free_for=request.user
    )
    if following is not None:
        return redirect(reverse("review:decision", args=[following.public_id]) + state.query())
    messages.info(request, state.tab.empty)
    return redirect(state.tab.url() + state.query(with_tab=False))


def _held_elsewhere(request: HttpRequest, endorsement: Endorsement) -> ReviewClaim | None:
    claim = (
        ReviewClaim.objects.select_related("reviewer", "taken_over_from")
        .filter(endorsement=endorsement)
        .first()
    )
    return claim if claims.held_by_other(claim, request.user) else None


def _held_problem(claim: ReviewClaim) -> str:
    return _(
        "%(name)s is reviewing this application (since %(time)s). Take it over first to decide."
    ) % {"name": display.person(claim.reviewer), "time": display.clock(claim.claimed_at)}


def _refused_problem(endorsement: Endorsement, error: Exception) -> str:
    endorsement.refresh_from_db()
    outcome = display.outcome_text(endorsement)
    if outcome:
        return _("Someone else decided first. %(outcome)s") % {"outcome": outcome}
    return str(error)


DONE_MESSAGES = {
    "approve": _("“%(name)s” has been approved."),
    "reject": _("“%(name)s” has been rejected."),
    "remove": _("“%(name)s” has been removed from the wall."),
}


@require_POST
@reviewer_required
def decide(request: HttpRequest, public_id: str, decision_name: str) -> HttpResponse:
    """Approve, reject or remove, through the services; then the next application."""
    endorsement = _endorsement(public_id)
    state = QueueState.from_data(request.POST)
    held = _held_elsewhere(request, endorsement)
    if held is not None:
        return _screen(request, endorsement, state, problem=_held_problem(held), status=409)
    stored = evidence.evidence_current(endorsement=endorsement)
    form: ApproveForm | RejectForm | RemoveForm
    if decision_name == "approve":
        form = ApproveForm(
            request.POST, prefix="approve", needs_acknowledgement=stored.needs_acknowledgement
        )
    elif decision_name == "reject":
        form = RejectForm(request.POST, prefix="reject")
    else:
        form = RemoveForm(request.POST, prefix="remove")
    if not form.is_valid():
        return _screen(request, endorsement, state, forms={decision_name: form}, status=400)
    data = form.cleaned_data
    try:
        if decision_name == "approve":
            services.endorsement_approve(
                endorsement=endorsement,
                by=request.user,
                note=data["note"],
                acknowledgement=evidence.acknowledgement_text(stored.flags)
                if data.get("acknowledge")
                else "",
            )
        elif decision_name == "reject":
            services.endorsement_reject(
                endorsement=endorsement, by=request.user, reason=data["reason"], note=data["note"]
            )
        else:
            services.endorsement_remove(endorsement=endorsement, by=request.user, note=data["note"])
    except services.EndorsementTransitionError as error:
        return _screen(
            request, endorsement, state, problem=_refused_problem(endorsement, error), status=409
        )
    messages.success(
        request, DONE_MESSAGES[decision_name] % {"name": endorsement.organization.name}
    )
    return _after_decision(request, endorsement, state)


VERSION_DECISIONS = {
    "approve": (
        services.organization_version_approve,
        _("The changes to “%(name)s” have been approved and are now public."),
    ),
    "decline": (
        services.organization_version_decline,
        _("The changes to “%(name)s” have been declined; the approved version stays public."),
    ),
}


@require_POST
@reviewer_required
def decide_changes(
    request: HttpRequest, public_id: str, version_pk: int, decision_name: str
) -> HttpResponse:
    """Approve or decline the changes an approved organization proposed."""
    endorsement = _endorsement(public_id)
    state = QueueState.from_data(request.POST)
    held = _held_elsewhere(request, endorsement)
    if held is not None:
        return _screen(request, endorsement, state, problem=_held_problem(held), status=409)
    # Only this organization's proposal, so that a URL cannot reach another one's.
    version = get_object_or_404(
        OrganizationVersion, pk=version_pk, organization_id=endorsement.organization_id
    )
    service, done = VERSION_DECISIONS[decision_name]
    try:
        service(version=version, by=request.user)
    except services.EndorsementTransitionError as error:
        return _screen(request, endorsement, state, problem=str(error), status=409)
    except ValidationError as error:
        return _screen(request, endorsement, state, problem=" ".join(error.messages), status=400)
    messages.success(request, done % {"name": endorsement.organization.name})
    return _after_decision(request, endorsement, state)


@require_POST
@reviewer_required
def recompute(request: HttpRequest, public_id: str) -> HttpResponse:
    """Compute the evidence again now (a lookalike may have been approved since)."""
    endorsement = _endorsement(public_id)
    state = QueueState.from_data(request.POST)
    evidence.evidence_refresh(endorsement=endorsement)
    claims.claim_renew(endorsement=endorsement, by=request.user)
    messages.success(request, _("The evidence has been computed again."))
    return redirect(reverse("review:decision", args=[endorsement.public_id]) + state.query())


# Claims ------------------------------------------------------------------------------------


def _status_payload(request: HttpRequest, endorsement: Endorsement) -> dict[str, Any]:
    claim = ReviewClaim.objects.select_related("reviewer").filter(endorsement=endorsement).first()
    active = claims.is_active(claim)
    return {
        "status": endorsement.status,
        "outcome": display.outcome_text(endorsement),
        "claim": {
            "mine": claim.reviewer_id == request.user.pk,
            "holder": display.person(claim.reviewer),
            "text": display.claim_text(claim),
            "until": display.clock(claim.expires_at),
        }
        if active and claim is not None
        else None,
    }


@require_GET
@reviewer_required
def status(request: HttpRequest, public_id: str) -> JsonResponse:
    """For the screen's script: has someone decided, or taken the application over?"""
    return JsonResponse(_status_payload(request, _endorsement(public_id)))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@reviewer_required
def claim(request: HttpRequest, public_id: str) -> HttpResponse:
    """The reviewer is still at work (the script says so as they act, or the "Keep" button)."""
    endorsement = _endorsement(public_id)
    if _needs_review(endorsement, _proposal(endorsement)):
        current = claims.claim_renew(endorsement=endorsement, by=request.user)
        if current is None:
            claims.claim_open(endorsement=endorsement, by=request.user)
    if _wants_json(request):
        return JsonResponse(_status_payload(request, endorsement))
    state = QueueState.from_data(request.POST)
    return redirect(reverse("review:decision", args=[endorsement.public_id]) + state.query())


@require_POST
@reviewer_required
def release(request: HttpRequest, public_id: str) -> HttpResponse:
    """Stop reviewing it: the others see it free again."""
    endorsement = _endorsement(public_id)
    state = QueueState.from_data(request.POST)
    claims.claim_release(endorsement=endorsement, by=request.user)
    messages.info(
        request,
        _("You are no longer reviewing “%(name)s”.") % {"name": endorsement.organization.name},
    )
    return redirect(state.tab.url() + state.query(with_tab=False))


@require_http_methods(["GET", "POST"])
@reviewer_required
def take_over(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET asks to confirm; POST takes the claim from the reviewer the page showed."""
    endorsement = _endorsement(public_id)
    state = QueueState.from_data(request.POST if request.method == "POST" else request.GET)
    screen_url = reverse("review:decision", args=[endorsement.public_id]) + state.query()
    current = _held_elsewhere(request, endorsement)
    if request.method == "POST":
        form = TakeOverForm(request.POST)
        if form.is_valid():
            try:
                claims.claim_take_over(
                    endorsement=endorsement, by=request.user, holder_id=form.cleaned_data["holder"]
                )
            except claims.ClaimChanged as changed:
                if changed.claim is not None:
                    messages.warning(
                        request,
                        _("%(name)s took this application over in the meantime.")
                        % {"name": display.person(changed.claim.reviewer)},
                    )
                return redirect(screen_url)
            messages.success(
                request,
                _("You are now reviewing “%(name)s”.") % {"name": endorsement.organization.name},
            )
            return redirect(screen_url)
    if current is None:
        return redirect(screen_url)
    context = {
        **_base_context(request),
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "claim_text": display.claim_text(current),
        "claim_by": display.person(current.reviewer),
        "form": TakeOverForm(initial={"holder": current.reviewer_id}),
        "hidden_state": state.params(),
        "screen_url": screen_url,
    }
    return render(request, "review/take_over.html", context)
