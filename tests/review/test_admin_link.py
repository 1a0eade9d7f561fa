"""The workspace's bar: the Django admin only for those with a page there, the owners' pages
only for owners."""

from __future__ import annotations

from django.contrib.auth.models import User
from django.test import Client

from coalition.models import CampaignMember, TeamRole

ADMIN_LINK = 'href="/admin/"'


def test_a_campaign_team_member_is_not_offered_the_admin_they_cannot_use(campaign):
    owner = User.objects.create_user("olga", "olga@ngo.example", "team horse", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=owner, role=TeamRole.OWNER)
    client = Client()
    client.force_login(owner)

    page = client.get("/review/")

    assert page.status_code == 200
    assert ADMIN_LINK not in page.content.decode()


def test_a_global_reviewer_keeps_the_admin_link(client, reviewer):
    client.force_login(reviewer)

    page = client.get("/review/")

    assert page.status_code == 200
    assert ADMIN_LINK in page.content.decode()


def test_an_owner_finds_their_campaign_team_and_import_in_the_bar(campaign):
    owner = User.objects.create_user("ines", "ines@ngo.example", "team horse", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=owner, role=TeamRole.OWNER)
    client = Client()
    client.force_login(owner)

    page = client.get("/review/").content.decode()

    for href in ('href="/review/campaigns/"', 'href="/review/team/"', 'href="/review/import/"'):
        assert href in page


def test_a_campaign_reviewer_is_not_offered_the_owners_pages(campaign):
    member = User.objects.create_user("rita", "rita@ngo.example", "team horse", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=member, role=TeamRole.REVIEWER)
    client = Client()
    client.force_login(member)

    page = client.get("/review/").content.decode()

    assert 'href="/review/campaigns/"' not in page
    assert 'href="/review/team/"' not in page
