from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coalition import services
from coalition.models import Campaign, Endorsement, OrganizationVersion
from tests.conftest import csp
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, make_logo, sector_tree

Status = Endorsement.Status


@pytest.fixture
def sectors(db):
    return sector_tree()


@pytest.fixture
def ally(make_endorsement, sectors):
    """An approved ally, by default in Germany and in the "hotline" child sector."""

    def make(
        name: str, *, country: str = "DE", sector: str = "hotline", approved_at=None, **kwargs
    ) -> Endorsement:
        endorsement = make_endorsement(
            status=Status.APPROVED, name=name, country=country, sector=sectors[sector], **kwargs
        )
        endorsement.approved_at = approved_at or timezone.now()
        Endorsement.objects.filter(pk=endorsement.pk).update(approved_at=endorsement.approved_at)
        return endorsement

    return make


def names_on(response) -> list[str]:
    body = response.content.decode()
    return re.findall(r'<span class="(?:name|logo-text)"[^>]*>([^<]*)</span>', body)


def test_the_wall_shows_each_logo_as_a_picture_linking_to_the_website(client, ally):
    endorsement = ally("Harbor Light Trust")
    organization = endorsement.organization
    organization.logo = make_logo()
    organization.save()
    Endorsement.objects.filter(pk=endorsement.pk).update(domain_verified=True)

    body = client.get("/").content.decode()

    logo = organization.logo
    assert "<picture>" in body
    assert f'<source type="image/webp" srcset="{logo.webp.url} 1x, {logo.webp_2x.url} 2x">' in body
    assert f'srcset="{logo.png.url} 1x, {logo.png_2x.url} 2x"' in body
    assert 'alt="Harbor Light Trust"' in body
    assert 'loading="lazy"' in body
    assert re.search(r'<img [^>]*width="\d+" height="\d+"', body)
    assert f'href="{organization.website}" rel="noopener noreferrer"' in body
    assert "(verified)" in body


def test_an_ally_without_a_logo_shows_its_name_and_no_verified_mark_unless_verified(client, ally):
    ally("Plain Name Society")

    body = client.get("/").content.decode()

    assert '<span class="logo-text">Plain Name Society</span>' in body
    assert "(verified)" not in body


@pytest.mark.parametrize(
    ("count", "headline"),
    [(1, "1 organization stands together"), (2, "2 organizations stand together")],
)
def test_the_headline_counts_with_the_right_plural(client, ally, count, headline):
    for n in range(count):
        ally(f"Org {n}")

    assert headline in client.get("/").content.decode()


def test_the_home_page_links_to_the_default_form_and_a_campaign_page_to_its_own(client, ally):
    ally("Someone")

    assert 'href="/apply/"' in client.get("/").content.decode()
    assert (
        'href="/campaigns/keep-detection/apply/"'
        in client.get("/campaigns/keep-detection/").content.decode()
    )


def test_a_closed_campaign_says_so_instead_of_offering_the_form(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(accepts_applications=False)

    body = client.get("/").content.decode()

    assert "no longer takes new signatures" in body
    assert 'href="/apply/"' not in body


def test_the_filters_offer_only_values_with_allies_and_their_counts(client, ally):
    ally("A", country="DE", sector="hotline")
    ally("B", country="DE", sector="helpline")
    ally("C", country="FR", sector="tech")

    body = client.get("/").content.decode()

    assert re.search(
        r'value="DE" id="country-DE">\s*<label for="country-DE">'
        r'Germany <span class="n"[^>]*>2</span>',
        body,
    )
    assert 'value="FR"' in body
    assert 'value="IT"' not in body
    # The parent counts its children's allies; an unused sector is not offered.
    assert re.search(r'<label for="sector-ngo">NGO <span class="n"[^>]*>2</span>', body)
    assert re.search(r'<label for="sector-hotline">Hotline <span class="n"[^>]*>1</span>', body)
    assert re.search(r'<label for="sector-tech">Technology <span class="n"[^>]*>1</span>', body)


def test_country_takes_repeated_comma_separated_and_lower_case_values(client, ally):
    ally("German", country="DE")
    ally("French", country="FR")
    ally("Italian", country="IT")

    assert names_on(client.get("/?country=DE")) == ["German"]
    assert names_on(client.get("/?country=DE&country=fr")) == ["French", "German"]
    assert names_on(client.get("/?country=de,FR")) == ["French", "German"]


def test_a_parent_sector_includes_its_children(client, ally):
    ally("Hotline Org", sector="hotline")
    ally("Helpline Org", sector="helpline")
    ally("Tech Org", sector="tech")

    assert names_on(client.get("/?sector=ngo")) == ["Helpline Org", "Hotline Org"]
    assert names_on(client.get("/?sector=helpline")) == ["Helpline Org"]
    assert names_on(client.get("/?sector=helpline,tech")) == ["Helpline Org", "Tech Org"]


def test_search_and_filters_combine(client, ally):
    ally("Safe Kids Germany", country="DE", sector="hotline")
    ally("Safe Kids France", country="FR", sector="hotline")
    ally("Safe Tech Germany", country="DE", sector="tech")
    ally("Other Germany", country="DE", sector="hotline")

    response = client.get("/?q=safe&country=DE&sector=ngo")

    assert names_on(response) == ["Safe Kids Germany"]
    assert "1 of 4 organizations matches" in response.content.decode()


@pytest.mark.parametrize(
    ("query", "summary"),
    [("?q=alpha", "1 of 3 organizations matches"), ("?country=DE", "2 of 3 organizations match")],
)
def test_the_match_count_agrees_with_the_number_that_matches(client, ally, query, summary):
    ally("Alpha", country="DE")
    ally("Beta", country="DE")
    ally("Gamma", country="FR")

    body = client.get(f"/{query}").content.decode()

    assert summary in " ".join(body.split())


def test_each_filter_count_is_read_out_with_its_noun(client, ally):
    ally("Alpha", country="DE")
    ally("Beta", country="DE")
    ally("Gamma", country="FR")

    body = client.get("/?country=DE").content.decode()

    assert re.search(
        r'<label for="country-DE">Germany <span class="n" aria-hidden="true">2</span>'
        r'<span class="visually-hidden">2 organizations</span></label>',
        body,
    )
    assert re.search(
        r'<label for="country-FR">France <span class="n" aria-hidden="true">1</span>'
        r'<span class="visually-hidden">1 organization</span></label>',
        body,
    )
    assert '<span class="visually-hidden">1 selected</span>' in body


def test_the_wall_orders_by_name_or_by_newest(client, ally):
    now = timezone.now()
    ally("Beta", approved_at=now - timezone.timedelta(days=2))
    ally("Alpha", approved_at=now - timezone.timedelta(days=1))
    ally("Gamma", approved_at=now)

    assert names_on(client.get("/")) == ["Alpha", "Beta", "Gamma"]
    assert names_on(client.get("/?order=name")) == ["Alpha", "Beta", "Gamma"]
    assert names_on(client.get("/?order=newest")) == ["Gamma", "Alpha", "Beta"]


def test_nothing_matching_says_so(client, ally):
    ally("Somebody", country="DE")

    body = client.get("/?country=FR").content.decode()

    assert "No organization matches these filters." in body


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("country=XX", "“XX” is not a country we know"),
        ("country=DE,Narnia", "“NARNIA” is not a country we know"),
        ("sector=no-such-sector", "“no-such-sector” is not a sector we know"),
        ("order=random", "Order by “name” or “newest”"),
        ("page=last", "The page must be a whole number."),
        ("page=0", "Page:"),
        ("q=" + "x" * 101, "Search by name:"),
        ("q=a%00b", "Search by name:"),
    ],
)
def test_unknown_values_get_a_clear_message_and_a_400(client, ally, query, message):
    ally("Somebody")

    response = client.get(f"/?{query}")

    assert response.status_code == 400
    assert message in response.content.decode()
    assert "We could not use these filters" in response.content.decode()


def test_the_wall_is_paginated_by_two_hundred(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 450)

    first = client.get("/")
    third = client.get("/?page=3")
    past_the_end = client.get("/?page=99")

    assert len(names_on(first)) == 200
    assert "450 organizations stand together" in first.content.decode()
    assert 'href="?page=2"' in first.content.decode()
    assert 'aria-current="page">1<' in first.content.decode()
    assert len(names_on(third)) == 50
    assert past_the_end.status_code == 404  # not the last page again: tests/wall/test_wall_pages.py


def test_page_links_keep_the_filters(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 210, country="FR")

    body = client.get("/?country=fr&order=newest").content.decode()

    assert 'href="?country=FR&amp;order=newest&amp;page=2"' in body


def _queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(url)
    assert response.status_code == 200
    assert response["X-Cache"] == "miss"
    return len(queries)


@pytest.mark.parametrize(
    "url",
    [
        "/",
        "/?country=DE&sector=ngo&q=bulk&order=newest",
        "/embed/keep-detection/?theme=dark",
        "/campaigns/keep-detection/embed/",
        "/campaigns/keep-detection/wall.svg",
        "/campaigns/keep-detection/wall.png",
        "/campaigns/keep-detection/feed/",
    ],
)
def test_the_number_of_queries_does_not_grow_with_the_number_of_allies(
    client, campaign, sectors, url
):
    logo = make_logo()
    bulk_allies(campaign, sectors["hotline"], 10, logo=logo)
    with_ten = _queries(client, url)
    # Verified ones, first by name and by date: a verified mark read ally by ally (one query
    # each, the wall.svg of the benchmark once) shows here.
    bulk_allies(campaign, sectors["hotline"], 490, logo=logo, verified=True, prefix="Aa Bulk")
    services.public_version_bump()
    with_five_hundred = _queries(client, url)

    assert with_ten == with_five_hundred
    assert with_five_hundred <= 9  # the campaign page's timeline (issue 22) is one of them


def test_pages_are_cacheable_and_revalidate_with_a_304(client, ally):
    ally("Somebody")

    first = client.get("/?country=DE")
    again = client.get("/?country=DE", headers={"if-none-match": first["ETag"]})
    since = client.get("/?country=DE", headers={"if-modified-since": first["Last-Modified"]})
    other = client.get("/?country=FR", headers={"if-none-match": first["ETag"]})

    assert first.status_code == 200
    assert "max-age=" in first["Cache-Control"]
    assert "stale-while-revalidate=" in first["Cache-Control"]
    assert first["Cache-Control"].startswith("public")
    assert again.status_code == 304
    assert since.status_code == 304
    assert other.status_code == 200
    assert client.get("/?country=DE")["X-Cache"] == "hit"


def test_a_304_costs_no_rendering(client, ally, django_assert_max_num_queries):
    ally("Somebody")
    etag = client.get("/")["ETag"]

    with django_assert_max_num_queries(2):  # the campaign and the sector names to validate
        assert client.get("/", headers={"if-none-match": etag}).status_code == 304


def test_bad_parameters_are_never_stored(client, ally):
    ally("Somebody")

    response = client.get("/?country=XX")

    assert response.status_code == 400
    assert "X-Cache" not in response


URLS = [
    "/",
    "/?country=DE",
    "/campaigns/keep-detection/",
    "/embed/keep-detection/",
    "/embed/keep-detection/?theme=dark&names=0",
    "/campaigns/keep-detection/wall.svg",
    "/campaigns/keep-detection/feed/",
]


def _everywhere(client) -> dict[str, str]:
    return {url: client.get(url).content.decode() for url in URLS}


def test_an_approval_shows_everywhere_at_once(
    client, make_endorsement, reviewer, django_capture_on_commit_callbacks
):
    pending = make_endorsement(status=Status.PENDING, name="Newcomer Alliance")
    assert not any("Newcomer Alliance" in body for body in _everywhere(client).values())

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=pending, by=reviewer, acknowledged=True, note="Checked by hand."
        )

    for url, body in _everywhere(client).items():
        assert "Newcomer Alliance" in body, url


@pytest.mark.parametrize("how", ["withdraw", "remove"])
def test_a_withdrawn_or_removed_ally_is_gone_from_every_cached_variant_at_once(
    client, ally, reviewer, django_capture_on_commit_callbacks, how
):
    leaving = ally("Leaving Society")
    ally("Staying Society")
    assert all("Leaving Society" in body for body in _everywhere(client).values())
    etag = client.get("/")["ETag"]

    with django_capture_on_commit_callbacks(execute=True):
        if how == "withdraw":
            services.endorsement_withdraw(endorsement=leaving)
        else:
            services.endorsement_remove(endorsement=leaving, by=reviewer)

    for url, body in _everywhere(client).items():
        assert "Leaving Society" not in body, url
        assert "Staying Society" in body, url
    assert client.get("/", headers={"if-none-match": etag}).status_code == 200


def test_an_approved_edit_shows_everywhere_at_once(
    client, ally, reviewer, django_capture_on_commit_callbacks
):
    endorsement = ally("Editing Trust")
    with django_capture_on_commit_callbacks(execute=True):
        version = services.organization_update(
            endorsement=endorsement, website="https://new-site.example.org", statement="New words"
        )
    # A proposal is not public yet.
    assert "new-site.example.org" not in client.get("/").content.decode()
    assert version.state == OrganizationVersion.State.PROPOSED

    with django_capture_on_commit_callbacks(execute=True):
        services.organization_version_approve(version=version, by=reviewer)

    assert 'href="https://new-site.example.org/"' in client.get("/").content.decode()
    assert "new-site.example.org" in client.get("/embed/keep-detection/").content.decode()
    assert "New words" in client.get("/campaigns/keep-detection/feed/").content.decode()


@pytest.mark.parametrize(
    "url", ["/", "/?country=XX", "/campaigns/keep-detection/embed/", "/embed/keep-detection/"]
)
def test_pages_carry_no_inline_script_or_style(client, ally, url):
    ally("Somebody")

    body = client.get(url).content.decode()

    # The page's JSON-LD is data (application/ld+json), which no browser runs.
    assert not re.search(
        r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/ld\+json\")[^>]*>", body
    )
    assert "<style" not in body
    assert not re.search(r"<[a-z][^>]*\sstyle=", body)


def test_private_fields_never_reach_the_wall(client, ally, make_endorsement, reason, reviewer):
    public = ally("Public Trust")
    rejected = make_endorsement(status=Status.PENDING, name="Rejected Org")
    services.endorsement_reject(
        endorsement=rejected, by=reviewer, reason=reason, note="Secret note"
    )
    for status in (Status.UNCONFIRMED, Status.PENDING):
        make_endorsement(status=status, name=f"Hidden {status}")

    for url, body in _everywhere(client).items():
        assert "Public Trust" in body, url
        for secret in (
            public.contact_email,
            public.contact_name,
            "Director",
            "Rejected Org",
            reason.text,
            "Secret note",
            "Hidden unconfirmed",
            "Hidden pending",
        ):
            assert secret not in body, (url, secret)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_are_escaped_on_the_page_and_in_the_embed(client, ally, name):
    ally(name)

    for url in ("/", "/embed/keep-detection/"):
        body = client.get(url).content.decode()
        assert "<script>alert" not in body
        assert "<img src=x" not in body
        assert "]]> &" not in body


def test_a_hostile_campaign_statement_is_escaped(client, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(
        title="<b>Bold</b> title", statement="<script>alert(1)</script> & more"
    )

    body = client.get("/").content.decode()

    assert "<script>alert(1)" not in body
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; more" in body
    assert "&lt;b&gt;Bold&lt;/b&gt; title" in body


def test_pages_other_than_embeds_refuse_to_be_framed(client, campaign):
    for url in ("/", "/apply/", "/campaigns/keep-detection/embed/", "/admin/login/"):
        response = client.get(url)
        assert response["X-Frame-Options"] == "DENY", url
        assert csp(response)["frame-ancestors"] == ["'none'"], url
