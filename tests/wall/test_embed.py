from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from coalition.models import Endorsement
from tests.conftest import csp
from tests.wall_helpers import sector_tree

Status = Endorsement.Status
EMBED_JS = Path(__file__).resolve().parent.parent.parent / "static" / "coalition" / "embed.js"


@pytest.fixture
def allies(make_endorsement, db):
    sectors = sector_tree()
    make_endorsement(
        status=Status.APPROVED, name="German Hotline", country="DE", sector=sectors["hotline"]
    )
    make_endorsement(
        status=Status.APPROVED, name="French Tech", country="FR", sector=sectors["tech"]
    )


def test_the_embed_may_be_framed_by_any_site(client, allies):
    response = client.get("/embed/keep-detection/")

    assert response.status_code == 200
    assert "X-Frame-Options" not in response
    assert csp(response)["frame-ancestors"] == ["*"]


def test_the_embed_can_be_limited_to_named_sites(client, allies, settings):
    settings.EMBED_FRAME_ANCESTORS = ["https://partner.example", "https://ngo.example"]

    response = client.get("/embed/keep-detection/")

    assert csp(response)["frame-ancestors"] == [
        "'self'",
        "https://partner.example",
        "https://ngo.example",
    ]


def test_a_revalidated_or_cached_embed_keeps_its_framing_headers(client, allies):
    first = client.get("/embed/keep-detection/")
    cached = client.get("/embed/keep-detection/")
    revalidated = client.get("/embed/keep-detection/", headers={"if-none-match": first["ETag"]})

    assert cached["X-Cache"] == "hit"
    assert revalidated.status_code == 304
    for response in (cached, revalidated):
        assert "X-Frame-Options" not in response
        assert csp(response)["frame-ancestors"] == ["*"]


def test_the_embed_takes_the_wall_filters(client, allies):
    body = client.get("/embed/keep-detection/?country=de&sector=ngo").content.decode()

    assert "German Hotline" in body
    assert "French Tech" not in body
    assert "1 organization stands together" in body


def test_the_embed_has_a_dark_theme_columns_and_can_hide_names_and_count(client, allies):
    body = client.get(
        "/embed/keep-detection/?theme=dark&columns=3&names=0&count=0"
    ).content.decode()

    assert 'class="embed theme-dark"' in body
    assert 'class="wall cols-3"' in body
    assert '<h1 class="visually-hidden">' in body
    # Without logos the names stay inside the tiles, so every tile keeps a name.
    assert '<span class="logo-text">German Hotline</span>' in body


def test_the_embed_shows_names_and_count_by_default(client, allies):
    body = client.get("/embed/keep-detection/").content.decode()

    assert 'class="embed theme-light"' in body
    assert '<h1 class="count">2 organizations stand together</h1>' in body


def test_the_embed_speaks_the_language_asked_for(client, allies):
    response = client.get("/embed/keep-detection/?lang=de")

    assert '<html lang="de">' in response.content.decode()
    assert response["Content-Language"] == "de"


def test_the_embed_links_open_outside_the_frame(client, allies):
    body = client.get("/embed/keep-detection/").content.decode()

    assert re.search(r'<a href="https://[^"]+" rel="noopener noreferrer" target="_blank">', body)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("theme=neon", "Choose the theme “light”, “dark” or “campaign”."),
        ("lang=xx", "“xx” is not a language of this site."),
        ("columns=99", "Columns:"),
        ("names=maybe", "Use 1 to show or 0 to hide."),
        ("country=XX", "“XX” is not a country we know"),
    ],
)
def test_bad_embed_parameters_get_a_message_not_a_500(client, allies, query, message):
    response = client.get(f"/embed/keep-detection/?{query}")

    assert response.status_code == 400
    assert message in response.content.decode()


def test_an_unknown_campaign_embed_is_a_404(client, allies):
    assert client.get("/embed/nope/").status_code == 404


def test_embed_js_is_served_as_cacheable_javascript_for_any_site(client, db):
    response = client.get("/embed.js")

    assert response.status_code == 200
    assert response["Content-Type"] == "text/javascript; charset=utf-8"
    assert response["Access-Control-Allow-Origin"] == "*"
    assert response["Cache-Control"].startswith("public, max-age=")
    assert client.get("/embed.js", headers={"if-none-match": response["ETag"]}).status_code == 304
    assert response.content == EMBED_JS.read_bytes()


def test_embed_js_stays_under_three_kilobytes_gzipped():
    assert len(gzip.compress(EMBED_JS.read_bytes(), compresslevel=9)) <= 3 * 1024


def test_embed_js_checks_who_sends_it_messages():
    source = EMBED_JS.read_text()

    assert "document.currentScript" in source
    assert "event.origin !== origin" in source
    assert "contentWindow === event.source" in source


def test_the_builder_shows_snippets_for_the_chosen_parameters_without_javascript(
    client, allies, settings
):
    settings.SITE_URL = "https://wall.example.org"

    response = client.get(
        "/campaigns/keep-detection/embed/?country=DE&country=FR&theme=dark&names=0&names=1&count=0&height=800"
    )

    body = response.content.decode()
    assert response.status_code == 200
    assert (
        "&lt;iframe src=&quot;https://wall.example.org/embed/keep-detection/"
        "?country=DE%2CFR&amp;amp;theme=dark&amp;amp;count=0&quot;"
    ) in body
    assert "height=&quot;800&quot;" in body
    assert (
        "&lt;div data-coalition-wall data-campaign=&quot;keep-detection&quot; "
        "data-country=&quot;DE,FR&quot; data-theme=&quot;dark&quot; data-count=&quot;0&quot;"
        "&gt;&lt;/div&gt;"
    ) in body
    assert "&lt;script src=&quot;https://wall.example.org/embed.js&quot; async&gt;" in body
    assert 'src="/embed/keep-detection/?country=DE%2CFR&amp;theme=dark&amp;count=0"' in body
    assert response["X-Frame-Options"] == "DENY"


def test_the_builders_counts_follow_the_other_filter_as_the_walls_do(client, allies):
    body = client.get("/campaigns/keep-detection/embed/?country=DE").content.decode()
    wall = client.get("/campaigns/keep-detection/?country=DE").content.decode()

    def counts(page: str, name: str) -> dict[str, str]:
        return dict(
            re.findall(
                rf'<input[^>]*name="{name}" value="([^"]+)"[^>]*>\s*<label[^>]*>[^<]*'
                r'<span class="n" aria-hidden="true">(\d+)</span>',
                page,
            )
        )

    # Germany chosen: the sectors count the German ally only (the French tech one is not).
    assert counts(body, "sector") == counts(wall, "sector")
    assert sum(int(n) for n in counts(body, "sector").values()) >= 1
    assert "tech" not in counts(body, "sector")
    assert counts(body, "country") == counts(wall, "country") == {"DE": "1", "FR": "1"}


def test_the_builder_explains_bad_parameters(client, allies):
    response = client.get("/campaigns/keep-detection/embed/?theme=neon")

    assert response.status_code == 400
    assert "Choose the theme" in response.content.decode()


def test_the_embed_and_the_feed_link_back_to_the_campaign_page(client, allies):
    embed = client.get("/embed/keep-detection/").content.decode()
    feed = client.get("/campaigns/keep-detection/feed/").content.decode()

    assert 'href="/campaigns/keep-detection/" target="_blank"' in embed
    assert 'href="/campaigns/keep-detection/apply/" target="_blank"' in embed
    assert '<link href="http://testserver/campaigns/keep-detection/" rel="alternate"' in feed


@pytest.mark.parametrize(
    "arrived",
    [
        "?ref=partner-news&utm_medium=embed",
        "?utm_source=x&utm_campaign=y&fbclid=IwAR1&gclid=2",
        "?ref=" + "%22%3E%3Cscript%3Ealert(1)%3C/script%3E" + "x" * 200,
        "?zz=anything",
    ],
)
def test_the_embed_is_the_same_bytes_whatever_ref_or_utm_it_is_opened_with(client, allies, arrived):
    plain = client.get("/embed/keep-detection/")
    from_partner = client.get(f"/embed/keep-detection/{arrived}")

    # One rendering for all: the second request is the first one's stored bytes.
    assert from_partner["X-Cache"] == "hit"
    assert from_partner.content == plain.content
    body = plain.content.decode()
    # The partner's ref reaches Sign on in the visitor's browser (attribution.js), which reads
    # the parameters the link names from the frame's own address.
    assert (
        'href="/campaigns/keep-detection/apply/" target="_blank" rel="noopener" '
        'data-carry="ref utm_source utm_medium utm_campaign utm_content utm_term"'
    ) in body
    assert '<script src="/static/coalition/attribution.js" defer></script>' in body


def test_the_builder_puts_the_partners_name_in_both_snippets(client, allies, settings):
    settings.SITE_URL = "https://wall.example.org"

    response = client.get("/campaigns/keep-detection/embed/?theme=dark&ref=Partner+News")

    body = response.content.decode()
    assert response.status_code == 200
    assert 'name="ref" maxlength="100" value="Partner News"' in body
    assert (
        "&lt;iframe src=&quot;https://wall.example.org/embed/keep-detection/"
        "?theme=dark&amp;amp;ref=Partner+News&quot;"
    ) in body
    assert (
        "&lt;div data-coalition-wall data-campaign=&quot;keep-detection&quot; "
        "data-theme=&quot;dark&quot; data-ref=&quot;Partner News&quot;&gt;&lt;/div&gt;"
    ) in body
    assert 'src="/embed/keep-detection/?theme=dark&amp;ref=Partner+News"' in body
    # Another partner's builder page is its own.
    other = client.get("/campaigns/keep-detection/embed/?theme=dark").content.decode()
    assert "Partner News" not in other
