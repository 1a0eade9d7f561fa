"""What proves an organization's domain and what the checks may connect to, against an attacker's
inputs: a public suffix is nobody's domain, and IPv6 addresses that carry an IPv4 address inside
(NAT64, 6to4, Teredo, IPv4-compatible) or are site-local are never connected to."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError

from coalition.models import email_domain_matches, normalize_website
from coalition.proofs import checks


@pytest.mark.parametrize(
    ("website", "email"),
    [("https://co.uk/", "me@x.co.uk"), ("https://github.io/", "me@someone.github.io")],
)
def test_a_public_suffix_is_refused_as_a_website_and_proves_nothing_by_email(website, email):
    with pytest.raises(ValidationError) as refused:
        normalize_website(website)

    assert refused.value.code == "public_suffix"
    assert not email_domain_matches(email, website.split("/")[2])


def test_an_address_at_the_organizations_own_domain_still_proves_it():
    assert email_domain_matches("me@charity.org.uk", "charity.org.uk")
    assert email_domain_matches("me@mail.charity.org.uk", "charity.org.uk")
    assert email_domain_matches("me@someone.github.io", "someone.github.io")
    assert not email_domain_matches("me@other.github.io", "someone.github.io")


def test_the_form_says_why_a_public_suffix_is_refused(client, campaign, sector):
    response = client.post("/apply/", {"website": "https://github.io/"})

    assert "shared by many sites" in response.content.decode()


@pytest.mark.parametrize(
    "address",
    [
        "64:ff9b::7f00:1",  # NAT64 to 127.0.0.1
        "64:ff9b:1::a00:1",  # local-use NAT64 to 10.0.0.1
        "2002:7f00:1::1",  # 6to4 from 127.0.0.1
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::7f00:1",  # IPv4-compatible 127.0.0.1
        "fec0::1",  # site-local
        "::ffff:10.0.0.1",  # IPv4-mapped private
    ],
)
def test_ipv6_addresses_that_reach_an_ipv4_address_or_a_site_are_refused(settings, address):
    settings.DOMAIN_PROOF_ALLOW_PRIVATE = False

    assert not checks.address_allowed(address)


def test_a_public_ipv6_address_is_still_allowed(settings):
    settings.DOMAIN_PROOF_ALLOW_PRIVATE = False

    assert checks.address_allowed("2606:2800:21f:cb07:6820:80da:af6b:8b2c")
