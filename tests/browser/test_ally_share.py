"""After approval, something to share (issue 23), in Chromium: the approved ally follows the
approval mail's private link, finds its badge (light and dark), chooses German and dark, copies
the snippet, and pastes it into a page of its own site (another origin); the badge loads there
and leads to the ally's entry. Screenshots in /tmp/h6-*.png."""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import expect

from coalition import services
from coalition.models import Campaign, Endorsement, Sector
from tests.browser import describe, run_axe, second_origin
from tests.browser.journeys import link, mail_to
from tests.factories import endorsement

SHOTS = Path("/tmp")  # noqa: S108 - where the lead looks at them


def _approved_ally(campaign: Campaign) -> Endorsement:
    ally = endorsement(
        number=1,
        campaign=campaign,
        sector=Sector.objects.order_by("pk").first(),
        name="Χαμόγελο του Παιδιού 🌍",
        contact_email="eleni@hamogelo.example.org",
    )
    services.endorsement_approve(
        endorsement=ally, by=None, acknowledged=True, note="Checked by hand."
    )
    return ally


def _partner_page(snippets: list[str]) -> str:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>Our partners</title>'
        "</head><body style='font-family:sans-serif;padding:24px;background:#f4f1ea'>"
        "<h1>Hamogelo: our campaigns</h1>"
        + "".join(f"<p class='badge'>{snippet}</p>" for snippet in snippets)
        + "</body></html>"
    )


def test_an_approved_ally_pastes_its_badge_on_its_own_site(
    page, site, reference_data, mailoutbox, axe
):
    ally = _approved_ally(reference_data)
    approval = mail_to(
        "eleni@hamogelo.example.org", f"{ally.organization.name} now stands with the coalition"
    )
    assert "/badge/" in approval.body

    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site)
    page.goto(link(approval, "manage"))
    section = page.locator("#share")
    expect(section.get_by_role("heading", name="Show your support on your site")).to_be_visible()
    for alt in ("The badge, light", "The badge, dark"):
        preview = section.get_by_role("img", name=alt)
        expect(preview).to_be_visible()
        assert preview.evaluate("image => image.complete && image.naturalWidth") == 320
    assert run_axe(page) == [], describe(run_axe(page))
    section.screenshot(path=str(SHOTS / "h6-manage-share.png"))

    # German and dark, by the page's own form (no script needed).
    page.get_by_label("Language of the badge").select_option(label="Deutsch")
    page.get_by_label("Dark").check()
    page.get_by_role("button", name="Show the code for this badge").click()
    snippet_field = page.get_by_label("The code to paste into your site’s HTML")
    dark_german = snippet_field.input_value()
    assert "?theme=dark&amp;lang=de" in dark_german
    assert "/de/campaigns/" in dark_german

    page.get_by_role("button", name="Copy the code").click()
    expect(page.get_by_role("status").filter(has_text="The code is copied.")).to_be_visible()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert copied == dark_german

    # The default, light and in the contact's language, from the first visit.
    page.goto(link(approval, "manage"))
    light_english = page.get_by_label("The code to paste into your site’s HTML").input_value()

    with second_origin({"/partners/": _partner_page([light_english, copied])}) as origin:
        partner = page.context.new_page()
        partner.goto(f"{origin}/partners/")
        badges = partner.locator("p.badge img")
        expect(badges).to_have_count(2)
        for index in range(2):
            badge = badges.nth(index)
            badge.scroll_into_view_if_needed()
            partner.wait_for_function(
                "image => image.complete && image.naturalWidth > 0", arg=badge.element_handle()
            )
            assert badge.evaluate("image => image.naturalWidth") == 320
        assert badges.nth(0).get_attribute("alt") == (
            "Χαμόγελο του Παιδιού 🌍 stands with “" + reference_data.title + "”"
        )
        partner.screenshot(path=str(SHOTS / "h6-partner-page.png"), full_page=True)

        badges.nth(0).click()
        partner.wait_for_url(f"**/allies/{ally.public_id}/")
        expect(partner.get_by_text("Χαμόγελο του Παιδιού 🌍").first).to_be_visible()
        partner.screenshot(path=str(SHOTS / "h6-entry.png"))
        partner.close()

    ally.refresh_from_db()
    assert ally.status == Endorsement.Status.APPROVED


def test_sharing_on_mastodon_goes_to_the_server_typed(page, site, reference_data):
    ally = _approved_ally(reference_data)
    manage = link(
        mail_to(ally.contact_email, f"{ally.organization.name} now stands with the coalition"),
        "manage",
    )
    page.goto(manage)
    targets: list[str] = []
    # The server is not ours to reach: the redirect it would follow is recorded, not fetched.
    page.context.route(
        "https://piaille.example/**",
        lambda route: (targets.append(route.request.url), route.fulfill(body="ok"))[1],
    )

    with page.expect_popup() as opened:
        page.locator("#share").get_by_role("link", name="Mastodon").click()
    mastodon = opened.value
    expect(mastodon.get_by_role("heading", name="Share on Mastodon")).to_be_visible()
    post = mastodon.get_by_label("Your post").input_value()
    assert post.startswith(f"We signed “{reference_data.title}”. http")
    mastodon.get_by_label("Your Mastodon server").fill("localhost")
    mastodon.get_by_role("button", name="Continue to my server").click()
    expect(mastodon.get_by_text("Enter the name of your server").first).to_be_visible()
    mastodon.screenshot(path=str(SHOTS / "h6-mastodon-refused.png"), full_page=True)

    mastodon.get_by_label("Your Mastodon server").fill("@eleni@piaille.example")
    mastodon.get_by_role("button", name="Continue to my server").click()
    mastodon.wait_for_url(lambda url: url.startswith("https://piaille.example/share"))
    assert targets
    assert targets[0].startswith("https://piaille.example/share?text=We+signed+")
