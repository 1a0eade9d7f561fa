"""Who a visitor is behind the site's own proxies: the address Varnish (or the TLS proxy)
appended to X-Forwarded-For, believed from those proxies only; an IPv6 client counts by its /64;
a sign-in lockout and the API's limit hit the attacker, never the other visitors."""

from __future__ import annotations

import pytest
from django.test import RequestFactory

from coalition.web import ratelimit


def _request(remote: str, forwarded: str | None = None):
    headers = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **headers)


def test_behind_the_sites_own_proxy_the_client_is_the_address_it_appended(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "::1"]

    assert ratelimit.client_ip(_request("127.0.0.1", "198.51.100.7")) == "198.51.100.7"
    # Whatever the client put before it is the client's to forge.
    assert ratelimit.client_ip(_request("127.0.0.1", "10.0.0.1, 198.51.100.7")) == "198.51.100.7"


def test_x_forwarded_for_from_anyone_else_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]

    assert ratelimit.client_ip(_request("203.0.113.9", "198.51.100.7")) == "203.0.113.9"


def test_without_trusted_proxies_the_header_is_never_believed(settings):
    settings.TRUSTED_PROXIES = []

    assert ratelimit.client_ip(_request("127.0.0.1", "198.51.100.7")) == "127.0.0.1"


def test_ipv6_clients_are_counted_by_their_64(settings):
    settings.TRUSTED_PROXIES = []
    one = ratelimit.key_for(_request("2001:db8:1:2::1"), "apply")
    same_network = ratelimit.key_for(_request("2001:db8:1:2:ffff::9"), "apply")
    other_network = ratelimit.key_for(_request("2001:db8:1:3::1"), "apply")

    assert one == same_network
    assert one != other_network


@pytest.mark.django_db
def test_wrong_passwords_from_one_visitor_behind_varnish_lock_out_nobody_else(
    client, settings, reviewer
):
    settings.TRUSTED_PROXIES = ["127.0.0.1"]
    settings.REQUIRE_STAFF_2FA = False
    for _ in range(settings.AXES_FAILURE_LIMIT + 1):
        client.post(
            "/admin/login/",
            {"username": reviewer.username, "password": "wrong"},
            REMOTE_ADDR="127.0.0.1",
            HTTP_X_FORWARDED_FOR="203.0.113.66",
        )

    attacker = client.post(
        "/admin/login/",
        {"username": reviewer.username, "password": "wrong"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="203.0.113.66",
    )
    reviewer_signs_in = client.post(
        "/admin/login/",
        {"username": reviewer.username, "password": "correct horse battery"},
        REMOTE_ADDR="127.0.0.1",
        HTTP_X_FORWARDED_FOR="198.51.100.20",
    )

    assert attacker.status_code == 429
    assert reviewer_signs_in.status_code == 302
