"""The wall, its embeds and the framing rules in a real browser (Debian's Chromium), with the
journeys' fixtures (``tests/browser/conftest.py``). The accessibility checks also need axe-core
from npm (``npm ci``)."""

from __future__ import annotations

import pytest

from coalition.models import Campaign, Endorsement, Organization, Sector
from tests.browser import (
    describe,
    run_axe,
    second_origin,
)

Status = Endorsement.Status
SLUG = "keep-detection"


@pytest.fixture
def wall(transactional_db) -> Campaign:
    """A campaign with allies in two countries and two sectors (a parent and its child)."""
    campaign = Campaign.objects.create(
        slug=SLUG,
        title="Keep detection legal",
        statement="We ask lawmakers to keep voluntary detection of known abuse material legal.",
        is_default=True,
    )
    ngo = Sector.objects.create(
        slug="ngo", name="NGO", order=1, transparency_register_category="III"
    )
    hotline = Sector.objects.create(
        slug="hotline", name="Hotline", order=2, parent=ngo, transparency_register_category="III"
    )
    tech = Sector.objects.create(
        slug="tech", name="Technology", order=3, transparency_register_category="II"
    )
    rows = [
        ("Alder Child Helpline", "DE", hotline, True),
        ("Birch Survivors Network", "DE", ngo, False),
        ("Cedar Reporting Point", "FR", hotline, True),
        ("Douglas Cloud", "FR", tech, False),
    ] + [(f"German Ally {n:02d}", "DE", tech, n % 2 == 0) for n in range(24)]
    for index, (name, country, sector, verified) in enumerate(rows):
        organization = Organization.objects.create(
            name=name, website=f"https://ally{index}.example.org", country=country, sector=sector
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Status.APPROVED,
            domain_verified=verified,
            contact_email=f"private{index}@ally{index}.example.org",
        )
    return campaign


def wall_names(page_or_frame) -> list[str]:
    return page_or_frame.locator(".wall .ally .logo-text").all_inner_texts()


def test_filtering_the_wall_by_clicking(page, live_server, wall):
    page.goto(live_server.url + "/")
    assert len(wall_names(page)) == 28

    page.locator("summary", has_text="Country").click()
    page.get_by_label("France").check()
    page.get_by_role("button", name="Show").click()

    page.wait_for_url("**/?*country=FR*")
    assert wall_names(page) == ["Cedar Reporting Point", "Douglas Cloud"]
    assert "2 of 28 organizations match" in page.locator(".results-summary").inner_text()

    page.locator("summary", has_text="Sector").click()
    page.get_by_label("NGO").check()
    page.get_by_role("button", name="Show").click()
    page.wait_for_url("**sector=ngo*")
    assert wall_names(page) == ["Cedar Reporting Point"]

    page.get_by_role("link", name="France — remove this filter").click()
    page.wait_for_load_state()
    assert wall_names(page) == [
        "Alder Child Helpline",
        "Birch Survivors Network",
        "Cedar Reporting Point",
    ]


def test_a_page_on_another_site_embeds_the_wall_with_embed_js_and_the_frame_grows(
    page, live_server, wall
):
    host = f"""<!doctype html><html lang="en"><head><title>Partner</title></head><body>
      <h1>Our partners</h1>
      <div data-coalition-wall data-campaign="{SLUG}" data-country="DE" data-columns="2"
           data-height="150"></div>
      <p id="after">After the wall</p>
      <script src="{live_server.url}/embed.js" async></script>
    </body></html>"""
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        frame_element = page.wait_for_selector("[data-coalition-wall] iframe")
        frame = frame_element.content_frame()
        frame.wait_for_selector(".wall")

        assert frame.url.startswith(f"{live_server.url}/embed/{SLUG}/?")
        assert "country=DE" in frame.url
        assert len(wall_names(frame)) == 26
        assert "Cedar Reporting Point" not in wall_names(frame)
        # Two columns of 26 allies are far taller than the 150 px it starts with: the frame
        # grows until it shows the whole wall, without a scroll bar of its own.
        page.wait_for_function(
            "() => document.querySelector('[data-coalition-wall] iframe').offsetHeight > 1500"
        )
        content_height = frame.evaluate(
            "Math.ceil(document.querySelector('.embed-root').getBoundingClientRect().height)"
        )
        frame_height = frame_element.evaluate("element => element.offsetHeight")
        assert abs(frame_height - content_height) <= 2


def test_the_admin_and_the_form_refuse_to_be_framed(page, live_server, wall):
    host = f"""<!doctype html><html lang="en"><head><title>Framing</title></head><body>
      <iframe id="admin" src="{live_server.url}/admin/login/"></iframe>
      <iframe id="apply" src="{live_server.url}/apply/"></iframe>
      <iframe id="home" src="{live_server.url}/"></iframe>
      <iframe id="embed" src="{live_server.url}/embed/{SLUG}/"></iframe>
    </body></html>"""
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        embed = page.frame_locator("#embed")
        embed.locator(".wall").wait_for()
        page.wait_for_timeout(500)

        for blocked in ("#admin", "#apply", "#home"):
            frame = page.locator(blocked).element_handle().content_frame()
            assert not frame.url.startswith(live_server.url), blocked
            assert page.frame_locator(blocked).locator("form, main").count() == 0, blocked
        assert embed.locator(".ally").count() == 28


def test_the_builders_snippet_works_when_pasted_into_a_page(page, live_server, wall, settings):
    settings.SITE_URL = live_server.url
    page.goto(f"{live_server.url}/campaigns/{SLUG}/embed/")
    page.locator("summary", has_text="Country").click()
    page.get_by_label("France").check()
    page.get_by_label("Dark").check()
    page.get_by_label("Show names under the logos").uncheck()

    snippet = page.locator("#snippet-script").input_value()
    assert 'data-country="FR"' in snippet
    assert 'data-theme="dark"' in snippet
    assert 'data-names="0"' in snippet
    # The live preview follows the form.
    page.wait_for_function(
        "() => document.getElementById('preview').getAttribute('src').includes('theme=dark')"
    )

    iframe_snippet = page.locator("#snippet-iframe").input_value()
    host = (
        '<!doctype html><html lang="en"><head><title>Pasted</title></head><body>'
        f"<h1>Pasted</h1>{snippet}<h2>And the iframe</h2>{iframe_snippet}</body></html>"
    )
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        frames = page.locator("iframe")
        frames.first.wait_for()
        assert frames.count() == 2
        for index in range(2):
            frame = frames.nth(index).element_handle().content_frame()
            frame.wait_for_selector(".wall")
            assert wall_names(frame) == ["Cedar Reporting Point", "Douglas Cloud"]
            assert "theme-dark" in frame.locator("body").get_attribute("class")
            assert frame.locator(".ally .name").count() == 0


def test_the_copy_button_copies_the_snippet(page, live_server, wall):
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    page.goto(f"{live_server.url}/campaigns/{SLUG}/embed/")

    page.get_by_role("button", name="Copy the script snippet").click()
    page.wait_for_function("() => document.querySelector('.copy-status').textContent !== ''")

    assert page.locator(".copy-status").inner_text() == "Copied."
    assert (
        page.evaluate("navigator.clipboard.readText()")
        == page.locator("#snippet-script").input_value()
    )


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/?country=FR&sector=ngo",
        "/apply/",
        f"/embed/{SLUG}/",
        f"/embed/{SLUG}/?theme=dark&columns=3",
        f"/campaigns/{SLUG}/embed/",
    ],
)
def test_axe_finds_no_accessibility_violations(page, live_server, wall, axe, path):
    page.goto(live_server.url + path)
    page.wait_for_load_state("load")

    violations = run_axe(page)

    assert violations == [], describe(violations)


def test_the_wall_fits_a_narrow_phone(page, live_server, wall):
    page.set_viewport_size({"width": 320, "height": 640})
    page.goto(live_server.url + "/")

    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )

    assert overflow <= 0


def test_keyboard_focus_is_visible_on_the_wall(page, live_server, wall):
    page.goto(live_server.url + "/")
    link = page.locator(".wall .ally a").first

    link.focus()

    outline = link.evaluate("element => getComputedStyle(element).outlineStyle")
    assert outline == "solid"


# The Content-Security-Policy in a real browser: nothing any page needs is blocked.

_RECORD_CSP_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (event) => {
  window.__cspViolations.push(`${event.violatedDirective} ${event.blockedURI}`);
});
"""


def _csp_violations(page) -> list[str]:
    return page.evaluate("window.__cspViolations || []")


@pytest.fixture
def csp_page(page):
    messages: list[str] = []
    page.add_init_script(_RECORD_CSP_VIOLATIONS)
    page.on(
        "console",
        lambda message: (
            messages.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    page.csp_console = messages
    return page


@pytest.fixture
def wall_with_logo(wall) -> Campaign:
    from tests.wall_helpers import make_logo

    Organization.objects.filter(name="Alder Child Helpline").update(logo=make_logo())
    return wall


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/apply/",
        "/resend/",
        f"/embed/{SLUG}/",
        f"/campaigns/{SLUG}/embed/",
        "/api/docs/",
        "/admin/login/",
    ],
)
def test_no_page_breaks_its_content_security_policy(csp_page, live_server, wall_with_logo, path):
    csp_page.goto(live_server.url + path)
    csp_page.wait_for_load_state("networkidle")

    assert _csp_violations(csp_page) == []
    assert csp_page.csp_console == []
    if path == "/api/docs/":
        # The docs' start-up script is a file of its own, so Swagger UI still draws the API.
        csp_page.locator(".swagger-ui .info .title").wait_for()
    if path == "/":
        logo = csp_page.locator(".wall img").first
        assert logo.evaluate("image => image.complete && image.naturalWidth > 0")


def test_the_admin_works_within_the_content_security_policy(
    csp_page, live_server, wall_with_logo, django_user_model
):
    django_user_model.objects.create_superuser("admin", "admin@example.org", "admin-password")
    endorsement = Endorsement.objects.get(organization__name="Alder Child Helpline")
    csp_page.goto(live_server.url + "/admin/login/")
    csp_page.fill("#id_username", "admin")
    csp_page.fill("#id_password", "admin-password")
    csp_page.click("input[type=submit]")
    csp_page.wait_for_url(live_server.url + "/admin/")

    for path in (
        "/admin/coalition/endorsement/",
        f"/admin/coalition/endorsement/{endorsement.pk}/change/",
        "/admin/coalition/organization/",
        f"/admin/coalition/organization/{endorsement.organization_id}/change/",
        "/admin/coalition/logo/",
    ):
        csp_page.goto(live_server.url + path)
        csp_page.wait_for_load_state("networkidle")
        assert _csp_violations(csp_page) == [], path
        assert csp_page.csp_console == [], path
    # The admin's own styles arrive from their file: logo previews are kept small.
    preview = csp_page.locator("img.logo-preview").first
    assert preview.evaluate("image => getComputedStyle(image).maxHeight") == "120px"


def test_the_two_factor_sign_in_page_keeps_to_the_policy(csp_page, live_server, wall, settings):
    settings.REQUIRE_STAFF_2FA = True

    csp_page.goto(live_server.url + "/admin/login/")
    csp_page.wait_for_load_state("networkidle")

    assert csp_page.locator("#id_otp_token").is_visible()
    assert _csp_violations(csp_page) == []
    assert csp_page.csp_console == []
