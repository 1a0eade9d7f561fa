"""What the workspace's pages share: who may come in, the bar every page shows, and finding
the application a URL names."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.contrib import admin
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import translation
from django.utils.http import urlencode
from django.views.decorators.cache import never_cache

from coalition import claims, reviewers
from coalition.models import Endorsement, OrganizationVersion, ReviewClaim
from coalition.review import display, navigation

Status = Endorsement.Status
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
        "reviewer_name": display.person(request.user) if request.user.is_authenticated else "",
    }


def endorsement_or_404(public_id: str) -> Endorsement:
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
