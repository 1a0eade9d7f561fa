"""Who reviews: the staff who may decide on endorsements, and who hears of work waiting for them.

"Who may decide" is written here once: the review mail, the admin's warning when nobody would
hear of new applications, and the reviewer workspace all ask this module.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.db.models import Q, QuerySet

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


def review_notice_addresses() -> list[str]:
    """Where news of an application (or of changes) to review goes: everyone who may decide and
    has an address; when nobody has, the ``ADMINS`` of the settings."""
    addresses = [
        email for email in reviewers_who_may_decide().values_list("email", flat=True) if email
    ]
    return addresses or [address for _name, address in settings.ADMINS if address]
