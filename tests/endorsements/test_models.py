from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from coalition.models import (
    Endorsement,
    Organization,
    Sector,
    email_domain_matches,
    normalize_website,
    registrable_domain,
)


@pytest.mark.parametrize(
    ("entered", "stored"),
    [
        ("example.org", "https://example.org/"),
        ("HTTP://WWW.Example.ORG", "http://www.example.org/"),
        ("https://example.org:443/about?x=1#team", "https://example.org/about?x=1"),
        ("  https://bücher.example/ ", "https://xn--bcher-kva.example/"),
        ("https://example.org:8443/", "https://example.org:8443/"),
    ],
)
def test_websites_are_normalized_to_http_urls(entered, stored):
    assert normalize_website(entered) == stored


@pytest.mark.parametrize(
    "entered",
    [
        "",
        "javascript:alert(1)",
        "ftp://example.org",
        "https://localhost",
        "https://user:pass@example.org",
        "mailto:x@example.org",
        "https://a.org:abc/",
        "https://[::1/",
        "https://<script>.org/",
        "https://exa mple.org/",
        "https://example.org/" + "x" * 300,
    ],
)
def test_non_web_addresses_are_refused(entered):
    with pytest.raises(ValidationError):
        normalize_website(entered)


@pytest.mark.parametrize(
    ("url", "domain"),
    [
        ("https://www.example.org/", "example.org"),
        ("https://a.b.example.co.uk/", "example.co.uk"),
        ("https://charity.org.uk/", "charity.org.uk"),
        ("https://sub.charity.org.uk/", "charity.org.uk"),
    ],
)
def test_registrable_domain_follows_the_public_suffix_list(url, domain):
    assert registrable_domain(url) == domain


@pytest.mark.parametrize(
    ("email", "matches"),
    [
        ("jo@example.org", True),
        ("jo@mail.example.org", True),
        ("jo@EXAMPLE.ORG", True),
        ("jo@notexample.org", False),
        ("jo@example.org.evil.com", False),
        ("jo@gmail.com", False),
        ("not-an-email", False),
    ],
)
def test_contact_email_domain_matches_the_website_domain(email, matches):
    assert email_domain_matches(email, "example.org") is matches


def test_saving_an_organization_stores_its_normalized_website_and_domain(sector):
    organization = Organization.objects.create(
        name="Example", website="WWW.Example.org/team", country="FR", sector=sector
    )

    assert organization.website == "https://www.example.org/team"
    assert organization.domain == "example.org"


def test_a_sector_has_two_levels_at_most(sector):
    child = Sector.objects.create(
        slug="hotline", name="Hotline", parent=sector, transparency_register_category="III"
    )
    grandchild = Sector(
        slug="deeper", name="Deeper", parent=child, transparency_register_category="III"
    )

    with pytest.raises(ValidationError):
        grandchild.full_clean()


def test_public_ids_are_not_database_keys(make_endorsement):
    endorsement = make_endorsement()

    assert endorsement.public_id
    assert endorsement.public_id != str(endorsement.pk)
    assert len({make_endorsement().public_id for _ in range(20)}) == 20


def test_an_unknown_status_cannot_be_stored(make_endorsement):
    from django.db import IntegrityError

    endorsement = make_endorsement()
    with pytest.raises(IntegrityError):
        Endorsement.objects.filter(pk=endorsement.pk).update(status="bogus")
