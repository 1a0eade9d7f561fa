"""Search engines are pointed at what is public and kept away from what is private:
``/robots.txt`` read by Python's own robots parser, the sitemaps read by a crawler's library
(``ultimate-sitemap-parser``) from a live server; nothing unapproved or embargoed in them; a
private page says noindex even if its link leaks."""

from __future__ import annotations

import urllib.robotparser
from datetime import timedelta

import pytest
from defusedxml import ElementTree as ET
from django.urls import reverse
from django.utils import timezone
from usp.objects.sitemap import InvalidSitemap
from usp.tree import sitemap_tree_for_homepage

from coalition import services
from coalition.campaigns import sitemaps
from coalition.endorsements import tokens
from coalition.models import Campaign, Endorsement

Status = Endorsement.Status
SITE = "https://coalition.example.org"
XMLNS = {"s": "http://www.sitemaps.org/schemas/sitemap/0.9", "x": "http://www.w3.org/1999/xhtml"}


@pytest.fixture(autouse=True)
def _site(settings):
    settings.SITE_URL = SITE


@pytest.fixture
def embargoed(db, sector) -> Campaign:
    return Campaign.objects.create(
        slug="secret-launch",
        title="Secret launch",
        statement="Not yet.",
        publish_at=timezone.now() + timedelta(days=3),
    )


@pytest.fixture
def allies(campaign, embargoed, make_endorsement) -> dict[str, Endorsement]:
    return {
        "approved": make_endorsement(status=Status.APPROVED, name="Harbour Light"),
        "greek": make_endorsement(status=Status.APPROVED, name="Ελληνικό Δίκτυο 🧒"),
        "pending": make_endorsement(status=Status.PENDING),
        "rejected": make_endorsement(status=Status.REJECTED),
        "withdrawn": make_endorsement(status=Status.WITHDRAWN),
        "embargoed": make_endorsement(status=Status.APPROVED, campaign=embargoed),
    }


def _locations(client, path: str) -> list[str]:
    response = client.get(path)
    assert response.status_code == 200, path
    assert response["Content-Type"] == "application/xml; charset=utf-8"
    return [loc.text for loc in ET.fromstring(response.content).iter(f"{{{XMLNS['s']}}}loc")]


def test_robots_txt_keeps_crawlers_out_of_private_and_staff_pages_and_names_the_sitemap(
    client, campaign, make_endorsement
):
    ally = make_endorsement(status=Status.APPROVED)
    response = client.get("/robots.txt")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"

    robots = urllib.robotparser.RobotFileParser()
    robots.parse(response.content.decode().splitlines())

    manage = reverse("manage", kwargs={"token": tokens.manage_token(ally)})
    for private in (
        manage,
        "/fr" + manage,
        "/review/",
        "/admin/",
        "/de/resend/",
        "/unsubscribe/x/",
    ):
        assert not robots.can_fetch("Googlebot", SITE + private), private
    for public in ("/", "/fr/", f"/campaigns/{campaign.slug}/letter/", "/api/v1/allies/"):
        assert robots.can_fetch("Googlebot", SITE + public), public
    assert robots.site_maps() == [f"{SITE}/sitemap.xml"]


def test_a_private_page_says_noindex_even_when_its_link_leaks(client, campaign, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED)

    response = client.get(reverse("manage", kwargs={"token": tokens.manage_token(ally)}))

    assert response.status_code == 200
    assert response["X-Robots-Tag"] == "noindex, nofollow"
    assert "X-Robots-Tag" not in client.get("/")


def test_the_sitemaps_list_public_campaigns_and_approved_allies_in_every_language(
    client, campaign, allies
):
    [campaigns_page, allies_page] = _locations(client, "/sitemap.xml")
    assert campaigns_page == f"{SITE}/sitemap-campaigns.xml"
    assert allies_page == f"{SITE}/sitemap-allies.xml"

    pages = _locations(client, "/sitemap-campaigns.xml")
    slug = campaign.slug
    assert pages == [
        f"{SITE}/",  # the default campaign's canonical address
        f"{SITE}/fr/",
        f"{SITE}/de/",
        f"{SITE}/campaigns/{slug}/letter/",
        f"{SITE}/fr/campaigns/{slug}/letter/",
        f"{SITE}/de/campaigns/{slug}/letter/",
        f"{SITE}/campaigns/{slug}/verify/",
        f"{SITE}/fr/campaigns/{slug}/verify/",
        f"{SITE}/de/campaigns/{slug}/verify/",
    ]
    proofs = _locations(client, "/sitemap-allies.xml")
    for name in ("approved", "greek"):
        public_id = allies[name].public_id
        for prefix in ("", "/fr", "/de"):
            assert f"{SITE}{prefix}/campaigns/{slug}/allies/{public_id}/" in proofs
    assert len(proofs) == 6
    for name in ("pending", "rejected", "withdrawn", "embargoed"):
        assert not any(allies[name].public_id in url for url in proofs), name
    assert not any("secret-launch" in url for url in pages + proofs)


def test_each_address_names_its_translations(client, campaign, allies):
    tree = ET.fromstring(client.get("/sitemap-allies.xml").content)
    public_id = allies["approved"].public_id
    path = f"/campaigns/{campaign.slug}/allies/{public_id}/"
    [entry] = [
        url
        for url in tree.iterfind("s:url", XMLNS)
        if url.findtext("s:loc", namespaces=XMLNS) == SITE + "/fr" + path
    ]
    links = {link.get("hreflang"): link.get("href") for link in entry.iterfind("x:link", XMLNS)}
    assert links == {
        "en": SITE + path,
        "fr": SITE + "/fr" + path,
        "de": SITE + "/de" + path,
        "x-default": SITE + path,
    }


def test_every_address_in_the_sitemaps_answers_200(client, campaign, allies):
    for sitemap in _locations(client, "/sitemap.xml"):
        for url in _locations(client, sitemap.removeprefix(SITE)):
            response = client.get(url.removeprefix(SITE))
            assert response.status_code == 200, url


def test_an_approval_shows_in_the_sitemap_and_the_sitemaps_carry_the_campaigns_key(
    client, campaign, make_endorsement, django_capture_on_commit_callbacks
):
    first = client.get("/sitemap-allies.xml")
    assert "campaigns" in first["xkey"].split()
    pending = make_endorsement(status=Status.PENDING)
    assert pending.public_id not in first.content.decode()

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=pending, by=None, acknowledged=True, note="Checked."
        )

    assert pending.public_id in client.get("/sitemap-allies.xml").content.decode()


def test_long_sitemaps_come_in_pages_that_the_index_lists(
    client, campaign, make_endorsement, monkeypatch
):
    monkeypatch.setattr(sitemaps.AllyPages, "limit", 4)
    for _ in range(3):
        make_endorsement(status=Status.APPROVED)  # 9 addresses: pages of 4, 4 and 1

    index = _locations(client, "/sitemap.xml")

    assert index[1:] == [
        f"{SITE}/sitemap-allies.xml",
        f"{SITE}/sitemap-allies.xml?p=2",
        f"{SITE}/sitemap-allies.xml?p=3",
    ]
    counts = [len(_locations(client, url.removeprefix(SITE))) for url in index[1:]]
    assert counts == [4, 4, 1]


@pytest.mark.parametrize(
    "path",
    [
        "/sitemap-allies.xml?p=4",
        "/sitemap-allies.xml?p=0",
        "/sitemap-allies.xml?p=abc",
        "/sitemap-allies.xml?p=%C2%B2",  # "²" is a digit to str.isdigit
        "/sitemap-allies.xml?p=99999999999999999999",
        "/sitemap-nothing.xml",
    ],
)
def test_a_page_of_the_sitemap_that_does_not_exist_is_a_404(client, campaign, path):
    assert client.get(path).status_code == 404


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_crawlers_library_finds_every_public_page_from_robots_txt(
    live_server, settings, campaign, allies
):
    settings.SITE_URL = live_server.url

    tree = sitemap_tree_for_homepage(f"{live_server.url}/", use_known_paths=False)

    invalid = [sitemap for sitemap in tree.all_sitemaps() if isinstance(sitemap, InvalidSitemap)]
    assert invalid == []
    found = {page.url for page in tree.all_pages()}
    assert f"{live_server.url}/fr/campaigns/{campaign.slug}/letter/" in found
    assert (
        f"{live_server.url}/de/campaigns/{campaign.slug}/allies/{allies['greek'].public_id}/"
        in found
    )
    assert len(found) == 9 + 6
    page = next(page for page in tree.all_pages() if page.url == f"{live_server.url}/")
    assert sorted(page.alternates) == sorted(
        [
            ("en", f"{live_server.url}/"),
            ("fr", f"{live_server.url}/fr/"),
            ("de", f"{live_server.url}/de/"),
            ("x-default", f"{live_server.url}/"),
        ]
    )
