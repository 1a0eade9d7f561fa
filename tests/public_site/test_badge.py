"""An approved ally's badge, ``/campaigns/<slug>/badge/<public_id>.svg``
(coalition/campaigns/badge.py, public_site/views/badge.py): well-formed, accessible, inert, in
the campaign's colour, light and dark, in English, French and German; only for an approved ally
of that campaign; cached and purged like the wall's pictures."""

from __future__ import annotations

import pytest
from defusedxml.ElementTree import fromstring
from django.urls import reverse

from coalition import services
from coalition.models import Campaign, Endorsement
from coalition.publishing import cache_keys
from coalition.web.public_parameters import cache_query

Status = Endorsement.Status
SVG = "{http://www.w3.org/2000/svg}"


def badge_path(ally: Endorsement) -> str:
    return reverse("campaign-badge", args=[ally.campaign.slug, ally.public_id])


def get_badge(client, ally: Endorsement, **params: str):
    return client.get(badge_path(ally), params)


def texts(response) -> list[str]:
    root = fromstring(response.content)
    return ["".join(element.itertext()) for element in root.iter(f"{SVG}text")]


@pytest.fixture
def ally(make_endorsement) -> Endorsement:
    return make_endorsement(status=Status.APPROVED, name="Alder Helpline")


def test_the_badge_is_a_well_formed_svg_that_says_who_stands_with_what(client, ally):
    response = get_badge(client, ally)

    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    root = fromstring(response.content)
    assert root.tag == f"{SVG}svg"
    assert (root.get("width"), root.get("height")) == ("320", "84")
    assert texts(response) == ["We stand with", "Keep detection legal", "Signed by Alder Helpline"]


def test_the_badge_is_named_for_screen_readers(client, ally):
    root = fromstring(get_badge(client, ally).content)

    said = "Alder Helpline stands with “Keep detection legal”"
    assert root.get("role") == "img"
    assert root.get("aria-label") == said
    assert root.find(f"{SVG}title").text == said
    assert root.get("aria-labelledby") == "badge-title badge-desc"


def test_the_badge_refers_to_nothing_outside_itself_and_runs_nothing(client, ally):
    response = get_badge(client, ally)

    root = fromstring(response.content)
    for element in root.iter():
        assert not element.tag.endswith(("script", "image", "foreignObject", "style"))
        for name, value in element.attrib.items():
            assert not name.endswith("href"), (element.tag, name)
            assert not name.startswith("on")
            assert "url(" not in value
    # The text is in a generic family: no font file is fetched.
    assert root.get("font-family").endswith("sans-serif")
    assert response["Content-Security-Policy"] == "default-src 'none'"
    assert response["Cross-Origin-Resource-Policy"] == "cross-origin"


@pytest.mark.parametrize(
    "name",
    [
        "</text><script>alert(1)</script>",
        '"><svg onload=alert(1)>',
        "Acme & Sons <b>Ltd</b>",
        "Evil\u202egnp.exe",
    ],
)
def test_a_hostile_name_stays_text(client, make_endorsement, name):
    ally = make_endorsement(status=Status.APPROVED, name=name)

    response = get_badge(client, ally)

    assert response.status_code == 200
    root = fromstring(response.content)
    assert not [element for element in root.iter() if "script" in element.tag]
    assert all(not key.startswith("on") for element in root.iter() for key in element.attrib)
    signed = texts(response)[-1]
    # Drawn as it reads, without the right-to-left override that would reverse it.
    assert signed.startswith("Signed by ")
    assert "\u202e" not in response.content.decode()
    if "<" in name:
        assert b"<script" not in response.content
        assert "<" in signed


def test_greek_and_emoji_names_are_drawn_whole(client, make_endorsement):
    greek = make_endorsement(status=Status.APPROVED, name="Χαμόγελο του Παιδιού")
    emoji = make_endorsement(status=Status.APPROVED, name="Kinder 👨‍👩‍👧 Hilfe 🌍")

    assert texts(get_badge(client, greek))[-1] == "Signed by Χαμόγελο του Παιδιού"
    assert texts(get_badge(client, emoji))[-1] == "Signed by Kinder 👨‍👩‍👧 Hilfe 🌍"


def test_a_long_name_is_cut_and_a_long_title_wraps(client, make_endorsement, campaign):
    campaign.title = (
        "Keep voluntary detection of known child sexual abuse material legal across the "
        "European Union beyond April 2026"
    )
    campaign.save()
    ally = make_endorsement(status=Status.APPROVED, name="Internationale Vereinigung " * 6)

    lines = texts(get_badge(client, ally))

    assert len(lines) == 4  # the heading, two lines of title, the name
    assert lines[2].endswith("…")
    assert lines[3].startswith("Signed by Internationale")
    assert lines[3].endswith("…")


def test_light_and_dark_differ_and_both_carry_the_campaigns_accent(client, ally, campaign):
    campaign.accent_color = "#1d4ed8"
    campaign.save()

    light = get_badge(client, ally, theme="light").content
    dark = get_badge(client, ally, theme="dark").content

    assert light != dark
    assert light == get_badge(client, ally).content  # light is the default
    assert b'fill="#1d4ed8"' in light
    assert b'fill="#1d4ed8"' in dark
    assert b'fill="#14202b"' in dark
    assert b'fill="#14202b"' not in light


@pytest.mark.parametrize(
    ("lang", "heading", "signed"),
    [
        ("fr", "Nous soutenons", "Signé par Alder Helpline"),
        ("de", "Wir unterstützen", "Unterzeichnet von Alder Helpline"),
        ("en", "We stand with", "Signed by Alder Helpline"),
    ],
)
def test_the_badge_speaks_the_language_asked_for(client, ally, lang, heading, signed):
    response = get_badge(client, ally, lang=lang)

    lines = texts(response)
    assert lines[0] == heading
    assert lines[-1] == signed
    assert response["Content-Language"] == lang


def test_the_language_is_the_badges_own_not_the_visitors(client, ally):
    response = client.get(badge_path(ally), HTTP_ACCEPT_LANGUAGE="de")

    assert texts(response)[0] == "We stand with"
    assert not response.has_header("Vary") or "Accept-Language" not in response["Vary"]


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"theme": "neon"}, "Theme: Choose the theme “light” or “dark”."),
        ({"theme": "campaign"}, "Theme: Choose the theme “light” or “dark”."),
        ({"lang": "xx"}, "Language: “xx” is not a language of this site."),
    ],
)
def test_a_value_that_names_nothing_is_a_400_saying_so(client, ally, params, message):
    response = get_badge(client, ally, **params)

    assert response.status_code == 400
    assert response.content.decode() == message


def test_both_bad_values_are_named_at_once(client, ally):
    response = get_badge(client, ally, theme="neon", lang="klingon")

    assert response.status_code == 400
    assert response.content.decode().splitlines() == [
        "Theme: Choose the theme “light” or “dark”.",
        "Language: “klingon” is not a language of this site.",
    ]


@pytest.mark.parametrize(
    "status",
    [Status.UNCONFIRMED, Status.PENDING, Status.REJECTED, Status.WITHDRAWN, Status.REMOVED],
)
def test_only_an_approved_ally_has_a_badge(client, make_endorsement, status):
    other = make_endorsement(status=status)

    assert get_badge(client, other).status_code == 404


def test_an_unknown_id_or_campaign_is_a_404(client, ally):
    assert (
        client.get(reverse("campaign-badge", args=[ally.campaign.slug, "nobody"])).status_code
        == 404
    )
    assert (
        client.get(reverse("campaign-badge", args=["no-such", ally.public_id])).status_code == 404
    )
    long_id = "x" * 400
    assert (
        client.get(reverse("campaign-badge", args=[ally.campaign.slug, long_id])).status_code == 404
    )


def test_another_campaigns_ally_has_no_badge_here(client, ally, make_endorsement):
    other = Campaign.objects.create(slug="second", title="Second campaign")
    theirs = make_endorsement(status=Status.APPROVED, campaign=other)

    assert get_badge(client, theirs).status_code == 200
    assert (
        client.get(
            reverse("campaign-badge", args=[ally.campaign.slug, theirs.public_id])
        ).status_code
        == 404
    )
    assert client.get(reverse("campaign-badge", args=["second", ally.public_id])).status_code == 404


def test_the_badge_is_cached_and_named_after_its_campaign_and_ally(client, ally):
    first = get_badge(client, ally, theme="dark")
    again = get_badge(client, ally, theme="dark")
    revalidated = client.get(badge_path(ally), {"theme": "dark"}, HTTP_IF_NONE_MATCH=first["ETag"])

    assert first["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert again.content == first.content
    assert revalidated.status_code == 304
    assert first["Cache-Control"].startswith("public, max-age=60")
    assert first["xkey"].split() == [
        cache_keys.SITE_KEY,
        *cache_keys.keys_for_ally(ally),
    ]


def test_tracking_parameters_make_no_badge_of_their_own(client, ally):
    path = badge_path(ally)

    assert cache_query(path, "utm_source=news&theme=dark&fbclid=x&lang=fr&zz=1") == (
        "lang=fr&theme=dark"
    )
    first = client.get(path, {"theme": "dark", "utm_source": "newsletter"})
    second = client.get(path, {"theme": "dark", "fbclid": "IwAR"})
    assert second["X-Cache"] == "hit"
    assert first.content == second.content


@pytest.mark.parametrize("how", ["remove", "withdraw"])
def test_a_badge_stops_once_its_ally_leaves_the_wall(
    client, ally, reviewer, how, django_capture_on_commit_callbacks
):
    assert get_badge(client, ally).status_code == 200

    with django_capture_on_commit_callbacks(execute=True):
        if how == "remove":
            services.endorsement_remove(endorsement=ally, by=reviewer)
        else:
            services.endorsement_withdraw(endorsement=ally)

    assert get_badge(client, ally).status_code == 404


def test_the_removal_purges_the_badge_from_the_caches_in_front(
    client, ally, reviewer, settings, django_capture_on_commit_callbacks
):
    from tests.publishing.test_purge import FakeVarnish

    settings.HTTP_CACHE_PURGE_REPEAT_SECONDS = 0
    varnish = FakeVarnish()
    try:
        settings.HTTP_CACHE_PURGE_URLS = [varnish.url]
        tagged = get_badge(client, ally)["xkey"].split()
        with django_capture_on_commit_callbacks(execute=True):
            services.endorsement_remove(endorsement=ally, by=reviewer)
    finally:
        varnish.close()

    # Every key the badge carries but ``site`` is purged: its campaign's and its own.
    assert set(tagged) - {cache_keys.SITE_KEY} <= set(varnish.keys)
    assert cache_keys.ally_key(ally) in varnish.keys


def test_a_reviewers_edit_of_the_name_shows_on_the_badge_at_once(
    client, ally, superuser, django_capture_on_commit_callbacks
):
    assert texts(get_badge(client, ally))[-1] == "Signed by Alder Helpline"
    organization = ally.organization

    with django_capture_on_commit_callbacks(execute=True):
        services.organization_edit_by_reviewer(
            organization=organization,
            by=superuser,
            name="Alder Helpline International",
            website=organization.website,
            country=organization.country.code,
            sector=organization.sector,
            registry_id=organization.registry_id,
            statements={},
        )

    assert texts(get_badge(client, ally))[-1] == "Signed by Alder Helpline International"


def test_an_embargoed_campaigns_ally_has_no_badge(client, ally, campaign):
    from datetime import timedelta

    from django.utils import timezone

    campaign.publish_at = timezone.now() + timedelta(days=3)
    campaign.is_default = False
    campaign.save()

    assert get_badge(client, ally).status_code == 404
