"""Choosing a logo in a real browser (issue 21, item 18): a file over the limit is refused before
anything is sent, an SVG is previewed and accepted, and the database holds the processed logo."""

from __future__ import annotations

from playwright.sync_api import expect

from coalition.images import logos
from coalition.models import Organization
from tests.browser.journeys import Applicant, button, field, fill_application, submit, t

SVG_LOGO = (
    b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100">'
    b'<rect x="10" y="10" width="80" height="80" fill="#dc143c"/>'
    b'<circle cx="150" cy="50" r="40" fill="#1d4ed8"/></svg>'
)


def test_a_logo_too_large_is_refused_before_sending_and_an_svg_is_previewed_and_kept(
    page, site, reference_data, shot
):
    applicant = Applicant(
        name="Vector Family Trust", website="https://vector.example.org", email="ada@vector.org"
    )
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else 0)
    page.goto(f"{site}/apply/")
    fill_application(page, applicant)
    logo = field(page, "en", "Logo")

    # Six megabytes: refused here, with the server's own words, before a byte is sent.
    logo.set_input_files(
        {"name": "poster.png", "mimeType": "image/png", "buffer": b"\x89PNG" + b"\0" * 6_000_000}
    )
    too_large = t("en", "The logo is larger than %(limit)s MB. Please upload a smaller file.")
    error = page.get_by_role("alert").filter(has_text=too_large % {"limit": 5})
    expect(error).to_be_visible()
    expect(logo).to_have_attribute("aria-invalid", "true")
    assert logo.evaluate("input => input.files.length") == 0  # nothing left to send
    assert posts == []
    shot(page, "1-too-large")

    # An SVG: previewed, with its alternative text, and the error gone.
    logo.set_input_files({"name": "logo.svg", "mimeType": "image/svg+xml", "buffer": SVG_LOGO})
    preview = page.get_by_role("img", name=t("en", "Preview of the logo you chose"))
    expect(preview).to_be_visible()
    assert preview.evaluate("image => image.naturalWidth") > 0
    expect(error).to_have_count(0)
    expect(logo).not_to_have_attribute("aria-invalid", "true")
    shot(page, "2-preview")

    submit(page, button(page, "en", "Send application"))
    shot(page, "3-sent")

    organization = Organization.objects.get(name=applicant.name)
    assert organization.logo is not None
    # The processed logo: the drawing's 180 × 80 content at the wall's size, PNG and WebP.
    assert (organization.logo.width, organization.logo.height) == logos.fit_logo(180, 80)
    assert organization.logo.png.name.endswith(".png")
    assert organization.logo.webp_2x.name.endswith(".webp")
