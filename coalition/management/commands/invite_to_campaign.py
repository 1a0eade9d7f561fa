"""``manage.py invite_to_campaign SLUG EMAIL --role owner|reviewer [--language fr]``: invite
someone to a campaign's team from a shell — the first owner of a new campaign, say. The same
service as the workspace's team page (``coalition.campaigns.invitations``): the mail goes out
through the outbox, the audit trail records it as sent from the shell, and the link is printed.
"""

from __future__ import annotations

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils import translation

from coalition.campaigns import invitations
from coalition.campaigns.models import Campaign, TeamRole


class Command(BaseCommand):
    help = (
        "Invite EMAIL to the team of the campaign SLUG as an owner or a reviewer: mails them a "
        "link that works once, for 7 days, to set a name and password, and prints the link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("slug", help="The campaign's slug, as in /campaigns/<slug>/.")
        parser.add_argument("email", help="The address the invitation goes to.")
        parser.add_argument(
            "--role",
            required=True,
            help=f"The role on the team: {' or '.join(TeamRole.values)}.",
        )
        parser.add_argument(
            "--language",
            default=settings.LANGUAGE_CODE,
            help="The language of the mail: "
            + ", ".join(code for code, _name in settings.LANGUAGES)
            + f" (default {settings.LANGUAGE_CODE}).",
        )

    def handle(self, *args, **options) -> None:
        campaign = Campaign.objects.filter(slug=options["slug"]).first()
        if campaign is None:
            known = ", ".join(Campaign.objects.order_by("slug").values_list("slug", flat=True))
            raise CommandError(
                f"There is no campaign {options['slug']!r}. Campaigns: {known or 'none yet'}."
            )
        if options["role"] not in TeamRole.values:
            raise CommandError(
                f"--role must be {' or '.join(TeamRole.values)}, not {options['role']!r}."
            )
        codes = [code for code, _name in settings.LANGUAGES]
        if options["language"] not in codes:
            raise CommandError(
                f"--language must be one of {', '.join(codes)}, not {options['language']!r}."
            )
        # The service's refusals are for people: in English here, whatever the shell's locale.
        with translation.override("en"):
            try:
                invitation, link = invitations.invitation_send(
                    campaign=campaign,
                    email=options["email"],
                    role=options["role"],
                    by=None,
                    language=options["language"],
                )
            except invitations.TeamError as error:
                raise CommandError(str(error)) from None
        self.stdout.write(
            f"Invited {invitation.email} to the team of {campaign.slug!r} as "
            f"{invitation.role}; the mail is in the outbox. The link works once, until "
            f"{invitation.expires_at:%Y-%m-%d %H:%M} UTC:"
        )
        self.stdout.write(link)
