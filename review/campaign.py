"""``/review/campaigns/``: an owner edits their campaign in the workspace — its texts in each
language, branding, hero image, dates and timeline — and shares the private link for applying
before the launch.

Who owns which campaign is ``coalition.campaigns.team`` (superusers: all); any other campaign's
address answers 404, as if it were not there. Every save goes through
``coalition.services.campaign_save``, which writes the team's audit row and tells the caches.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods, require_POST

from coalition import services
from coalition.campaigns import team
from coalition.endorsements import crm_export
from coalition.models import Campaign
from coalition.web import links
from review.access import base_context, reviewer_required
from review.campaign_forms import (
    CampaignForm,
    error_summary,
    milestone_formset,
    milestone_legend,
    wall_clock,
)


def _owned_or_404(request: HttpRequest, slug: str) -> Campaign:
    campaign = get_object_or_404(
        Campaign.objects.select_related("organizer_logo", "hero_image"), slug=slug
    )
    if not team.may_own(request.user, campaign):
        # Not "forbidden": whether another campaign exists is not for them to learn.
        raise Http404
    return campaign


def private_link(campaign: Campaign) -> str:
    """The public apply page with the campaign's preview key: applying works through it before
    the launch. Empty while the campaign has no key."""
    if not campaign.preview_key:
        return ""
    return links.absolute(reverse("apply", args=[campaign.slug])) + (
        f"?preview={campaign.preview_key}"
    )


@require_http_methods(["GET", "HEAD"])
@reviewer_required
def campaign_list(request: HttpRequest) -> HttpResponse:
    campaigns = team.campaigns_owned_by(request.user).order_by("title")
    rows = [
        {
            "campaign": campaign,
            "url": reverse("review:campaign", args=[campaign.slug]),
            "public_url": reverse("campaign-detail", args=[campaign.slug]),
            "embargoed": not campaign.is_public(),
        }
        for campaign in campaigns
    ]
    return render(request, "review/campaigns.html", {**base_context(request), "rows": rows})


@require_http_methods(["GET", "HEAD", "POST"])
@reviewer_required
def campaign_edit(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _owned_or_404(request, slug)
    status = 200
    if request.method == "POST":
        form = CampaignForm(request.POST, request.FILES, instance=campaign)
        formset = milestone_formset(campaign, request.POST)
        if form.is_valid() and formset.is_valid():
            data = form.cleaned_data
            with transaction.atomic():
                services.campaign_save(
                    campaign=form.save(),
                    organizer_logo=data.get("organizer_logo_upload"),
                    remove_organizer_logo=data.get("remove_organizer_logo", False),
                    hero_image=data.get("hero_image_upload"),
                    remove_hero_image=data.get("remove_hero_image", False),
                    milestones=[
                        milestone.save(commit=False)
                        for milestone in formset.forms
                        if milestone.has_changed() and milestone not in formset.deleted_forms
                    ],
                    milestones_deleted=[
                        milestone.instance
                        for milestone in formset.deleted_forms
                        if milestone.instance.pk is not None
                    ],
                    by=request.user,
                )
            messages.success(request, _("The campaign is saved."))
            return redirect("review:campaign", slug=campaign.slug)
        status = 400
        # The page shows the campaign as stored (its images, its title), not the rejected input.
        campaign = _owned_or_404(request, slug)
    else:
        form = CampaignForm(instance=campaign)
        formset = milestone_formset(campaign)
    return render(
        request,
        "review/campaign.html",
        _editor_context(request, campaign, form, formset),
        status=status,
    )


@require_POST
@reviewer_required
def campaign_private_link(request: HttpRequest, slug: str) -> HttpResponse:
    campaign = _owned_or_404(request, slug)
    services.campaign_preview_key_renew(campaign=campaign, by=request.user)
    messages.success(
        request,
        _("There is a new private link. The one shared before no longer works."),
    )
    return redirect(reverse("review:campaign", args=[campaign.slug]) + "#private-link")


def _editor_context(
    request: HttpRequest, campaign: Campaign, form: CampaignForm, formset: Any
) -> dict[str, Any]:
    return {
        **base_context(request),
        "campaign": campaign,
        "form": form,
        "formset": formset,
        "milestones": [
            {"form": milestone, "legend": milestone_legend(milestone, index)}
            for index, milestone in enumerate(formset.forms)
        ],
        "errors": error_summary(form, formset) if form.is_bound else [],
        "chosen_files": form.chosen_files if form.is_bound else [],
        "chosen_names": form.chosen_names if form.is_bound else [],
        "publish_local": wall_clock(campaign.publish_at, campaign.zone),
        "private_link": private_link(campaign),
        "public_url": reverse("campaign-detail", args=[campaign.slug]),
        "embargoed": not campaign.is_public(),
        "crm_formats": list(crm_export.FORMATS.items()),
    }
