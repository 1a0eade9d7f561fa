"""The campaign page (issue 21, items 15 and 21): the allies' statements where people read them,
filter counts that say what a choice shows, a wall the filters open at, one canonical address,
its locale for social sites, and share links that load nothing from anyone else."""

from __future__ import annotations

import re

import pytest

from coalition.models import Campaign, Endorsement, Organization
from tests.wall_helpers import bulk_allies, make_logo, sector_tree

Status = Endorsement.Status


@pytest.fixture
def sectors(db):
    return sector_tree()


def _say(endorsement: Endorsement, **statements: str) -> None:
    Organization.objects.filter(pk=endorsement.organization_id).update(
        **{f"statement_{code}": text for code, text in statements.items()}
    )


def body(client, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, path
    return response.content.decode()


# 15. Statements ------------------------------------------------------------------------------


def test_the_page_quotes_why_the_newest_allies_signed_and_never_a_pending_one(
    client, campaign, sectors
):
    approved = bulk_allies(campaign, sectors["tech"], 6, logo=make_logo())
    pending = bulk_allies(campaign, sectors["tech"], 1, status=Status.PENDING, prefix="Quiet")
    for n, ally in enumerate(approved):
        _say(ally, en=f"Reason number {n}.")
    _say(pending[0], en="A secret reason.")

    page = body(client, "/")

    section = page.split('id="statements-heading"', 1)[1].split("</section>", 1)[0]
    # The four newest (bulk_allies approves the first one last).
    assert re.findall(r"Reason number (\d)\.", section) == ["0", "1", "2", "3"]
    assert "A secret reason." not in page


def test_each_allys_statement_is_on_its_tile_in_the_page_language_or_its_own(
    client, campaign, sectors
):
    ally = bulk_allies(campaign, sectors["tech"], 1)[0]
    _say(ally, de="Wir stehen zusammen.", fr="Nous sommes solidaires.")

    french = body(client, "/fr/")
    english = body(client, "/")

    tile = french.split(f'id="ally-{ally.public_id}"', 1)[1].split("</li>", 1)[0]
    assert '<p lang="fr">Nous sommes solidaires.</p>' in tile
    tile = english.split(f'id="ally-{ally.public_id}"', 1)[1].split("</li>", 1)[0]
    # No English: the first language in the fallbacks that has one, marked as such.
    assert re.search(r'<p lang="(fr|de)">', tile)


def test_the_form_promises_only_what_the_page_does(client, campaign):
    assert "It is shown publicly, on the campaign&#x27;s page" in body(client, "/apply/")


# 21. Filters, anchor, canonical, locale, sharing --------------------------------------------


def test_each_filters_counts_apply_the_other_active_filters(client, campaign, sectors):
    logo = make_logo()
    bulk_allies(campaign, sectors["tech"], 2, country="DE", logo=logo)
    bulk_allies(campaign, sectors["hotline"], 3, country="FR", logo=logo)
    bulk_allies(campaign, sectors["tech"], 1, country="FR", logo=logo)

    germany = body(client, "/?country=DE")
    technology = body(client, "/?sector=tech")
    searched = body(client, "/?country=FR&q=nothing-matches")

    def count(page: str, name: str, value: str) -> int | None:
        match = re.search(
            rf'id="{name}-{value}"[^>]*>\s*<label[^>]*>[^<]*<span class="n"[^>]*>(\d+)<', page
        )
        return int(match.group(1)) if match else None

    # Under Germany only technology has allies: no NGO, hotline or its parent offered.
    assert count(germany, "sector", "tech") == 2
    assert count(germany, "sector", "ngo") is None
    assert count(germany, "country", "FR") == 4  # the country filter itself: every country
    assert count(technology, "country", "DE") == 2
    assert count(technology, "country", "FR") == 1
    assert count(searched, "country", "FR") == 0  # chosen, so shown, with what it matches
    # The headline and the map count every ally whatever the filters.
    assert "6 organizations stand together" in searched
    assert "in 2 countries" in searched


def test_the_filter_form_and_its_links_open_at_the_wall(client, campaign, sectors):
    bulk_allies(campaign, sectors["tech"], 2, country="DE")

    page = body(client, "/?country=DE")

    assert '<section class="wall-section" id="wall"' in page
    assert re.search(r'<form method="get" action="#wall" class="filters"', page)
    assert 'href="?#wall" class="clear"' in page
    assert re.search(r'<ul class="active-filters"[^>]*>\s*<li><a href="\?#wall">', page)


def test_the_default_campaigns_two_addresses_name_one_canonical_page(client, campaign, settings):
    settings.SITE_URL = "https://coalition.example.org"
    other = Campaign.objects.create(slug="second", title="Second", statement="Also.")

    root = body(client, "/")
    by_slug = body(client, f"/campaigns/{campaign.slug}/?country=DE")
    french = body(client, "/fr/")
    second = body(client, f"/campaigns/{other.slug}/")

    canonical = '<link rel="canonical" href="https://coalition.example.org/">'
    assert canonical in root
    assert canonical in by_slug
    assert '<link rel="canonical" href="https://coalition.example.org/fr/">' in french
    assert '<link rel="canonical" href="https://coalition.example.org/campaigns/second/">' in second


def test_the_page_names_its_locale_for_social_sites(client, campaign):
    english = body(client, "/")
    german = body(client, "/de/")

    assert '<meta property="og:locale" content="en_GB">' in english
    assert '<meta property="og:locale:alternate" content="fr_FR">' in english
    assert '<meta property="og:locale" content="de_DE">' in german
    assert '<meta property="og:locale:alternate" content="en_GB">' in german


def test_visitors_can_share_the_page_with_plain_links(client, campaign, settings):
    settings.SITE_URL = "https://coalition.example.org"

    page = body(client, f"/campaigns/{campaign.slug}/")

    share = page.split('class="share"', 1)[1].split("</div>", 1)[0]
    hrefs = re.findall(r'href="([^"]+)"', share)
    url = "https%3A%2F%2Fcoalition.example.org%2F"
    assert hrefs == [
        f"mailto:?subject=Keep%20detection%20legal&amp;body={url}",
        f"https://bsky.app/intent/compose?text=Keep+detection+legal+{url}",
        f"https://coalition.example.org/share/mastodon/?text=Keep+detection+legal+{url}",
        f"https://www.linkedin.com/sharing/share-offsite/?url={url}",
        f"https://x.com/intent/post?text=Keep+detection+legal&amp;url={url}",
    ]
    assert 'data-copy-link="https://coalition.example.org/"' in share
    # Their scripts stay theirs: every script on the page is the site's own.
    assert all(src.startswith("/static/") for src in re.findall(r'<script src="([^"]+)"', page))
