"""The reviewers' workspace: the queue, and one screen per decision.

For staff who may decide (``coalition.reviewing.reviewers``), signed in through the admin's own
sign-in
(password, TOTP when ``REQUIRE_STAFF_2FA`` is on, django-axes' lockout). Every decision goes
through ``coalition.services``; nothing here sets a status.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_POST

from coalition import services
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvidence,
    OrganizationVersion,
    ReviewClaim,
    normalize_website,
)
from coalition.reviewing import approval, claims
from review import wording
from review.access import (
    base_context,
    endorsement_or_404,
    held_elsewhere,
    needs_review,
    proposal_of,
    review_scope,
    reviewer_required,
    scoped,
)
from review.forms import ApproveForm, RejectForm, RemoveForm
from review.queues import DEFAULT_TAB, TABS, QueueState

Status = Endorsement.Status
# Moved to review.access; still importable from here for the dashboard
# (review/dashboard.py), which imports them under these names.
_base_context = base_context
PER_PAGE = 50
# How often an open decision screen asks whether someone else decided or took it over.
STATUS_POLL_SECONDS = 20


# The queue ---------------------------------------------------------------------------------


def _age(moment) -> str:
    return wording.waited(moment) if moment else ""


def _row(endorsement: Endorsement, state: QueueState, now) -> dict[str, Any]:
    try:
        stored = endorsement.evidence
    except EndorsementEvidence.DoesNotExist:
        stored = None
    claim = claims.claim_of(endorsement, now)
    flags = wording.flag_views(stored.flags) if stored else None
    proof_flag = wording.proof_missing_flag(getattr(endorsement, "domain_proof", None))
    if proof_flag is not None:
        flags = [proof_flag, *(flags or [])]
    return {
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "url": reverse("review:decision", args=[endorsement.public_id]) + state.query(),
        "age": _age(endorsement.waiting_since),
        "flags": flags,
        "claim": claim,
        "claim_by": wording.person(claim.reviewer) if claim else "",
        "claim_since": wording.clock(claim.claimed_at) if claim else "",
        "decided_by": wording.person(endorsement.decided_by) if endorsement.decided_at else "",
        "decided_at": endorsement.decided_at,
        "reported_at": getattr(endorsement, "reported_at", None),
        "proposed_at": getattr(endorsement, "proposed_at", None),
        "proof_missing_since": getattr(endorsement, "proof_missing_since", None),
    }


@require_GET
@reviewer_required
def queue(request: HttpRequest, tab: str = DEFAULT_TAB) -> HttpResponse:
    if tab not in TABS:
        raise Http404
    state = QueueState.from_data(request.GET, tab=tab, scope=review_scope(request))
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
        **base_context(request),
        "state": state,
        "tab": state.tab,
        "tabs": tabs,
        "form": state.form,
        "page": page,
        "rows": [_row(endorsement, state, now) for endorsement in page.object_list],
        "page_links": page_links,
        "filtered": bool(state.params(with_tab=False)),
        # The campaign of each row is worth a line only when there is more than one.
        "many_campaigns": (state.scope if state.scope is not None else Campaign.objects).count()
        > 1,
        "clear_url": state.tab.url(),
    }
    return render(request, "review/queue.html", context, status=200 if state.valid else 400)


# One screen per decision -------------------------------------------------------------------


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


def _same_website(a: str, b: str) -> bool:
    # A proposal keeps the address as typed; the organization row holds it normalized.
    try:
        return normalize_website(a) == normalize_website(b)
    except ValidationError:
        return a == b


def _proposal_diff(endorsement: Endorsement, proposal: OrganizationVersion) -> dict[str, Any]:
    organization = endorsement.organization
    current = {item["code"]: item["text"] for item in _statements(organization)}
    proposed = {item["code"]: item["text"] for item in _statements(proposal)}
    return {
        "version": proposal,
        "website_changed": not _same_website(proposal.website, organization.website),
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
        "claim_text": wording.claim_text(claim) if active and claim else "",
        "claim_until": wording.clock(claim.expires_at) if active and claim else "",
        "claim_by": wording.person(claim.reviewer) if active and claim else "",
        "taken_over_from": wording.person(claim.taken_over_from)
        if mine and claim and claim.taken_over_from_id
        else "",
    }


def _links_within_scope(
    request: HttpRequest, views: list[wording.FlagView], flags: list[dict[str, Any]]
) -> list[wording.FlagView]:
    """The evidence names other organizations' applications whatever their campaign (the
    reviewer must see a lookalike to acknowledge it), but links only to those this reviewer may
    open: another team's application would answer 404."""
    if review_scope(request) is None:
        return views
    named = set()
    for flag in flags or []:
        for match in flag.get("matches", []) or []:
            named.add(match.get("public_id"))
            named.update(item.get("public_id") for item in match.get("endorsements", []))
    named.discard(None)
    openable = {
        reverse("review:decision", args=[public_id])
        for public_id in scoped(
            Endorsement.objects.filter(public_id__in=named), request
        ).values_list("public_id", flat=True)
    }
    for view in views:
        for match in view.matches:
            if match.get("url") and match["url"] not in openable:
                match["url"] = ""
            for item in match.get("endorsements", []):
                if item["url"] not in openable:
                    item["url"] = ""
    return views


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
    stored = services.evidence_current(endorsement=endorsement)
    proposal = proposal_of(endorsement)
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
        **base_context(request),
        **claim_context,
        "state": state,
        "tab": state.tab,
        "hidden_state": state.params(),
        "endorsement": endorsement,
        "organization": organization,
        "logo": organization.logo,
        "statements": _statements(organization),
        "flags": _links_within_scope(request, wording.flag_views(stored.flags), stored.flags),
        "evidence": stored,
        "decisions": decisions,
        "show_controls": not claim_context["claim_other"]
        and (any(decisions.values()) or proposal is not None),
        "approve_form": forms.get("approve")
        or ApproveForm(prefix="approve", reasons=approval.approval_reasons(endorsement)),
        "reject_form": forms.get("reject") or RejectForm(prefix="reject"),
        "remove_form": forms.get("remove") or RemoveForm(prefix="remove"),
        "open": next((name for name in ("reject", "remove") if name in forms), ""),
        "proposal": _proposal_diff(endorsement, proposal) if proposal else None,
        "events": endorsement.events.select_related("user", "reason").order_by("at", "pk"),
        "outcome": wording.outcome_text(endorsement),
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
    endorsement = endorsement_or_404(request, public_id)
    state = QueueState.from_data(request.GET, scope=review_scope(request))
    claim = None
    if needs_review(endorsement, proposal_of(endorsement)):
        claim = services.claim_open(endorsement=endorsement, by=request.user)
    return _screen(request, endorsement, state, claim=claim)


def _after_decision(request: HttpRequest, endorsement: Endorsement, state: QueueState):
    """Open the next application of the queue the reviewer came from, or the queue."""
    services.claim_release(endorsement=endorsement)
    following = state.neighbour(endorsement, free_for=request.user) or state.head(
        free_for=request.user
    )
    if following is not None:
        return redirect(reverse("review:decision", args=[following.public_id]) + state.query())
    messages.info(request, state.tab.empty)
    return redirect(state.tab.url() + state.query(with_tab=False))


def _held_problem(claim: ReviewClaim) -> str:
    return _(
        "%(name)s is reviewing this application (since %(time)s). Take it over first to decide."
    ) % {"name": wording.person(claim.reviewer), "time": wording.clock(claim.claimed_at)}


def _refused_problem(endorsement: Endorsement, error: Exception) -> str:
    endorsement.refresh_from_db()
    outcome = wording.outcome_text(endorsement)
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
    endorsement = endorsement_or_404(request, public_id)
    state = QueueState.from_data(request.POST, scope=review_scope(request))
    held = held_elsewhere(request, endorsement)
    if held is not None:
        return _screen(request, endorsement, state, problem=_held_problem(held), status=409)
    form: ApproveForm | RejectForm | RemoveForm
    if decision_name == "approve":
        form = ApproveForm(
            request.POST, prefix="approve", reasons=approval.approval_reasons(endorsement)
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
                acknowledged=form.acknowledged,
            )
        elif decision_name == "reject":
            services.endorsement_reject(
                endorsement=endorsement, by=request.user, reason=data["reason"], note=data["note"]
            )
        else:
            services.endorsement_remove(endorsement=endorsement, by=request.user, note=data["note"])
    except services.ApprovalNeedsAcknowledgement as error:
        # What needs acknowledging changed since the form was made (a lookalike approved since):
        # the service names it, in the form.
        form.add_error(None, str(error))
        return _screen(request, endorsement, state, forms={decision_name: form}, status=400)
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
    endorsement = endorsement_or_404(request, public_id)
    state = QueueState.from_data(request.POST, scope=review_scope(request))
    held = held_elsewhere(request, endorsement)
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
    endorsement = endorsement_or_404(request, public_id)
    state = QueueState.from_data(request.POST, scope=review_scope(request))
    services.evidence_refresh(endorsement=endorsement)
    services.claim_renew(endorsement=endorsement, by=request.user)
    messages.success(request, _("The evidence has been computed again."))
    return redirect(reverse("review:decision", args=[endorsement.public_id]) + state.query())
