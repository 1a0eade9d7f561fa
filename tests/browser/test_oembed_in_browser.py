"""The embed inside WordPress's sandbox, in a real browser: a page on another origin frames it as
WordPress does with an oEmbed provider it does not know (``sandbox="allow-scripts"``, a secret
in the fragment) and keeps to WordPress's rules for the messages it hears (wp-embed.js): only
those carrying the secret, from that frame; a height between 200 and 1000; a link only to the
frame's own host, while the frame has the focus. The real WordPress: bench/wordpress_oembed.py.
"""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from coalition.models import Campaign, Endorsement, Organization, Sector
from tests.browser import second_origin

Status = Endorsement.Status
SLUG = "keep-detection"
SECRET = "Ab3dE6gH9k"

# The host page: WordPress's receiving side, as its rules are documented above (written here,
# not copied). Every message it hears is kept in window.heard.
HOST = """<!doctype html><html lang="en"><head><title>A blog</title></head><body>
<h1>A post</h1>
<iframe id="wall" class="wp-embedded-content" sandbox="allow-scripts" security="restricted"
  src="{src}#?secret={secret}" data-secret="{secret}" width="600" height="338"
  title="Organizations that stand together" frameborder="0"></iframe>
<p id="after">After the wall</p>
<script>
window.heard = [];
window.addEventListener("message", function (event) {{
  var frame = document.getElementById("wall");
  window.heard.push(event.data);
  var data = event.data || {{}};
  if (event.source !== frame.contentWindow || data.secret !== frame.dataset.secret) return;
  if (data.message === "height") {{
    frame.height = Math.min(1000, Math.max(200, parseInt(data.value, 10)));
  }} else if (data.message === "link") {{
    var target = new URL(data.value), source = new URL(frame.src);
    if (/^https?:$/.test(target.protocol) && target.host === source.host
        && document.activeElement === frame) {{
      window.top.location.href = data.value;
    }}
  }}
}});
</script></body></html>"""


@pytest.fixture
def wall(transactional_db) -> Campaign:
    campaign = Campaign.objects.create(
        slug=SLUG,
        title="Keep detection legal",
        statement="We ask lawmakers to keep voluntary detection of known abuse material legal.",
        is_default=True,
    )
    sector = Sector.objects.create(
        slug="ngo", name="NGO", order=1, transparency_register_category="III"
    )
    for index, name in enumerate(["Ελληνική Γραμμή Βοήθειας", "Birch Survivors Network"]):
        organization = Organization.objects.create(
            name=name, website=f"https://ally{index}.example.org", country="DE", sector=sector
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Status.APPROVED,
            contact_email=f"private{index}@ally{index}.example.org",
        )
    return campaign


def _embed_src(live_server) -> str:
    """The iframe's address as /oembed gives it for the campaign's page."""
    from django.test import Client

    answer = Client().get(
        "/oembed", {"url": f"http://testserver/campaigns/{SLUG}/", "maxwidth": "600"}
    )
    html = json.loads(answer.content)["html"]
    src = html.split('src="', 1)[1].split('"', 1)[0].replace("&amp;", "&")
    return live_server.url + urlsplit(src).path + "?" + urlsplit(src).query


def _heard(page, message: str) -> list[dict]:
    return [
        item
        for item in page.evaluate("window.heard")
        if isinstance(item, dict) and item.get("message") == message
    ]


def test_in_wordpresss_sandbox_the_embed_sizes_its_frame_with_the_secret(page, live_server, wall):
    host = HOST.format(src=_embed_src(live_server), secret=SECRET)
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        frame = page.frame_locator("#wall")
        frame.locator(".wall").wait_for()
        page.wait_for_function("() => window.heard.some(m => m && m.message === 'height')")

        heights = _heard(page, "height")
        assert {item["secret"] for item in heights} == {SECRET}
        content = page.frame(url=lambda url: "/embed/" in url).evaluate(
            "Math.ceil(document.querySelector('.embed-root').getBoundingClientRect().height)"
        )
        assert heights[-1]["value"] == content
        page.wait_for_function(
            f"() => document.getElementById('wall').height == {max(200, min(1000, content))}"
        )
        # Nothing cut: the frame shows the whole wall without scrolling.
        inner = page.frame(url=lambda url: "/embed/" in url)
        assert inner.evaluate(
            "document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1"
        )
        assert frame.locator(".ally").count() == 2

        # WordPress says it is ready when its script loads after the frame: the height again.
        before = len(_heard(page, "height"))
        page.evaluate(
            f"document.getElementById('wall').contentWindow.postMessage("
            f"{{message: 'ready', secret: '{SECRET}'}}, '*')"
        )
        page.wait_for_function(
            f"() => window.heard.filter(m => m && m.message === 'height').length > {before}"
        )


def test_sign_on_inside_the_sandbox_takes_the_page_to_the_form(page, live_server, wall):
    host = HOST.format(src=_embed_src(live_server), secret=SECRET)
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        frame = page.frame_locator("#wall")
        frame.get_by_role("link", name="Sign on").click()

        # The sandbox lets the frame neither open a tab nor move the page: only the host page's
        # answer to the "link" message, with the secret, can have brought it here.
        page.wait_for_url(f"{live_server.url}/campaigns/{SLUG}/apply/**")
        assert urlsplit(page.url).path == f"/campaigns/{SLUG}/apply/"
        assert page.get_by_label("Organization name").is_visible()


def test_an_allys_logo_inside_the_sandbox_leads_to_its_entry_on_the_campaigns_page(
    page, live_server, wall
):
    ally = Endorsement.objects.get(organization__name="Birch Survivors Network")
    host = HOST.format(src=_embed_src(live_server), secret=SECRET)
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        frame = page.frame_locator("#wall")
        frame.locator(f"#ally-{ally.public_id}").get_by_role(
            "link", name="Birch Survivors Network", exact=True
        ).click()

        # The ally's own site is on another host, which WordPress would not open: its entry on
        # the campaign's page, whose link to it works.
        page.wait_for_url(f"{live_server.url}/campaigns/{SLUG}/#ally-{ally.public_id}")
        assert page.locator(f"#ally-{ally.public_id}").is_visible()


def test_in_an_ordinary_frame_the_embed_sends_no_wordpress_message(page, live_server, wall):
    src = _embed_src(live_server)
    host = HOST.replace("{src}#?secret={secret}", "{src}").format(src=src, secret=SECRET)
    with second_origin({"/": host}) as origin:
        page.goto(origin + "/")
        page.frame_locator("#wall").locator(".wall").wait_for()
        page.wait_for_function(
            "() => window.heard.some(m => m && m.type === 'coalition-wall:height')"
        )

        assert _heard(page, "height") == []
        assert _heard(page, "link") == []
