"""Reads for the public: only approved endorsements ever leave this module."""

from __future__ import annotations

from django.db.models import QuerySet
from django.shortcuts import get_object_or_404

from coalition.models import Campaign, Endorsement


def campaign_default() -> Campaign | None:
    return Campaign.objects.filter(is_default=True).first() or Campaign.objects.first()


def campaign_get(*, slug: str | None = None) -> Campaign:
    """The campaign with ``slug``, or the default one; 404 when there is none."""
    if slug is None:
        campaign = campaign_default()
        if campaign is None:
            raise Campaign.DoesNotExist("No campaign has been set up yet.")
        return campaign
    return get_object_or_404(Campaign, slug=slug)


def ally_list(*, campaign: Campaign) -> QuerySet[Endorsement]:
    """Approved endorsements of ``campaign`` with what the public may see of them."""
    return (
        Endorsement.objects.filter(campaign=campaign, status=Endorsement.Status.APPROVED)
        .select_related("organization", "organization__sector", "organization__logo")
        .only(
            "public_id",
            "approved_at",
            "domain_verified",
            "campaign_id",
            "organization__name",
            "organization__website",
            "organization__country",
            "organization__statement",
            "organization__sector__slug",
            "organization__sector__name",
            "organization__sector__parent_id",
            "organization__logo__width",
            "organization__logo__height",
            "organization__logo__png",
            "organization__logo__webp",
            "organization__logo__png_2x",
            "organization__logo__webp_2x",
        )
        .order_by("organization__name", "pk")
    )


def ally_count(*, campaign: Campaign) -> int:
    return Endorsement.objects.filter(campaign=campaign, status=Endorsement.Status.APPROVED).count()
