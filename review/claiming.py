"""Claims from the decision screen: its script asks who decided or holds the application and
renews the reviewer's claim while they act; the reviewer keeps, stops, or takes one over."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from coalition import services
from coalition.models import Endorsement, ReviewClaim
from coalition.reviewing import claims
from review import wording
from review.access import (
    base_context,
    endorsement_or_404,
    held_elsewhere,
    needs_review,
    proposal_of,
    review_scope,
    reviewer_required,
)
from review.forms import TakeOverForm
from review.queues import QueueState

# Claims ------------------------------------------------------------------------------------


def _status_payload(request: HttpRequest, endorsement: Endorsement) -> dict[str, Any]:
    claim = ReviewClaim.objects.select_related("reviewer").filter(endorsement=endorsement).first()
    active = claims.is_active(claim)
    return {
        "status": endorsement.status,
        "outcome": wording.outcome_text(endorsement),
        "claim": {
            "mine": claim.reviewer_id == request.user.pk,
            "holder": wording.person(claim.reviewer),
            "text": wording.claim_text(claim),
            "until": wording.clock(claim.expires_at),
        }
        if active and claim is not None
        else None,
    }


@require_GET
@reviewer_required
def status(request: HttpRequest, public_id: str) -> JsonResponse:
    """For the screen's script: has someone decided, or taken the application over?"""
    return JsonResponse(_status_payload(request, endorsement_or_404(request, public_id)))


def _wants_json(request: HttpRequest) -> bool:
    return "application/json" in request.headers.get("Accept", "")


@require_POST
@reviewer_required
def claim(request: HttpRequest, public_id: str) -> HttpResponse:
    """The reviewer is still at work (the script says so as they act, or the "Keep" button)."""
    endorsement = endorsement_or_404(request, public_id)
    if needs_review(endorsement, proposal_of(endorsement)):
        current = services.claim_renew(endorsement=endorsement, by=request.user)
        if current is None:
            services.claim_open(endorsement=endorsement, by=request.user)
    if _wants_json(request):
        return JsonResponse(_status_payload(request, endorsement))
    state = QueueState.from_data(request.POST, scope=review_scope(request))
    return redirect(reverse("review:decision", args=[endorsement.public_id]) + state.query())


@require_POST
@reviewer_required
def release(request: HttpRequest, public_id: str) -> HttpResponse:
    """Stop reviewing it: the others see it free again."""
    endorsement = endorsement_or_404(request, public_id)
    state = QueueState.from_data(request.POST, scope=review_scope(request))
    services.claim_release(endorsement=endorsement, by=request.user)
    messages.info(
        request,
        _("You are no longer reviewing “%(name)s”.") % {"name": endorsement.organization.name},
    )
    return redirect(state.tab.url() + state.query(with_tab=False))


@require_http_methods(["GET", "POST"])
@reviewer_required
def take_over(request: HttpRequest, public_id: str) -> HttpResponse:
    """GET asks to confirm; POST takes the claim from the reviewer the page showed."""
    endorsement = endorsement_or_404(request, public_id)
    state = QueueState.from_data(
        request.POST if request.method == "POST" else request.GET, scope=review_scope(request)
    )
    screen_url = reverse("review:decision", args=[endorsement.public_id]) + state.query()
    current = held_elsewhere(request, endorsement)
    if request.method == "POST":
        form = TakeOverForm(request.POST)
        if form.is_valid():
            try:
                services.claim_take_over(
                    endorsement=endorsement, by=request.user, holder_id=form.cleaned_data["holder"]
                )
            except claims.ClaimChanged as changed:
                if changed.claim is not None:
                    messages.warning(
                        request,
                        _("%(name)s took this application over in the meantime.")
                        % {"name": wording.person(changed.claim.reviewer)},
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
        **base_context(request),
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "claim_text": wording.claim_text(current),
        "claim_by": wording.person(current.reviewer),
        "form": TakeOverForm(initial={"holder": current.reviewer_id}),
        "hidden_state": state.params(),
        "screen_url": screen_url,
    }
    return render(request, "review/take_over.html", context)
