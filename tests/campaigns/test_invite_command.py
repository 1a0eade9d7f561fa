"""``manage.py invite_to_campaign``: the same invitation as the team page, from a shell, with the
link printed and clear errors for what it cannot do."""

from __future__ import annotations

import io
import re

import pytest
from django.core.management import CommandError, call_command

from coalition.campaigns.invitations import token_hash
from coalition.campaigns.models import CampaignInvitation, CampaignMember, TeamEvent, TeamRole


def _run(*args: str) -> str:
    out = io.StringIO()
    call_command("invite_to_campaign", *args, stdout=out)
    return out.getvalue()


def test_it_invites_and_prints_the_absolute_link(
    campaign, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://allies.example.org"
    with django_capture_on_commit_callbacks(execute=True):
        out = _run("keep-detection", "Ines@NGO.example", "--role", "owner", "--language", "fr")
    [link] = re.findall(r"https://allies\.example\.org/review/join/([^/\s]+)/", out)
    invitation = CampaignInvitation.objects.get()
    assert invitation.token_hash == token_hash(link)
    assert (invitation.email, invitation.role, invitation.language, invitation.invited_by) == (
        "ines@ngo.example",
        TeamRole.OWNER,
        "fr",
        None,
    )
    event = TeamEvent.objects.get()
    assert (event.action, event.by, event.note) == (
        TeamEvent.Action.INVITED,
        None,
        "Sent from the shell (manage.py invite_to_campaign).",
    )
    [message] = mailoutbox
    assert message.to == ["ines@ngo.example"]
    assert "propriétaire" in message.body
    assert f"https://allies.example.org/review/join/{link}/" in message.body


def test_the_language_defaults_to_english(campaign, mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        _run("keep-detection", "ines@ngo.example", "--role", "reviewer")
    assert CampaignInvitation.objects.get().language == "en"
    assert "as a reviewer" in mailoutbox[0].body


def test_an_unknown_campaign_is_a_clear_error(campaign):
    with pytest.raises(CommandError, match=r"no campaign 'nope'.*keep-detection"):
        _run("nope", "ines@ngo.example", "--role", "owner")


def test_a_bad_role_is_a_clear_error(campaign):
    with pytest.raises(CommandError, match="--role must be owner or reviewer"):
        _run("keep-detection", "ines@ngo.example", "--role", "admin")


def test_a_bad_address_is_a_clear_error(campaign):
    with pytest.raises(CommandError, match="valid email address"):
        _run("keep-detection", "ines at ngo", "--role", "owner")
    assert not CampaignInvitation.objects.exists()


def test_a_bad_language_is_a_clear_error(campaign):
    with pytest.raises(CommandError, match="--language must be one of en, fr, de"):
        _run("keep-detection", "ines@ngo.example", "--role", "owner", "--language", "es")


def test_someone_already_on_the_team_is_refused(campaign, reviewer):
    CampaignMember.objects.create(campaign=campaign, user=reviewer, role=TeamRole.OWNER)
    with pytest.raises(CommandError, match="already on this team as owner"):
        _run("keep-detection", "reviewer@registry.example", "--role", "owner")
