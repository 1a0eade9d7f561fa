"""``/review/updates/``: a campaign's owners write, test and send updates and follow their
progress; anyone else gets a 404 (or the sign-in), and a GET changes nothing."""

from __future__ import annotations

import pytest
from django.contrib.auth.models import User
from django.core import mail

from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.models import Campaign, CampaignUpdate, Endorsement, UpdateDelivery

Status = Endorsement.Status


@pytest.fixture
def owner(campaign) -> User:
    user = User.objects.create_user("owner", "owner@registry.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=user, role=TeamRole.OWNER)
    return user


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def form(campaign, **extra) -> dict[str, object]:
    return {
        "campaign": campaign.pk,
        "subject_en": "Vote on 12 March",
        "body_en": "The committee votes on 12 March.\n\nhttps://example.org/vote",
        "subject_fr": "",
        "body_fr": "",
        "subject_de": "",
        "body_de": "",
        **extra,
    }


def opted_in(make_endorsement, count: int, status: str = Status.APPROVED) -> list[Endorsement]:
    made = [make_endorsement(status=status) for _ in range(count)]
    Endorsement.objects.filter(pk__in=[e.pk for e in made]).update(updates_opt_in=True)
    return made


def test_the_bar_shows_updates_to_owners_only(owner_client, reviewer, campaign):
    assert 'href="/review/updates/"' in owner_client.get("/review/").content.decode()
    owner_client.force_login(reviewer)
    assert 'href="/review/updates/"' not in owner_client.get("/review/").content.decode()


def test_a_reviewer_who_owns_nothing_gets_a_404_everywhere(reviewer_client, campaign, owner):
    update = CampaignUpdate.objects.create(campaign=campaign, subject_en="x", body_en="y")
    for url in (
        "/review/updates/",
        "/review/updates/new/",
        f"/review/updates/{update.pk}/",
        f"/review/updates/{update.pk}/send/",
    ):
        assert reviewer_client.get(url).status_code == 404, url
        assert reviewer_client.post(url, form(campaign, action="test")).status_code == 404, url
    assert mail.outbox == []
    assert CampaignUpdate.objects.count() == 1
    assert UpdateDelivery.objects.count() == 0


def test_strangers_are_sent_to_sign_in(client, campaign):
    response = client.get("/review/updates/")
    assert response.status_code == 302
    assert "/login/" in response["Location"]


def test_another_campaigns_owner_cannot_reach_this_campaigns_update(
    client, campaign, make_endorsement
):
    opted_in(make_endorsement, 1)
    other = Campaign.objects.create(slug="other", title="Other", statement="x")
    stranger = User.objects.create_user("s", "s@registry.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=other, user=stranger, role=TeamRole.OWNER)
    client.force_login(stranger)
    update = CampaignUpdate.objects.create(campaign=campaign, subject_en="x", body_en="y")
    assert client.get(f"/review/updates/{update.pk}/").status_code == 404
    assert client.post(f"/review/updates/{update.pk}/send/").status_code == 404
    # Nor write one for it: the form offers only their campaigns.
    response = client.post("/review/updates/new/", form(campaign))
    assert response.status_code == 400
    assert CampaignUpdate.objects.count() == 1
    assert "Keep detection legal" not in client.get("/review/updates/").content.decode()
    update.refresh_from_db()
    assert update.sent_at is None


def test_english_is_required(owner_client, campaign):
    response = owner_client.post("/review/updates/new/", form(campaign, subject_en="", body_en=""))
    assert response.status_code == 400
    assert CampaignUpdate.objects.count() == 0


def test_an_owner_writes_tests_confirms_and_sends(
    owner_client, campaign, make_endorsement, django_capture_on_commit_callbacks
):
    recipients = opted_in(make_endorsement, 2)
    opted_in(make_endorsement, 1, status=Status.PENDING)
    response = owner_client.post("/review/updates/new/", form(campaign))
    update = CampaignUpdate.objects.get()
    assert response["Location"] == f"/review/updates/{update.pk}/"

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(
            f"/review/updates/{update.pk}/", form(campaign, action="test"), follow=True
        )
    assert "A test was sent to owner@registry.example" in response.content.decode()
    assert [m.to for m in mail.outbox] == [["owner@registry.example"]]
    assert mail.outbox[0].subject == "[Test] Vote on 12 March"

    response = owner_client.post(f"/review/updates/{update.pk}/", form(campaign, action="send"))
    assert response["Location"] == f"/review/updates/{update.pk}/send/"
    confirm = owner_client.get(f"/review/updates/{update.pk}/send/").content.decode()
    assert "This update will be sent to 2 allies who asked for updates." in confirm
    update.refresh_from_db()
    assert update.sent_at is None  # the GET only asks

    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(f"/review/updates/{update.pk}/send/", follow=True)
    page = response.content.decode()
    assert "The update is on its way to 2 allies." in page
    assert sorted(m.to[0] for m in mail.outbox) == sorted(e.contact_email for e in recipients)
    progress = owner_client.get(f"/review/updates/{update.pk}/").content.decode()
    assert 'data-count="sent">2<' in progress
    assert 'data-count="left">0<' in progress

    # Sent: the form is gone, and nothing changes it or sends it again.
    assert owner_client.post(f"/review/updates/{update.pk}/send/").status_code == 302
    assert (
        owner_client.post(
            f"/review/updates/{update.pk}/", form(campaign, subject_en="Changed")
        ).status_code
        == 400
    )
    update.refresh_from_db()
    assert update.subject_en == "Vote on 12 March"
    assert UpdateDelivery.objects.count() == 2
    listing = owner_client.get("/review/updates/").content.decode()
    assert "Vote on 12 March" in listing


def test_one_ally_is_said_in_the_singular(owner_client, campaign, make_endorsement):
    opted_in(make_endorsement, 1)
    update = CampaignUpdate.objects.create(campaign=campaign, subject_en="x", body_en="y")
    page = owner_client.get(f"/review/updates/{update.pk}/send/").content.decode()
    assert "This update will be sent to 1 ally who asked for updates." in page


def test_the_pages_show_no_contact_data(owner_client, campaign, make_endorsement):
    [ally] = opted_in(make_endorsement, 1)
    update = CampaignUpdate.objects.create(campaign=campaign, subject_en="x", body_en="y")
    for url in (
        "/review/updates/",
        f"/review/updates/{update.pk}/",
        f"/review/updates/{update.pk}/send/",
    ):
        page = owner_client.get(url).content.decode()
        assert ally.contact_email not in page
        assert ally.contact_name not in page
