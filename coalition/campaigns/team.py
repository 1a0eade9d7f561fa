"""Who may do what with a campaign: written here once, asked by the workspace, the services and
the commands.

A campaign's team (``CampaignMember``) has owners and reviewers. Superusers keep every power;
the global Reviewers group (``coalition.reviewing.reviewers``) means "reviewer of every
campaign". Asked on every request, so that removing someone takes effect on their next one.
"""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import QuerySet

from coalition.campaigns.models import Campaign, CampaignMember, TeamRole
from coalition.reviewing import reviewers

User = AbstractBaseUser | AnonymousUser


def _active_staff(user: User | None) -> bool:
    return bool(user is not None and user.is_authenticated and user.is_active)


def reviews_every_campaign(user: User | None) -> bool:
    """A superuser, or a member of the global Reviewers group (or anyone with its permissions)."""
    if not _active_staff(user):
        return False
    if user.is_superuser:
        return True
    return reviewers.reviewers_who_may_decide().filter(pk=user.pk).exists()


def campaigns_reviewed_by(user: User | None) -> QuerySet[Campaign]:
    """The campaigns whose applications ``user`` sees and decides."""
    if not _active_staff(user):
        return Campaign.objects.none()
    if reviews_every_campaign(user):
        return Campaign.objects.all()
    return Campaign.objects.filter(members__user=user).distinct()


def campaigns_owned_by(user: User | None) -> QuerySet[Campaign]:
    """The campaigns ``user`` edits and whose team they manage (superusers: all)."""
    if not _active_staff(user):
        return Campaign.objects.none()
    if user.is_superuser:
        return Campaign.objects.all()
    return Campaign.objects.filter(members__user=user, members__role=TeamRole.OWNER).distinct()


def may_review(user: User | None, campaign: Campaign) -> bool:
    return campaigns_reviewed_by(user).filter(pk=campaign.pk).exists()


def may_own(user: User | None, campaign: Campaign) -> bool:
    return campaigns_owned_by(user).filter(pk=campaign.pk).exists()


def may_review_any(user: User | None) -> bool:
    """Whether ``user`` may come into the workspace at all."""
    return campaigns_reviewed_by(user).exists()


def role_of(user: User | None, campaign: Campaign) -> str:
    """``owner``, ``reviewer`` or ``""``: the role on this campaign's own team."""
    if not _active_staff(user):
        return ""
    member = CampaignMember.objects.filter(campaign=campaign, user=user).first()
    return member.role if member else ""
