"""An organization's journeys in a real browser: sign on, confirm, update, withdraw; the
"this wasn't us" link; fresh links by mail; and the whole of it again in French.

Forms are filled by their visible labels in the page's language; links are read out of the
mail the live server sent (Django's locmem outbox); the database is checked after each step.
"""

from __future__ import annotations

import re

from django.utils import timezone
from playwright.sync_api import expect

from coalition import services
from coalition.endorsements.mail import applicant_links
from coalition.models import (
    Endorsement,
    EndorsementEvent,
    Organization,
    OrganizationVersion,
    Sector,
)
from tests.browser.journeys import (
    Applicant,
    button,
    field,
    fill_application,
    link,
    links,
    logo_png,
    mail_to,
    mails_to,
    submit,
    t,
)
from tests.wall_helpers import make_logo

Status = Endorsement.Status


def heading(page):
    return page.get_by_role("heading", level=1)


def shown_publicly(browser, site: str, slug: str, name: str) -> list[str]:
    """Where a new visitor (nothing in their browser's cache) sees ``name``: the wall at ``/``,
    the embed, the API."""
    context = browser.new_context()
    try:
        page = context.new_page()
        places = []
        page.goto(f"{site}/")
        if page.locator(".wall").get_by_role("img", name=name, exact=True).count():
            places.append("wall")
        page.goto(f"{site}/embed/{slug}/")
        if page.locator(".wall").get_by_role("img", name=name, exact=True).count():
            places.append("embed")
        answer = page.request.get(f"{site}/api/v1/allies/")
        assert answer.ok, answer.text()
        if name in [ally["name"] for ally in answer.json()["results"]]:
            places.append("api")
        return places
    finally:
        context.close()


def _sign_on_update_and_withdraw(page, site, campaign, reviewer, shot, language: str) -> None:
    prefix = "" if language == "en" else f"/{language}"
    browser = page.context.browser
    applicant = Applicant(
        name="Rowan Child Helpline", website="https://rowan.example.org", email="ada@rowan.org"
    )
    name = applicant.name

    # Apply, with a logo.
    page.goto(f"{site}{prefix}/apply/")
    assert page.locator("html").get_attribute("lang") == language
    fill_application(page, applicant, language=language)
    shot(page, "1-form")
    submit(page, button(page, language, "Send application"))
    shot(page, "2-check-your-email")
    expect(heading(page)).to_have_text(t(language, "Check your email"))
    expect(page.locator("main")).to_contain_text(applicant.email)

    endorsement = Endorsement.objects.get(organization__name=name)
    organization = endorsement.organization
    assert endorsement.status == Status.UNCONFIRMED
    assert endorsement.preferred_language == language
    assert endorsement.contact_email == applicant.email
    assert organization.logo is not None
    assert getattr(organization, f"statement_{language}") == applicant.statement

    # Confirm from the mail.
    confirm_mail = mail_to(
        applicant.email, t(language, "Confirm %(name)s's application", name=name)
    )
    assert t(language, "Hello %(name)s,", name=applicant.contact) in confirm_mail.body
    confirm_url = link(confirm_mail, "confirm")
    assert confirm_url.startswith(f"{site}{prefix}/confirm/")
    assert all(url.startswith(f"{site}{prefix}/") for url in links(confirm_mail))
    page.goto(confirm_url)
    # Opening the link only asks (a mail scanner's GET confirms nothing); the button confirms.
    expect(heading(page)).to_have_text(t(language, "Confirm your address"))
    endorsement.refresh_from_db()
    assert endorsement.status == Status.UNCONFIRMED
    submit(page, button(page, language, "Confirm my address"))
    shot(page, "3-confirmed")
    expect(heading(page)).to_have_text(t(language, "Thank you, your address is confirmed"))
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING
    assert shown_publicly(browser, site, campaign.slug, name) == []

    # A reviewer approves; the mail brings the private link.
    services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )
    approved_mail = mail_to(
        applicant.email, t(language, "%(name)s now stands with the coalition", name=name)
    )
    manage_url = link(approved_mail, "manage")
    assert manage_url.startswith(f"{site}{prefix}/manage/")
    # Every link is the site's own, but the share links of the ally's badge section, which
    # open the networks' own share pages (no script of theirs runs from us).
    share_pages = ("https://bsky.app/", "https://www.linkedin.com/", "https://x.com/")
    outside = [url for url in links(approved_mail) if not url.startswith(f"{site}/")]
    assert outside
    assert all(url.startswith(share_pages) for url in outside), outside
    assert shown_publicly(browser, site, campaign.slug, name) == ["wall", "embed", "api"]

    # Change the statement and the logo: they wait for a reviewer.
    page.goto(manage_url)
    expect(heading(page)).to_have_text(t(language, "Manage %(name)s", name=name))
    new_statement = f"{applicant.statement} ({name}, 2025)"
    field(page, language, "Public statement").fill(new_statement)
    field(page, language, "Logo").set_input_files(logo_png(color=(20, 90, 200)))
    shot(page, "4-manage")
    submit(page, button(page, language, "Save changes"))
    shot(page, "5-saved")
    # The page's notice; the badge section's copy buttons have live regions of their own.
    expect(page.get_by_role("status").first).to_have_text(
        t(
            language,
            "Thank you. Your changes are waiting for a reviewer; until then the approved "
            "version stays on the wall.",
        )
    )
    proposed = OrganizationVersion.objects.get(
        organization=organization, state=OrganizationVersion.State.PROPOSED
    )
    assert getattr(proposed, f"statement_{language}") == new_statement
    organization.refresh_from_db()
    assert proposed.logo_id is not None
    assert proposed.logo_id != organization.logo_id
    # The approved version stays public until a reviewer decides.
    assert getattr(organization, f"statement_{language}") == applicant.statement

    # Withdraw.
    page.get_by_label(t(language, "Yes, withdraw our organization from this campaign.")).check()
    submit(page, button(page, language, "Withdraw"))
    shot(page, "6-withdrawn")
    expect(heading(page)).to_have_text(t(language, "Your organization has been withdrawn"))
    endorsement.refresh_from_db()
    assert endorsement.status == Status.WITHDRAWN
    assert shown_publicly(browser, site, campaign.slug, name) == []

    # The applicant heard of each step, in their language.
    applicant_mails = mails_to(applicant.email)
    assert [message.subject for message in applicant_mails] == [
        t(language, message, name=name)
        for message in (
            "Confirm %(name)s's application",
            "We received %(name)s's application",
            "%(name)s now stands with the coalition",
            "%(name)s's endorsement has been withdrawn",
        )
    ]
    for message in applicant_mails:
        assert t(language, "Hello %(name)s,", name=applicant.contact) in message.body


def test_an_organization_signs_on_updates_its_entry_and_withdraws(
    page, site, reference_data, reviewer_user, mailoutbox, shot
):
    _sign_on_update_and_withdraw(page, site, reference_data, reviewer_user, shot, "en")


def test_the_whole_journey_works_in_french(
    page, site, reference_data, reviewer_user, mailoutbox, shot
):
    # The journey reads every text through the catalogue: it checks French only if these are
    # in French there.
    for message in (
        "Organization name",
        "Send application",
        "Check your email",
        "Thank you, your address is confirmed",
        "Save changes",
        "Withdraw",
        "Your organization has been withdrawn",
        "Hello %(name)s,",
        "Confirm %(name)s's application",
        "We received %(name)s's application",
        "%(name)s now stands with the coalition",
        "%(name)s's endorsement has been withdrawn",
    ):
        assert t("fr", message) != message, message

    _sign_on_update_and_withdraw(page, site, reference_data, reviewer_user, shot, "fr")


def test_the_wall_the_applicant_just_looked_at_no_longer_shows_them_once_withdrawn(
    page, site, reference_data, reviewer_user, shot
):
    # The applicant's own browser, which keeps public pages a while (max-age and
    # stale-while-revalidate): what a new visitor would see is checked above.
    name = "Alder Family Support"
    organization = Organization.objects.create(
        name=name,
        website="https://alder.example.org",
        country="DE",
        sector=Sector.objects.get(slug="child-protection-ngo"),
        logo=make_logo(),
    )
    endorsement = Endorsement.objects.create(
        organization=organization,
        campaign=reference_data,
        status=Status.PENDING,
        contact_name="Ada Lindqvist",
        contact_role="Director",
        contact_email="ada@alder.example.org",
        domain_verified=True,
        consent_authority=True,
        consent_publish=True,
        confirmed_at=timezone.now(),
    )
    services.endorsement_approve(endorsement=endorsement, by=reviewer_user)
    on_the_wall = page.locator(".wall").get_by_role("img", name=name, exact=True)
    # The manage page first, as an applicant comes back to it: the cookie it sets stays the
    # same from here on, so the pages below are kept under it (Vary: Cookie).
    manage_url = applicant_links(endorsement)["manage_url"]
    page.goto(manage_url)
    page.goto(f"{site}/")
    expect(on_the_wall).to_have_count(1)
    page.goto(f"{site}/embed/{reference_data.slug}/")
    expect(on_the_wall).to_have_count(1)

    page.goto(manage_url)
    page.get_by_label("Yes, withdraw our organization from this campaign.").check()
    submit(page, button(page, "en", "Withdraw"))
    expect(heading(page)).to_have_text("Your organization has been withdrawn")
    endorsement.refresh_from_db()
    assert endorsement.status == Status.WITHDRAWN

    page.goto(f"{site}/")
    shot(page, "wall-after-withdrawing")
    expect(on_the_wall).to_have_count(0)
    page.goto(f"{site}/embed/{reference_data.slug}/")
    expect(on_the_wall).to_have_count(0)


def test_someone_whose_address_was_used_withdraws_the_application_from_the_mail(
    page, site, reference_data, mailoutbox, shot
):
    applicant = Applicant(
        name="Juniper Youth Line", website="https://juniper.example.org", email="office@juniper.org"
    )
    page.goto(f"{site}/apply/")
    fill_application(page, applicant)
    submit(page, button(page, "en", "Send application"))
    endorsement = Endorsement.objects.get(organization__name=applicant.name)
    confirm_mail = mail_to(applicant.email, f"Confirm {applicant.name}'s application")
    not_us_url = link(confirm_mail, "not-us")
    assert not_us_url.startswith(f"{site}/not-us/")

    # Opening the link only asks: mail scanners follow links too.
    page.goto(not_us_url)
    shot(page, "1-asks")
    expect(heading(page)).to_have_text("This wasn't us")
    expect(page.locator("main")).to_contain_text(applicant.name)
    endorsement.refresh_from_db()
    assert endorsement.status == Status.UNCONFIRMED

    submit(page, page.get_by_role("button", name="Withdraw this application"))
    shot(page, "2-withdrawn")
    expect(heading(page)).to_have_text("Thank you for telling us")
    endorsement.refresh_from_db()
    assert endorsement.status == Status.WITHDRAWN
    event = endorsement.events.get(to_status=Status.WITHDRAWN)
    assert event.actor == EndorsementEvent.Actor.SYSTEM
    assert event.user is None
    assert "this wasn't us" in event.note

    # The link, followed again, has nothing left to do.
    page.goto(not_us_url)
    expect(heading(page)).to_have_text("Nothing left to withdraw")


def test_an_applicant_who_lost_the_mail_gets_fresh_links(
    page, site, reference_data, mailoutbox, shot
):
    applicant = Applicant(
        name="Hazel Reporting Point", website="https://hazel.example.org", email="team@hazel.org"
    )
    confirm_subject = f"Confirm {applicant.name}'s application"
    page.goto(f"{site}/apply/")
    fill_application(page, applicant)
    submit(page, button(page, "en", "Send application"))
    endorsement = Endorsement.objects.get(organization__name=applicant.name)
    mail_to(applicant.email, confirm_subject)

    def ask_for_links(address: str) -> str:
        page.goto(f"{site}/resend/")
        expect(heading(page)).to_have_text("Send my links again")
        field(page, "en", "Contact email").fill(address)
        submit(page, page.get_by_role("button", name="Send the links"))
        expect(heading(page)).to_have_text("Check your email")
        return page.locator("main").inner_text()

    answer = ask_for_links(applicant.email)
    shot(page, "1-answer")
    assert "If that address has an application with us, fresh links are on their way." in answer
    confirm_mails = [m for m in mails_to(applicant.email) if m.subject == confirm_subject]
    assert len(confirm_mails) == 2
    page.goto(link(confirm_mails[-1], "confirm"))
    submit(page, button(page, "en", "Confirm my address"))
    expect(heading(page)).to_have_text("Thank you, your address is confirmed")
    endorsement.refresh_from_db()
    assert endorsement.status == Status.PENDING

    # An address that never applied gets the very same answer, and no mail.
    assert ask_for_links("nobody@elsewhere.org") == answer
    assert mails_to("nobody@elsewhere.org") == []

    # Confirmed now: asking again brings the private link to manage the entry.
    ask_for_links(applicant.email)
    manage_mail = mail_to(applicant.email, f"Your private link for {applicant.name}")
    page.goto(link(manage_mail, "manage"))
    shot(page, "2-manage")
    expect(heading(page)).to_have_text(f"Manage {applicant.name}")
    expect(page.locator(".status")).to_contain_text("Pending review")
    assert re.search(r"/manage/[^/]+/$", page.url)
