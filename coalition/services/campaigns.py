"""A campaign's page: its text and branding, saved with the images the pipelines made."""

from __future__ import annotations

from django.db import transaction

from coalition import heroes, logos
from coalition.models import Campaign
from coalition.services.base import public_version_bump


def campaign_save(
    *,
    campaign: Campaign,
    organizer_logo: logos.ProcessedLogo | None = None,
    remove_organizer_logo: bool = False,
    hero_image: heroes.ProcessedHero | None = None,
    remove_hero_image: bool = False,
) -> Campaign:
    """Save ``campaign`` as edited, with a new organizer's logo or hero image (processed, not yet
    stored) or without them, and move the public version on once it is committed, so that every
    page, embed, map and share card shows the change at once."""
    with transaction.atomic():
        if organizer_logo is not None:
            campaign.organizer_logo = logos.logo_store(organizer_logo)
        elif remove_organizer_logo:
            campaign.organizer_logo = None
        if hero_image is not None:
            campaign.hero_image = heroes.hero_store(hero_image)
        elif remove_hero_image:
            campaign.hero_image = None
        campaign.save()
        transaction.on_commit(public_version_bump)
    return campaign
