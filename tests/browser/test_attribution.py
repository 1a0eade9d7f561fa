"""Where an application came from, in a real browser: a visitor from a newsletter or a press
link, or inside a partner's wall, signs on, and the application keeps the link's ref and UTM
parameters, while the pages they passed through are the same bytes for every visitor (one copy
in every cache: coalition/web/public_parameters.py). With the page's script
(static/coalition/attribution.js), and without any script (the form reads the Referer)."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coalition.models import Endorsement
from tests.browser import second_origin
from tests.browser.journeys import Applicant, button, fill_application, submit

SCRIPT_LABEL = "Script (recommended): the wall fits its height to its content"


@pytest.fixture
def no_script_page(browser):
    """A visitor whose browser runs no script."""
    context = browser.new_context(
        viewport={"width": 1200, "height": 900}, java_script_enabled=False
    )
    context.set_default_timeout(10_000)
    yield context.new_page()
    context.close()


def _apply(form, name: str) -> Endorsement:
    applicant = Applicant(
        name=name,
        website=f"https://{name.lower().replace(' ', '-')}.example",
        email=f"ada@{name.lower().replace(' ', '-')}.example",
    )
    fill_application(form, applicant)
    submit(form, button(form, "en", "Send application"))
    expect(form.get_by_role("heading", level=1)).to_have_text("Check your email")
    return Endorsement.objects.get(organization__name=name)


def test_a_visitor_from_a_newsletter_signs_on_and_the_application_keeps_the_link(
    page, site, reference_data, shot
):
    arrived = page.goto(f"{site}/?utm_source=newsletter&ref=press")

    # The page as every visitor gets it: nothing of the link in it.
    assert arrived.body() == page.request.get(f"{site}/").body()
    assert b"newsletter" not in arrived.body()
    sign_on = page.get_by_role("link", name="Sign on", exact=True)
    # The visitor's browser put them on the link.
    expect(sign_on).to_have_attribute("href", "/apply/?ref=press&utm_source=newsletter")
    sign_on.click()
    page.wait_for_url("**/apply/?ref=press&utm_source=newsletter")
    shot(page, "1-form-from-the-newsletter")

    endorsement = _apply(page, "Juniper Child Line")

    shot(page, "2-check-your-email")
    assert endorsement.source == {"ref": "press", "utm_source": "newsletter"}


def test_without_a_script_the_form_finds_the_link_in_the_page_that_led_to_it(
    no_script_page, site, reference_data
):
    page = no_script_page
    page.goto(f"{site}/?utm_source=newsletter&ref=press&fbclid=IwAR0")
    sign_on = page.get_by_role("link", name="Sign on", exact=True)
    expect(sign_on).to_have_attribute("href", "/apply/")
    sign_on.click()
    page.wait_for_url(re.compile(r"/apply/$"))

    endorsement = _apply(page, "Linden Safe Harbour")

    assert endorsement.source == {"ref": "press", "utm_source": "newsletter"}


def _host_page(title: str, snippet: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title></head><body>'
        f"<h1>{title}</h1>{snippet}</body></html>"
    )


def test_a_visitor_inside_a_partners_wall_signs_on_and_the_partner_is_credited(
    page, site, reference_data, shot
):
    slug = reference_data.slug
    page.goto(f"{site}/campaigns/{slug}/embed/")
    page.get_by_label("Your site’s name (optional)").fill("Partner Daily")
    # The snippets follow as the partner types (the builder's script), before any reload.
    expect(page.get_by_label(SCRIPT_LABEL)).to_have_value(re.compile('data-ref="Partner Daily"'))
    shot(page, "1-builder-with-ref")
    script_snippet = page.get_by_label(SCRIPT_LABEL).input_value()

    with second_origin({"/": _host_page("Our partners", script_snippet)}) as origin:
        page.goto(f"{origin}/")
        frame = page.wait_for_selector("[data-coalition-wall] iframe").content_frame()
        frame.wait_for_selector(".wall")
        # embed.js put data-ref in the frame's address; the frame itself is every partner's.
        assert "ref=Partner+Daily" in frame.url
        plain = page.request.get(f"{site}/embed/{slug}/").body()
        assert page.request.get(frame.url).body() == plain
        assert b"Partner Daily" not in plain
        with page.context.expect_page() as opened:
            frame.get_by_role("link", name="Sign on", exact=True).click()
        form = opened.value
        form.wait_for_load_state()
        assert form.url == f"{site}/campaigns/{slug}/apply/?ref=Partner+Daily"

        endorsement = _apply(form, "Rowan Safety Hub")
        shot(form, "2-applied-through-the-partner")

    assert endorsement.source == {"ref": "Partner Daily"}


def test_a_partners_plain_iframe_credits_the_partner_without_any_script(
    no_script_page, site, reference_data
):
    page = no_script_page
    slug = reference_data.slug
    iframe = (
        f'<iframe src="{site}/embed/{slug}/?ref=Partner+Weekly&amp;utm_medium=embed" '
        'title="Our partners" width="100%" height="600"></iframe>'
    )

    with second_origin({"/": _host_page("Our partners", iframe)}) as origin:
        page.goto(f"{origin}/")
        frame = page.wait_for_selector("iframe").content_frame()
        frame.wait_for_selector(".wall")
        sign_on = frame.get_by_role("link", name="Sign on", exact=True)
        expect(sign_on).to_have_attribute("href", f"/campaigns/{slug}/apply/")
        with page.context.expect_page() as opened:
            sign_on.click()
        form = opened.value
        form.wait_for_load_state()
        assert form.url == f"{site}/campaigns/{slug}/apply/"

        endorsement = _apply(form, "Aspen Child Watch")

    assert endorsement.source == {"ref": "Partner Weekly", "utm_medium": "embed"}
