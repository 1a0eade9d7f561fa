"""Every public page carries the same security headers: one Content-Security-Policy with nothing
inline and nothing from elsewhere, framing refused except for the embeds, and the rest."""

from __future__ import annotations

import json
import re

import pytest

from coalition.endorsements import tokens
from coalition.models import Endorsement, Organization
from tests.admin_helpers import registered_models
from tests.conftest import csp
from tests.wall_helpers import make_logo
from tests.web.test_settings import PRODUCTION, _run

Status = Endorsement.Status
SLUG = "keep-detection"


@pytest.fixture
def site(make_endorsement) -> dict[str, str]:
    """An approved ally with a logo, and the private links of an application; returns tokens."""
    ally = make_endorsement(status=Status.APPROVED, name="Visible Trust")
    Organization.objects.filter(pk=ally.organization_id).update(logo=make_logo())
    pending = make_endorsement(status=Status.UNCONFIRMED, name="Unconfirmed Union")
    return {
        "ally": ally.public_id,
        "confirm": tokens.confirm_token(pending),
        "not_us": tokens.not_us_token(pending),
        "manage": tokens.manage_token(ally),
    }


def public_urls(site: dict[str, str]) -> list[str]:
    return [
        "/",
        "/?country=XX",  # a 400 page
        f"/campaigns/{SLUG}/",
        "/campaigns/no-such-campaign/",  # a 404 page
        "/apply/",
        f"/campaigns/{SLUG}/apply/",
        f"/campaigns/{SLUG}/embed/",
        "/resend/",
        f"/campaigns/{SLUG}/wall.png",
        f"/campaigns/{SLUG}/feed/",
        "/embed.js",
        "/api/v1/campaigns/",
        f"/api/v1/campaigns/{SLUG}/",
        "/api/v1/allies/",
        f"/api/v1/allies/{site['ally']}/",
        "/api/v1/allies/?format=csv",
        "/api/v1/facets/",
        "/api/v1/allies/?country=XX",  # a 400
        "/api/schema/",
        "/api/docs/",
        f"/confirm/{site['confirm']}/",
        "/confirm/not-a-token/",
        f"/not-us/{site['not_us']}/",
        f"/manage/{site['manage']}/",
        f"/manage/{site['manage']}/data.json",
        "/manage/not-a-token/",
        "/admin/login/",
    ]


def test_every_public_page_has_the_sites_content_security_policy(client, site):
    # Twice: the second may come from the public cache, and must carry the same policy.
    for url in [*public_urls(site), *public_urls(site)]:
        response = client.get(url)
        assert response.status_code < 500, url
        policy = csp(response)

        assert policy["default-src"] == ["'self'"], url
        assert policy["script-src"] == ["'self'"], url
        assert policy["style-src"] == ["'self'"], url
        assert policy["object-src"] == ["'none'"], url
        assert policy["base-uri"] == ["'none'"], url
        assert policy["form-action"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"], url
        assert not any("unsafe" in source for sources in policy.values() for source in sources)


def test_every_public_page_has_the_other_security_headers(client, site):
    for url in [*public_urls(site), f"/embed/{SLUG}/", f"/campaigns/{SLUG}/wall.svg"]:
        response = client.get(url)

        assert response["X-Content-Type-Options"] == "nosniff", url
        assert response["Referrer-Policy"] in ("strict-origin-when-cross-origin", "same-origin")
        assert "camera=()" in response["Permissions-Policy"], url
        assert "geolocation=()" in response["Permissions-Policy"], url
        assert response["Cross-Origin-Opener-Policy"] == "same-origin", url
        if not url.startswith("/embed/"):
            assert response["X-Frame-Options"] == "DENY", url


def test_private_pages_send_no_referrer_to_other_sites(client, site):
    for url in (f"/manage/{site['manage']}/", f"/manage/{site['manage']}/data.json"):
        response = client.get(url)

        assert response["Referrer-Policy"] == "same-origin"
        assert response["Cache-Control"] == "private, no-store"


@pytest.mark.parametrize("query", ["", "?theme=dark", "?country=XX"])
def test_only_the_embeds_may_be_framed_and_keep_the_rest_of_the_policy(client, site, query):
    first = client.get(f"/embed/{SLUG}/{query}")
    cached = client.get(f"/embed/{SLUG}/{query}")
    revalidated = client.get(
        f"/embed/{SLUG}/{query}", headers={"if-none-match": first.get("ETag", "")}
    )

    for response in (first, cached, revalidated):
        policy = csp(response)
        assert "X-Frame-Options" not in response
        assert policy["frame-ancestors"] == ["*"]
        assert policy["script-src"] == ["'self'"]
        assert policy["style-src"] == ["'self'"]


def test_the_wall_svg_keeps_its_own_stricter_policy(client, site):
    response = client.get(f"/campaigns/{SLUG}/wall.svg")

    assert response["Content-Security-Policy"] == "default-src 'none'; img-src data:"


def _admin_urls() -> list[str]:
    urls = ["/admin/", "/admin/password_change/"]
    for model in registered_models():
        opts = model._meta
        urls.append(f"/admin/{opts.app_label}/{opts.model_name}/")
    return urls


# Data blocks (application/json, a page's JSON-LD as application/ld+json) are never run.
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\ssrc=)(?![^>]*type=\"application/(?:ld\+)?json\")[^>]*>"
)
INLINE_STYLE_ATTRIBUTE = re.compile(r"<[a-z][^>]*\sstyle=")
EVENT_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+=", re.IGNORECASE)


def _assert_nothing_inline(body: str, url: str) -> None:
    # <script> without src is allowed only as data (Django's json_script and the admin's
    # "constants" elements carry data- attributes and a src).
    assert not INLINE_SCRIPT.search(body), url
    assert "<style" not in body, url
    assert not INLINE_STYLE_ATTRIBUTE.search(body), url
    assert not EVENT_HANDLER.search(body), url


def test_no_page_needs_inline_scripts_or_styles(client, site, superuser):
    html = [
        url
        for url in public_urls(site)
        if "/api/v1/" not in url and "wall." not in url and url != "/embed.js"
    ]
    html += [f"/embed/{SLUG}/", f"/embed/{SLUG}/?country=XX"]
    for url in html:
        response = client.get(url)
        if response["Content-Type"].startswith("text/html"):
            _assert_nothing_inline(response.content.decode(), url)

    client.force_login(superuser)
    endorsement = Endorsement.objects.get(public_id=site["ally"])
    for url in [
        *_admin_urls(),
        f"/admin/coalition/endorsement/{endorsement.pk}/change/",
        f"/admin/coalition/organization/{endorsement.organization_id}/change/",
        # The reviewer workspace, where the decisions are made (the admin only shows them).
        "/review/",
        "/review/decided/",
        "/review/dashboard/",
        "/review/campaigns/",
        "/review/team/",
        "/review/updates/",
        "/review/updates/new/",
        f"/review/{endorsement.public_id}/",
    ]:
        response = client.get(url, follow=True)
        assert response.status_code == 200, url
        _assert_nothing_inline(response.content.decode(), url)
        assert csp(response)["script-src"] == ["'self'"], url


def test_the_admin_has_the_same_policy(client, superuser):
    client.force_login(superuser)

    for url in _admin_urls():
        policy = csp(client.get(url))
        assert policy["style-src"] == ["'self'"], url
        assert policy["frame-ancestors"] == ["'none'"], url


def test_logos_may_come_from_a_cdn_named_in_the_environment():
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps(s.CONTENT_SECURITY_POLICY['DIRECTIVES']['img-src']))"
    )

    result = _run(["-c", script], {"CSP_IMG_SRC": "https://cdn.example.net https://b.example"})

    assert json.loads(result.stdout) == [
        "'self'",
        "data:",
        "blob:",
        "https://cdn.example.net",
        "https://b.example",
    ]


def test_production_settings_enforce_https():
    script = (
        "import json; from django.conf import settings as s; print(json.dumps(["
        "s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SESSION_COOKIE_HTTPONLY, s.SECURE_HSTS_SECONDS, s.SECURE_HSTS_INCLUDE_SUBDOMAINS, "
        "s.SECURE_HSTS_PRELOAD, s.SECURE_CONTENT_TYPE_NOSNIFF, s.X_FRAME_OPTIONS]))"
    )

    result = _run(["-c", script], PRODUCTION)

    assert json.loads(result.stdout) == [True, True, True, True, 31536000, True, True, True, "DENY"]


def test_https_is_enforced_with_hsts_when_configured(client, campaign, settings):
    settings.SECURE_SSL_REDIRECT = True
    settings.SECURE_HSTS_SECONDS = 31536000
    settings.SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    settings.SECURE_HSTS_PRELOAD = True

    plain = client.get("/")
    secure = client.get("/", secure=True)

    assert plain.status_code == 301
    assert plain["Location"].startswith("https://")
    assert secure.status_code == 200
    assert secure["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
