"""A campaign's page: its text and branding, saved with the images the pipelines made, its
timeline, and the private link for applying before its launch."""

from __future__ import annotations

from collections.abc import Sequence

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from coalition.campaigns import dates
from coalition.campaigns.models import Milestone, TeamEvent
from coalition.images import heroes, logos
from coalition.models import Campaign, WebhookEvent
from coalition.publishing import freshness
from coalition.wall import selectors
from coalition.webhooks.services import webhook_event_record

# The fields written in each language (``coalition.translation``): the audit note names the
# language that changed ("title (fr)") rather than the column that follows the active one.
TRANSLATED_FIELDS = ("title", "lead", "addressee", "statement", "organizer_name")
# What the worker and the services write, never an editor: not named in the audit note.
_NOT_EDITED = {"id", "created_at", "launched_at", "preview_key"}


def campaign_save(
    *,
    campaign: Campaign,
    organizer_logo: logos.ProcessedLogo | None = None,
    remove_organizer_logo: bool = False,
    hero_image: heroes.ProcessedHero | None = None,
    remove_hero_image: bool = False,
    milestones: Sequence[Milestone] = (),
    milestones_deleted: Sequence[Milestone] = (),
    by: AbstractBaseUser | None = None,
) -> Campaign:
    """Save ``campaign`` as edited, with a new organizer's logo or hero image (processed, not yet
    stored) or without them, and its timeline's new or changed ``milestones`` and
    ``milestones_deleted``; write the team's audit row (``TeamEvent``: who, and which fields
    changed), and name it a public change, so that once it is committed every page, embed, map
    and share card of it shows the change at once (and every page when its slug or the default
    campaign changed)."""
    with transaction.atomic():
        before = Campaign.objects.select_for_update().filter(pk=campaign.pk).first()
        default_before = _default_pk()
        if organizer_logo is not None:
            campaign.organizer_logo = logos.logo_store(organizer_logo)
        elif remove_organizer_logo:
            campaign.organizer_logo = None
        if hero_image is not None:
            campaign.hero_image = heroes.hero_store(hero_image)
        elif remove_hero_image:
            campaign.hero_image = None
        if before is not None and before.publish_at != campaign.publish_at:
            # A new moment is a new launch: the worker tells the caches again when it comes.
            campaign.launched_at = None
        campaign.save()
        for milestone in milestones:
            milestone.campaign = campaign
            milestone.save()
        for milestone in milestones_deleted:
            if milestone.pk is not None and milestone.campaign_id == campaign.pk:
                milestone.delete()
        changed = _changed_fields(before, campaign)
        if milestones or milestones_deleted:
            changed.append("timeline")
        TeamEvent.objects.create(
            campaign=campaign,
            action=TeamEvent.Action.CAMPAIGN_CHANGED,
            by=by,
            note=_change_note(before, changed),
        )
        # The app finds a rendering by the slug its address names, the default campaign's by
        # none: a new slug or a new default changes what other addresses show.
        renamed = before is not None and before.slug != campaign.slug
        # A new launch moment moves the campaign into or out of the site-wide lists (and
        # perhaps the site's root); the cache layer learns the moments to come.
        moved = before is None or any(
            getattr(before, name) != getattr(campaign, name) for name in dates.MOMENT_FIELDS
        )
        if moved:
            dates.moments_tell_after_commit()
        launch_moved = before is not None and before.publish_at != campaign.publish_at
        freshness.public_change(
            campaigns=[campaign],
            site_wide=renamed or launch_moved or _default_pk() != default_before,
        )
        if before is None or changed:
            # Partners' systems get its public details (sent once this commits).
            webhook_event_record(event=WebhookEvent.CAMPAIGN_UPDATED, campaign=campaign)
    return campaign


def campaign_preview_key_renew(*, campaign: Campaign, by: AbstractBaseUser | None = None) -> str:
    """Give ``campaign`` a new private link for applying before its launch (the old one stops
    working at once), with the team's audit row. Returns the new key."""
    key = dates.preview_key_new()
    with transaction.atomic():
        Campaign.objects.filter(pk=campaign.pk).update(preview_key=key)
        campaign.preview_key = key
        TeamEvent.objects.create(
            campaign=campaign,
            action=TeamEvent.Action.CAMPAIGN_CHANGED,
            by=by,
            note="Changed: private link",
        )
        # A page answered to the old link may be stored: it must not outlive the link.
        freshness.public_change(campaigns=[campaign])
    return key


def _changed_fields(before: Campaign | None, after: Campaign) -> list[str]:
    """The names of the fields that differ, as the audit note gives them: ``title (fr)``,
    ``goal``, ``hero image``."""
    if before is None:
        return []
    languages = [code for code, _name in settings.LANGUAGES]
    names = []
    for field in Campaign._meta.concrete_fields:
        if field.name in _NOT_EDITED or field.name in TRANSLATED_FIELDS:
            continue
        base, _sep, code = field.name.rpartition("_")
        if base in TRANSLATED_FIELDS and code in languages:
            label = f"{base.replace('_', ' ')} ({code})"
        else:
            label = field.name.replace("_", " ")
        if not _same(getattr(before, field.attname), getattr(after, field.attname)):
            names.append(label)
    return names


def _same(old: object, new: object) -> bool:
    # An empty translation is stored as NULL or as "" depending on who wrote it: both are none.
    return old == new or (old in (None, "") and new in (None, ""))


def _change_note(before: Campaign | None, changed: list[str]) -> str:
    if before is None:
        return "Created"
    return f"Changed: {', '.join(changed)}" if changed else "Saved without changes"


def _default_pk() -> int | None:
    default = selectors.campaign_default()
    return default.pk if default is not None else None
