"""An embargoed launch: before ``publish_at`` every public surface of the campaign is a 404 and it
is in no site-wide list; applying works through the owners' private link, reviewing and the
team's preview work; at ``publish_at`` everything is public at once, and the worker tells the
caches once."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.cache import cache
from django.utils import timezone

from coalition.campaigns import dates
from coalition.campaigns.models import CampaignMember, TeamRole
from coalition.jobs import tasks
from coalition.models import CachePurge, Campaign, Endorsement
from coalition.publishing import freshness
from tests.factories import application_form

Status = Endorsement.Status
SLUG = "secret-launch"
KEY = "k" * 43

# Every public surface of one campaign, by its address.
SURFACES = [
    f"/campaigns/{SLUG}/",
    f"/fr/campaigns/{SLUG}/",
    f"/campaigns/{SLUG}/?country=DE",
    f"/campaigns/{SLUG}/wall.svg",
    f"/campaigns/{SLUG}/wall.png",
    f"/campaigns/{SLUG}/feed/",
    f"/campaigns/{SLUG}/letter/",
    f"/campaigns/{SLUG}/map.svg",
    f"/campaigns/{SLUG}/share.png",
    f"/campaigns/{SLUG}/embed/",
    f"/embed/{SLUG}/",
    f"/api/v1/campaigns/{SLUG}/",
]
# The API's lists filtered to it: a campaign that names nothing is a 400 there (the API's own
# contract), and an embargoed one answers exactly that.
API_FILTERED = [
    f"/api/v1/allies/?campaign={SLUG}",
    f"/api/v1/allies/?campaign={SLUG}&format=csv",
    f"/api/v1/facets/?campaign={SLUG}",
]


@pytest.fixture
def embargoed(campaign, sector) -> Campaign:
    """A second campaign going public in an hour, with a private link and two approved allies
    (gathered before the launch), beside the public default ``campaign``."""
    secret = Campaign.objects.create(
        slug=SLUG,
        title="Launch with the press",
        statement="We stand together, from the moment of our launch.",
        # On a whole second, so that the seconds until it are a whole number.
        publish_at=(timezone.now() + timedelta(hours=1)).replace(microsecond=0),
        preview_key=KEY,
    )
    return secret


@pytest.fixture
def allies(embargoed, make_endorsement) -> list[Endorsement]:
    return [
        make_endorsement(campaign=embargoed, status=Status.APPROVED, name=f"Early Ally {n}")
        for n in (1, 2)
    ]


def _launch_time(campaign: Campaign):
    return campaign.publish_at + timedelta(seconds=1)


@pytest.mark.parametrize("path", SURFACES)
def test_every_surface_is_not_found_before_the_launch_and_found_after(
    client, embargoed, allies, path
):
    before = client.get(path)
    assert before.status_code == 404
    assert b"Early Ally" not in before.content
    with time_machine.travel(_launch_time(embargoed), tick=False):
        # No worker yet: the database is enough for a request that reads it.
        after = client.get(path)
    assert after.status_code == 200


def test_the_letter_as_pdf_is_not_found_before_the_launch(client, embargoed, allies):
    assert client.get(f"/campaigns/{SLUG}/letter.pdf").status_code == 404


@pytest.mark.parametrize("path", API_FILTERED)
def test_the_api_filtered_to_it_answers_as_for_a_campaign_that_does_not_exist(
    client, embargoed, allies, path
):
    before = client.get(path)
    unknown = client.get(path.replace(SLUG, "no-such-campaign"))
    assert before.status_code == unknown.status_code == 400
    assert before.json()["errors"][0]["parameter"] == "campaign"
    assert b"Early Ally" not in before.content
    with time_machine.travel(_launch_time(embargoed), tick=False):
        after = client.get(path)
    assert after.status_code == 200
    if "facets" in path:
        assert after.json()["total"] == 2
    else:
        assert b"Early Ally 1" in after.content


def test_it_is_absent_from_the_list_of_campaigns_until_the_launch(client, embargoed, allies):
    slugs = [item["slug"] for item in client.get("/api/v1/campaigns/").json()]
    assert slugs == ["keep-detection"]
    with time_machine.travel(_launch_time(embargoed), tick=False):
        dates.worker_step()
        slugs = [item["slug"] for item in client.get("/api/v1/campaigns/").json()]
    assert sorted(slugs) == ["keep-detection", SLUG]


def test_its_allies_are_not_found_by_id_until_the_launch(client, embargoed, allies):
    path = f"/api/v1/allies/{allies[0].public_id}/"
    assert client.get(path).status_code == 404
    with time_machine.travel(_launch_time(embargoed), tick=False):
        dates.worker_step()
        assert client.get(path).status_code == 200


def test_site_wide_lists_and_counts_leave_its_allies_out(
    client, campaign, embargoed, allies, make_endorsement
):
    make_endorsement(status=Status.APPROVED, name="Public Ally")
    listed = client.get("/api/v1/allies/").json()
    assert [ally["name"] for ally in listed["results"]] == ["Public Ally"]
    assert client.get("/api/v1/facets/").json()["total"] == 1
    campaigns = {item["slug"]: item for item in client.get("/api/v1/campaigns/").json()}
    assert campaigns["keep-detection"]["ally_count"] == 1
    assert b"Early Ally" not in client.get("/").content


def test_an_embargoed_default_campaign_gives_the_root_to_the_first_public_one(
    client, campaign, embargoed, make_endorsement
):
    # The site's own default goes public later; the other campaign is public already.
    Campaign.objects.filter(pk=campaign.pk).update(publish_at=timezone.now() + timedelta(hours=2))
    Campaign.objects.filter(pk=embargoed.pk).update(publish_at=None)
    response = client.get("/")
    assert response.status_code == 200
    assert response.context["campaign"].slug == SLUG
    assert client.get("/campaigns/keep-detection/").status_code == 404
    assert client.get("/api/v1/allies/").status_code == 200


def test_the_root_is_not_found_while_no_campaign_is_public(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(publish_at=timezone.now() + timedelta(hours=2))
    assert client.get("/").status_code == 404
    assert client.get("/api/v1/allies/").status_code == 404
    assert client.get("/apply/").status_code == 404


# Applying through the private link ------------------------------------------------------------


def test_its_form_is_not_found_without_the_private_link(client, embargoed):
    assert client.get(f"/campaigns/{SLUG}/apply/").status_code == 404
    assert client.get(f"/campaigns/{SLUG}/apply/?preview=wrong").status_code == 404
    assert client.get(f"/campaigns/{SLUG}/apply/?preview={KEY[:-1]}x").status_code == 404
    sent = client.post(f"/campaigns/{SLUG}/apply/", application_form_for(embargoed))
    assert sent.status_code == 404
    assert not Endorsement.objects.filter(campaign=embargoed).exists()


def test_a_campaign_without_a_key_has_no_private_link(client, embargoed):
    Campaign.objects.filter(pk=embargoed.pk).update(preview_key="")
    assert client.get(f"/campaigns/{SLUG}/apply/?preview=").status_code == 404


def application_form_for(campaign: Campaign, **overrides):
    from coalition.models import Sector

    return application_form(Sector.objects.get(), **overrides)


def test_the_private_link_opens_its_form_privately_and_stores_the_application(
    client, embargoed, mailoutbox, django_capture_on_commit_callbacks
):
    page = client.get(f"/campaigns/{SLUG}/apply/?preview={KEY}&utm_source=press")
    assert page.status_code == 200
    assert "private" in page["Cache-Control"]
    assert "no-store" in page["Cache-Control"]
    assert page["X-Robots-Tag"] == "noindex, nofollow"
    # The key travels in the form, so that sending it works without the query string too.
    assert f'name="preview" value="{KEY}"' in page.content.decode()
    assert "not public yet" in page.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        sent = client.post(
            f"/campaigns/{SLUG}/apply/", {**application_form_for(embargoed), "preview": KEY}
        )
    assert sent.status_code == 303
    assert "private" in sent["Cache-Control"]
    assert sent["Location"] == f"/campaigns/{SLUG}/apply/sent/?preview={KEY}"
    stored = Endorsement.objects.get(campaign=embargoed)
    assert stored.organization.name == "Harbour Light Children's Trust"
    assert len(mailoutbox) == 1
    done = client.get(sent["Location"])
    assert done.status_code == 200
    assert "no-store" in done["Cache-Control"]
    assert client.get(f"/campaigns/{SLUG}/apply/sent/").status_code == 404


def test_a_wrong_key_sent_with_the_form_stores_nothing(client, embargoed):
    sent = client.post(
        f"/campaigns/{SLUG}/apply/", {**application_form_for(embargoed), "preview": "wrong"}
    )
    assert sent.status_code == 404
    assert not Endorsement.objects.filter(campaign=embargoed).exists()


def test_after_the_launch_the_form_is_public(client, embargoed):
    with time_machine.travel(_launch_time(embargoed), tick=False):
        page = client.get(f"/campaigns/{SLUG}/apply/")
    assert page.status_code == 200
    assert 'name="preview"' not in page.content.decode()


def test_the_apply_page_keeps_its_preview_parameter(client, embargoed):
    # The public parameters' cut leaves the form's query string alone (and Varnish passes it).
    from coalition.web import public_parameters

    assert not any(
        path.matches(f"/campaigns/{SLUG}/apply/") for path in public_parameters.PUBLIC_PATHS
    )


# Reviewing and the team's preview -------------------------------------------------------------


def test_reviewers_still_see_and_open_its_applications(
    reviewer_client, embargoed, make_endorsement
):
    pending = make_endorsement(campaign=embargoed, name="Waiting Org")
    queue = reviewer_client.get("/review/")
    assert queue.status_code == 200
    assert "Waiting Org" in queue.content.decode()
    decision = reviewer_client.get(f"/review/{pending.public_id}/")
    assert decision.status_code == 200
    assert "Waiting Org" in decision.content.decode()


@pytest.fixture
def team_member(db, embargoed) -> User:
    user = User.objects.create_user("olga", "olga@press.example", "pass-word-1", is_staff=True)
    CampaignMember.objects.create(campaign=embargoed, user=user, role=TeamRole.OWNER)
    return user


def test_its_team_previews_its_page_privately_with_a_banner(client, team_member, embargoed, allies):
    client.force_login(team_member)
    page = client.get(f"/review/preview/{SLUG}/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Preview — not public until" in text
    # Said as the page says its deadline: in the campaign's zone, named, in the page's words.
    moment = timezone.localtime(embargoed.publish_at, embargoed.zone)
    assert f"{moment:%H:%M} (UTC)" in text
    assert f"{moment.year}" in text
    assert moment.strftime("%B") in text
    assert "Early Ally 1" in text
    assert "private" in page["Cache-Control"]
    assert "no-store" in page["Cache-Control"]
    assert "xkey" not in page
    # Its Sign on link opens the form through the private link.
    assert f'/campaigns/{SLUG}/apply/?preview={KEY}"' in text
    # The public still gets nothing, in the same browser's absence of a session too.
    client.logout()
    assert client.get(f"/review/preview/{SLUG}/").status_code == 404
    assert client.get(f"/campaigns/{SLUG}/").status_code == 404


def test_someone_outside_its_team_gets_not_found_from_the_preview(client, embargoed, db):
    stranger = User.objects.create_user("zed", "zed@example.org", "pass-word-2", is_staff=True)
    client.force_login(stranger)
    assert client.get(f"/review/preview/{SLUG}/").status_code == 404
    assert client.get("/review/preview/no-such-campaign/").status_code == 404


def test_the_preview_filters_its_wall_like_the_public_page(client, team_member, embargoed, allies):
    client.force_login(team_member)
    page = client.get(f"/review/preview/{SLUG}/?country=FR")
    assert page.status_code == 200
    assert page.context["shown_count"] == 0
    assert page.context["ally_count"] == 2


# The launch: the worker, and the caches ----------------------------------------------------------


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_worker_launches_once_and_purges_everything(settings, client, campaign, sector):
    settings.HTTP_CACHE_PURGE_URLS = ["http://127.0.0.1:9/"]  # nothing listens: recorded only
    settings.HTTP_CACHE_PURGE_REPEAT_SECONDS = 0
    secret = Campaign.objects.create(
        slug=SLUG,
        title="Launch",
        statement="Together.",
        publish_at=timezone.now() + timedelta(minutes=5),
    )
    assert dates.campaigns_launch() == []
    with time_machine.travel(_launch_time(secret), tick=False):
        version = freshness.public_version()
        launched = tasks.run_steps()
        assert launched == {"launches": tasks.Tally(done=1)}
        secret.refresh_from_db()
        assert secret.launched_at == timezone.now()
        # A site-wide purge: every cached response, site-wide lists and cached 404s included.
        assert [purge.keys for purge in CachePurge.objects.all()] == [["site"]]
        assert freshness.public_version() > version
        # Idempotent: a second pass (or a second worker) finds nothing to do.
        assert tasks.run_steps() == {}
        assert dates.campaigns_launch() == []
    assert CachePurge.objects.count() == 1


def test_a_second_worker_that_read_the_same_campaign_does_not_launch_it_again(embargoed):
    with time_machine.travel(_launch_time(embargoed), tick=False):
        Campaign.objects.filter(pk=embargoed.pk).update(launched_at=timezone.now())
        assert dates.campaigns_launch() == []


def test_moving_the_launch_tells_the_caches_site_wide_and_launches_again(
    settings, embargoed, django_capture_on_commit_callbacks
):
    from coalition import services

    Campaign.objects.filter(pk=embargoed.pk).update(launched_at=timezone.now())
    embargoed.refresh_from_db()
    embargoed.publish_at = timezone.now() + timedelta(days=2)
    before = freshness.public_version(freshness.SITE)
    with django_capture_on_commit_callbacks(execute=True):
        services.campaign_save(campaign=embargoed)
    embargoed.refresh_from_db()
    assert embargoed.launched_at is None
    assert freshness.public_version(freshness.SITE) > before
    # The cache layer knows the new moment.
    assert int(embargoed.publish_at.timestamp() * 1000) in cache.get(freshness.MOMENTS_KEY)


def test_stored_site_wide_lists_are_out_of_date_at_the_moment_even_without_the_worker(
    client, embargoed
):
    dates.moments_tell()
    first = client.get("/api/v1/campaigns/")
    assert [item["slug"] for item in first.json()] == ["keep-detection"]
    assert client.get("/api/v1/campaigns/")["X-Cache"] == "hit"
    with time_machine.travel(_launch_time(embargoed), tick=False):
        again = client.get("/api/v1/campaigns/")
    assert again["X-Cache"] == "miss"
    assert sorted(item["slug"] for item in again.json()) == ["keep-detection", SLUG]


def test_no_response_is_kept_past_the_next_moment(client, campaign, embargoed):
    dates.moments_tell()
    with time_machine.travel(embargoed.publish_at - timedelta(seconds=42), tick=False):
        response = client.get("/api/v1/campaigns/")
        page = client.get("/")
    for answer in (response, page):
        assert "max-age=42" in answer["Cache-Control"]
        assert "s-maxage=42" in answer["Cache-Control"]
        assert "stale-while-revalidate=0" in answer["Cache-Control"]
    # Far from any moment, the usual policy.
    assert "s-maxage=300" in client.get("/api/v1/campaigns/")["Cache-Control"]


def test_the_not_found_of_an_embargoed_campaign_is_kept_by_no_shared_cache(client, embargoed):
    response = client.get(f"/campaigns/{SLUG}/")
    unknown = client.get("/campaigns/no-such-campaign/")
    assert response.status_code == unknown.status_code == 404
    # Exactly as for a campaign that does not exist: nothing says it is there, and nothing
    # marks it public, so Varnish keeps no copy of it (deploy/varnish/default.vcl).
    assert "public" not in response.get("Cache-Control", "")
    assert response.get("Cache-Control") == unknown.get("Cache-Control")
    assert "xkey" not in response


def test_the_worker_command_launches_what_is_due(embargoed, settings):
    from io import StringIO

    from django.core.management import call_command

    with time_machine.travel(_launch_time(embargoed), tick=False):
        out = StringIO()
        call_command("worker", "--once", stdout=out)
    assert "launches: 1 done" in out.getvalue()
    embargoed.refresh_from_db()
    assert embargoed.launched_at is not None


def test_the_site_root_follows_its_default_campaign_at_the_launch_without_the_worker(
    client, campaign, embargoed
):
    # The default campaign is the one under embargo: the root shows the other until then.
    Campaign.objects.filter(pk=campaign.pk).update(is_default=False)
    Campaign.objects.filter(pk=embargoed.pk).update(is_default=True)
    dates.moments_tell()
    assert client.get("/").context["campaign"].slug == "keep-detection"
    assert client.get("/")["X-Cache"] == "hit"
    with time_machine.travel(_launch_time(embargoed), tick=False):
        after = client.get("/")
    assert after["X-Cache"] == "miss"
    assert after.context["campaign"].slug == SLUG
