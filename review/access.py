"""What the workspace's pages share: who may come in, the bar every page shows, and finding
the application a URL names."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from coalition.campaigns import team
from coalition.models import Campaign, Endorsement, OrganizationVersion, ReviewClaim
from coalition.reviewing import claims, preferences
from review import navigation, wording

Status = Endorsement.Status
View = Callable[..., HttpResponse]


# Who may come in ---------------------------------------------------------------------------


def review_scope(request: HttpRequest) -> QuerySet[Campaign] | None:
    """The campaigns whose applications this request's user sees and decides: ``None`` for
    every campaign (superusers, the Reviewers group), else their teams' campaigns, as a lazy
    query that narrows the others in the database.

    Kept on the request only, never in the session: someone taken off a team loses the
    campaign on their next request (``coalition.campaigns.team``)."""
    if not hasattr(request, "_review_scope"):
        user = request.user
        if team.reviews_every_campaign(user):
            request._review_scope = None
        else:
            request._review_scope = team.campaigns_reviewed_by(user)
    return request._review_scope


def may_come_in(request: HttpRequest) -> bool:
    """A reviewer of every campaign, or of at least one (``team.may_review_any``, asked through
    the scope this request needs anyway; and a reviewer of every campaign comes in even before
    the first campaign exists, as before teams)."""
    scope = review_scope(request)
    return scope is None or scope.exists()


def scoped(queryset: QuerySet[Endorsement], request: HttpRequest) -> QuerySet[Endorsement]:
    """``queryset`` narrowed to the applications this request's user may review."""
    scope = review_scope(request)
    return queryset if scope is None else queryset.filter(campaign__in=scope)


def reviewer_required(view: View) -> View:
    """Staff who review every campaign or are on a campaign's team, signed in as the admin wants
    (with their second factor when it is required); anyone else is sent to the admin's sign-in,
    or refused once signed in."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        user = request.user
        signed_in = admin.site.has_permission(request)
        if not user.is_authenticated or (user.is_active and user.is_staff and not signed_in):
            return redirect_to_login(request.get_full_path(), reverse("admin:login"))
        if not (signed_in and may_come_in(request)):
            return render(request, "review/refused.html", base_context(request), status=403)
        return view(request, *args, **kwargs)

    return never_cache(wrapper)


def base_context(request: HttpRequest) -> dict[str, Any]:
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
        "reviewer_name": wording.person(request.user) if request.user.is_authenticated else "",
        # A campaign's own team has no page in the Django admin: no link to a refusal. (The
        # scope the page asked for already: no query of its own.)
        "admin_link": request.user.is_authenticated and review_scope(request) is None,
        # For review.js and the pages' hints: single keys, with Alt, or off.
        "shortcuts": preferences.reviewer_shortcuts(request.user)
        if request.user.is_authenticated
        else preferences.Shortcuts.SINGLE_KEY,
    }


def endorsement_or_404(request: HttpRequest, public_id: str) -> Endorsement:
    """The application ``public_id`` names, if it belongs to a campaign the user reviews: any
    other answers 404, as if it did not exist (a campaign's team does not learn of others')."""
    return get_object_or_404(
        scoped(Endorsement.objects.all(), request).select_related(
            "organization__logo",
            "organization__sector__parent",
            "campaign",
            "decided_by",
            "rejection_reason",
        ),
        public_id=public_id,
    )


def proposal_of(endorsement: Endorsement) -> OrganizationVersion | None:
    if endorsement.status != Status.APPROVED:
        return None
    return (
        endorsement.organization.versions.filter(state=OrganizationVersion.State.PROPOSED)
        .select_related("logo")
        .first()
    )


def needs_review(endorsement: Endorsement, proposal: OrganizationVersion | None) -> bool:
    return endorsement.status == Status.PENDING or proposal is not None


def held_elsewhere(request: HttpRequest, endorsement: Endorsement) -> ReviewClaim | None:
    claim = (
        ReviewClaim.objects.select_related("reviewer", "taken_over_from")
        .filter(endorsement=endorsement)
        .first()
    )
    return claim if claims.held_by_other(claim, request.user) else None
