"""Who reviews: the staff who may decide on every campaign's endorsements, and who hears of work
waiting for them.

"Who reviews every campaign" is written here once (the Reviewers group and the superusers);
``coalition.campaigns.team`` adds each campaign's own team on top of it. The review mail, the
admin's warning when nobody would hear of new applications, and the reviewer workspace all ask
these two modules.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet
from django.urls import reverse

from coalition.campaigns.models import CampaignMember
from coalition.web import links

if TYPE_CHECKING:
    from coalition.models import Campaign, Endorsement

# The group of staff who review every campaign (created by a migration).
REVIEWERS_GROUP = "Reviewers"
DECIDE_PERMISSION = "coalition.decide_endorsement"
# The admin lets someone decide only on an endorsement they can see (view or change).
SEE_PERMISSIONS = ("coalition.view_endorsement", "coalition.change_endorsement")
# Permissions live in the database through this backend; the other one (django-axes) only
# counts failed sign-ins and grants nothing.
_PERMISSION_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _with_perm(perm: str) -> QuerySet[AbstractBaseUser]:
    """Active users holding ``perm`` directly or through a group, superusers included."""
    return get_user_model().objects.with_perm(perm, backend=_PERMISSION_BACKEND)


def reviewers_who_may_decide() -> QuerySet[AbstractBaseUser]:
    """Active staff users who may approve, reject and remove endorsements: the members of the
    Reviewers group (or any group or user given the same permissions) and the superusers."""
    may_see = Q()
    for perm in SEE_PERMISSIONS:
        may_see |= Q(pk__in=_with_perm(perm).values("pk"))
    return (
        get_user_model()
        .objects.filter(is_active=True, is_staff=True)
        .filter(pk__in=_with_perm(DECIDE_PERMISSION).values("pk"))
        .filter(may_see)
        .order_by("pk")
    )


def review_notice_addresses(*, campaign: Campaign | None = None) -> list[str]:
    """Where news of an application (or of changes) to review in ``campaign`` goes: everyone
    who reviews every campaign, and that campaign's own team (owners and reviewers), who have an
    address; when nobody has, the ``ADMINS`` of the settings. Other campaigns' teams never hear
    of it. Without ``campaign``: the reviewers of every campaign only."""
    emails = list(reviewers_who_may_decide().values_list("email", flat=True))
    if campaign is not None:
        emails += CampaignMember.objects.filter(
            campaign=campaign, user__is_active=True, user__is_staff=True
        ).values_list("user__email", flat=True)
    addresses = list(dict.fromkeys(email for email in emails if email))
    return addresses or [address for _name, address in settings.ADMINS if address]


def review_notice_context(endorsement: Endorsement) -> dict[str, object]:
    """What a review notice shows: the application, and the workspace's page that decides it
    (absolute: the mail is read outside the site). None of the applicant's private links."""
    return {
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "campaign": endorsement.campaign,
        "review_url": links.absolute(reverse("review:decision", args=[endorsement.public_id])),
    }
