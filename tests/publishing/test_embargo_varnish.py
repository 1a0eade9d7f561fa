"""An embargoed launch through a real Varnish running deploy/varnish/default.vcl in front of the
live site (tests/publishing/test_varnish.py's helpers and fixtures; skipped without varnishd, a
failure under CI): before ``publish_at`` the campaign's page is a 404 that Varnish keeps no copy
of, the list of campaigns is cached without it, and the first request after the moment (and
the worker's launch) sees the campaign."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from django.utils import timezone

from coalition.campaigns import dates
from coalition.models import Campaign
from tests.publishing.test_varnish import (  # noqa: F401 - fixtures, used by name
    _database_restored_afterwards,
    _site_varnish,
    site,
)

SLUG = "secret-launch"
# Long enough for the requests before the moment, short enough to wait for.
LEAD_SECONDS = 4


@pytest.fixture
def campaigns(transactional_db) -> Campaign:
    """The public default campaign, and one going public in a few seconds (returned)."""
    Campaign.objects.create(
        slug="keep-detection", title="Keep detection legal", statement="We ask.", is_default=True
    )
    return Campaign.objects.create(
        slug=SLUG,
        title="Launch with the press",
        statement="Together, from the moment of our launch.",
        publish_at=timezone.now() + timedelta(seconds=LEAD_SECONDS),
        preview_key="k" * 43,
    )


def _wait_for(moment) -> None:
    time.sleep(max(0.0, (moment - timezone.now()).total_seconds()) + 0.05)


def _slugs(answer) -> list[str]:
    import json

    return sorted(item["slug"] for item in json.loads(answer.body))


def test_the_first_request_after_the_launch_sees_the_campaign_through_varnish(site, campaigns):  # noqa: F811
    dates.moments_tell()
    page = f"/campaigns/{SLUG}/"

    before = site.get(page)
    again = site.get(page)
    assert before.status == again.status == 404
    # Not public: Varnish keeps no copy of the 404 (every request asks the site).
    assert "public" not in before.header("Cache-Control")
    assert again.cache in ("MISS", "PASS")

    listed = site.get("/api/v1/campaigns/")
    assert _slugs(listed) == ["keep-detection"]
    assert site.get("/api/v1/campaigns/").cache == "HIT"
    # Kept no longer than the moment.
    max_age = int(listed.header("Cache-Control").split("s-maxage=")[1].split(",")[0])
    assert max_age <= LEAD_SECONDS

    # The form answers only through the private link, and never from the cache.
    assert site.get(f"/campaigns/{SLUG}/apply/").status == 404
    form = site.get(f"/campaigns/{SLUG}/apply/?preview={'k' * 43}")
    assert form.status == 200
    assert form.cache == "PASS"
    assert "no-store" in form.header("Cache-Control")

    _wait_for(campaigns.publish_at)
    assert dates.worker_step() == 1  # the launch: a site-wide purge of the caches

    first = site.get(page)
    assert first.status == 200
    assert b"Launch with the press" in first.body
    assert site.get(page).cache == "HIT"
    assert _slugs(site.get("/api/v1/campaigns/")) == ["keep-detection", SLUG]
    assert site.get(f"/api/v1/allies/?campaign={SLUG}").status == 200


def test_without_the_worker_nothing_cached_outlives_the_moment(site, campaigns):  # noqa: F811
    dates.moments_tell()
    assert _slugs(site.get("/api/v1/campaigns/")) == ["keep-detection"]
    assert site.get("/api/v1/campaigns/").cache == "HIT"

    _wait_for(campaigns.publish_at)

    after = site.get("/api/v1/campaigns/")
    assert after.cache == "MISS"
    assert _slugs(after) == ["keep-detection", SLUG]
    assert site.get(f"/campaigns/{SLUG}/").status == 200
