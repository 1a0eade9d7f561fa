"""The same application sent twice: a reload, Back and Send again, a double click.

Recognized by what a person would call the same application (the same campaign, contact email
and website, a short while ago, still live), so that it makes no second row and no second mail,
whatever the browser kept of the form.
"""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition.errors import ApplicationError
from coalition.models import Campaign, Endorsement, normalize_website

# Long enough for a person to go Back, fix a typo in the statement and send again; short enough
# that an organization applying anew a day later (after withdrawing, say) is a new application.
WINDOW = timedelta(hours=1)


class ApplicationRepeated(ApplicationError):
    """The application was sent already: ``endorsement`` is the one it made."""

    def __init__(self, endorsement: Endorsement) -> None:
        super().__init__(_("This application has been sent already: please check your email."))
        self.endorsement = endorsement


def same_application(*, campaign: Campaign, contact_email: str, website: str) -> Endorsement | None:
    """The live application to ``campaign`` sent within ``WINDOW`` for the same website from
    the same address, if any (the website compared as organizations store it)."""
    return (
        Endorsement.objects.filter(
            campaign=campaign,
            contact_email__iexact=contact_email.strip(),
            organization__website=normalize_website(website),
            status__in=Endorsement.LIVE_STATUSES,
            submitted_at__gte=timezone.now() - WINDOW,
        )
        .select_related("organization", "campaign")
        .order_by("-submitted_at", "-pk")
        .first()
    )


def refuse_repeat(*, campaign: Campaign, contact_email: str, website: str) -> None:
    """Raise ``ApplicationRepeated`` when this application was sent already."""
    earlier = same_application(campaign=campaign, contact_email=contact_email, website=website)
    if earlier is not None:
        raise ApplicationRepeated(earlier)
