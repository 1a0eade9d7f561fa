"""Template tags for the admin: whether anyone hears of applications waiting for review, and the
way from the admin's home to the workspace."""

from __future__ import annotations

from typing import Any

from django import template

from coalition.campaigns import team
from coalition.models import Endorsement
from coalition.reviewing import reviewers

register = template.Library()


@register.simple_tag
def nobody_hears_of_applications() -> bool:
    """True when a new application would be announced to no one (see
    ``coalition.reviewing.reviewers``)."""
    return not reviewers.review_notice_addresses()


@register.simple_tag(takes_context=True)
def review_workspace(context: dict[str, Any]) -> dict[str, Any] | None:
    """For a reviewer on the admin's home: how many applications of the campaigns they review
    wait for a decision in the workspace; ``None`` for staff who review no campaign (the
    workspace would refuse them)."""
    user = context["request"].user
    pending = Endorsement.objects.filter(status=Endorsement.Status.PENDING)
    if not team.reviews_every_campaign(user):
        campaigns = team.campaigns_reviewed_by(user)
        if not campaigns.exists():
            return None
        pending = pending.filter(campaign__in=campaigns)
    return {"pending": pending.count()}
