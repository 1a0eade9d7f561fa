"""A partner's journey in a real browser: copy the snippets from the embed builder, paste each
into a page of their own site (another origin), and see the wall there."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from coalition.models import Endorsement, Organization, Sector
from tests.browser import second_origin
from tests.wall_helpers import make_logo

ALLIES = 30
SCRIPT_LABEL = "Script (recommended): the wall fits its height to its content"
IFRAME_LABEL = "Plain iframe: for sites that do not allow scripts"


@pytest.fixture
def allies(reference_data) -> list[str]:
    """Approved allies, two in three with a logo: more than fit in the frame's first height."""
    logos = [make_logo((200, 30, 60)), make_logo((20, 90, 200))]
    sector = Sector.objects.get(slug="child-protection-ngo")
    names = []
    for n in range(ALLIES):
        name = f"Partner Ally {n:02d}"
        organization = Organization.objects.create(
            name=name,
            website=f"https://ally{n}.example.org",
            country="DE" if n % 2 else "FR",
            sector=sector,
            logo=logos[n % 2] if n % 3 else None,
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=reference_data,
            status=Endorsement.Status.APPROVED,
            contact_email=f"private{n}@ally{n}.example.org",
        )
        names.append(name)
    return names


# The frame's height as embed.js first sets it, before the wall inside has said how tall it is.
_RECORD_FIRST_HEIGHT = """
if (window.top === window) {
  new MutationObserver(() => {
    const frame = document.querySelector("[data-coalition-wall] iframe");
    if (frame && !window.__firstFrameHeight) {
      window.__firstFrameHeight = frame.getBoundingClientRect().height;
    }
  }).observe(document, { childList: true, subtree: true });
}
"""


def _host_page(title: str, snippet: str) -> str:
    return (
        f'<!doctype html><html lang="en"><head><title>{title}</title></head><body>'
        f"<h1>{title}</h1>{snippet}<p>After the wall</p></body></html>"
    )


def _names_in(frame) -> list[str]:
    """The names a visitor reads on the wall: under each logo, or instead of it."""
    return sorted(frame.locator(".wall .ally .name, .wall .ally .logo-text").all_inner_texts())


def _first_logo_shows(frame) -> None:
    logo = frame.locator(".wall .ally img").first
    expect(logo).to_be_visible()
    frame.wait_for_function(
        "() => { const image = document.querySelector('.wall .ally img');"
        " return image.complete && image.naturalWidth > 0; }"
    )


def test_a_partner_pastes_both_snippets_into_their_own_site(
    page, site, reference_data, allies, shot
):
    slug = reference_data.slug
    page.goto(f"{site}/campaigns/{slug}/embed/")
    shot(page, "1-builder")
    # What a person copies: the text in the boxes.
    script_snippet = page.get_by_label(SCRIPT_LABEL).input_value()
    iframe_snippet = page.get_by_label(IFRAME_LABEL).input_value()
    # The snippets point at the address the builder was opened on.
    assert f'src="{site}/embed.js"' in script_snippet
    assert re.search(rf'<iframe src="{re.escape(site)}/embed/{slug}/"', iframe_snippet)

    pages = {
        "/script/": _host_page("Our partners (script)", script_snippet),
        "/iframe/": _host_page("Our partners (iframe)", iframe_snippet),
    }
    with second_origin(pages) as origin:
        # The script snippet: a frame that grows to fit the wall.
        page.add_init_script(_RECORD_FIRST_HEIGHT)
        page.goto(f"{origin}/script/")
        frame_element = page.wait_for_selector("[data-coalition-wall] iframe")
        first_height = page.evaluate("window.__firstFrameHeight")
        assert first_height > 0
        frame = frame_element.content_frame()
        frame.wait_for_selector(".wall")
        assert frame.url.startswith(f"{site}/embed/{slug}/")
        assert _names_in(frame) == allies
        _first_logo_shows(frame)
        page.wait_for_function(
            "() => document.querySelector('[data-coalition-wall] iframe').offsetHeight"
            f" > {first_height}"
        )
        shot(page, "2-script-snippet")
        content_height = frame.evaluate(
            "Math.ceil(document.querySelector('.embed-root').getBoundingClientRect().height)"
        )
        frame_height = frame_element.evaluate("element => element.offsetHeight")
        assert frame_height > first_height
        assert abs(frame_height - content_height) <= 2, (frame_height, content_height)

        # The plain iframe: the wall at the height the snippet says, with no script of ours
        # on the partner's page to change it.
        page.goto(f"{origin}/iframe/")
        frame_element = page.wait_for_selector("iframe")
        frame = frame_element.content_frame()
        frame.wait_for_selector(".wall")
        shot(page, "3-iframe-snippet")
        assert frame.url.startswith(f"{site}/embed/{slug}/")
        assert _names_in(frame) == allies
        _first_logo_shows(frame)
        height = int(re.search(r'height="(\d+)"', iframe_snippet).group(1))
        assert frame_element.evaluate("element => element.offsetHeight") == height
