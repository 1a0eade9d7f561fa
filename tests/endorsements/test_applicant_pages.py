"""The sign-on pages (issue 21, "Applicants"): one application however often the form is sent,
the campaign's look and a way back to it, the error summary focused, replies that reach someone,
a manage page that says one thing at a time, and words that read well in every language."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import polib
import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from coalition import services
from coalition.endorsements import tokens
from coalition.models import Endorsement, OrganizationVersion, OutboundEmail
from coalition.proofs.models import DomainCheck
from public_site.forms import ApplicationForm, ManageForm
from public_site.views import applied
from tests.conftest import image_bytes

Status = Endorsement.Status
ROOT = Path(__file__).resolve().parent.parent.parent


def application(sector, **overrides) -> dict:
    data = {
        "name": "Enfance Numérique Sûre",
        "website": "enfance.example.org",
        "country": "FR",
        "sector": str(sector.pk),
        "statement": "Les enfants d’abord.",
        "contact_name": "Inès Martin",
        "contact_role": "Directrice",
        "contact_email": "ines@enfance.example.org",
        "preferred_language": "en",
        "consent_authority": "on",
        "consent_publish": "on",
        "homepage": "",
        "logo": SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png"),
    }
    data.update(overrides)
    return data


@pytest.fixture
def send(client, django_capture_on_commit_callbacks):
    """POST the form as a browser does, running what the view scheduled for after commit."""

    def post(data: dict, path: str = "/apply/", **extra):
        with django_capture_on_commit_callbacks(execute=True):
            return client.post(path, data, **extra)

    return post


def _submission_id(body: str) -> str:
    match = re.search(r'name="submission" value="([^"]+)"', body)
    assert match, "no submission id in the form"
    return match.group(1)


def _confirmation_mails() -> int:
    return OutboundEmail.objects.filter(template="confirm").count()


# 13. Post/Redirect/Get, and the same application sent again ---------------------------------


def test_applying_redirects_to_a_check_your_email_page_without_personal_data_in_its_url(
    client, send, campaign, sector, mailoutbox
):
    response = send(application(sector))

    assert response.status_code == 303
    assert response["Location"] == "/apply/sent/"
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Check your email" in body
    assert "ines@enfance.example.org" in body
    assert "no-store" in page["Cache-Control"]
    assert len(mailoutbox) == 1


def test_reloading_the_check_your_email_page_sends_nothing_again(
    client, send, campaign, sector, mailoutbox
):
    done = send(application(sector))["Location"]

    for _ in range(3):
        assert client.get(done).status_code == 200

    assert Endorsement.objects.count() == 1
    assert len(mailoutbox) == 1


def test_the_same_form_sent_again_is_the_same_application(client, send, campaign, sector):
    submission = _submission_id(client.get("/apply/").content.decode())

    first = send(application(sector, submission=submission))
    # Back, then Send again: the same form, even with another website typed in.
    again = send(application(sector, submission=submission, website="other.example.org"))

    assert first.status_code == again.status_code == 303
    assert again["Location"] == first["Location"]
    assert Endorsement.objects.count() == 1
    assert _confirmation_mails() == 1


def test_the_same_application_from_a_fresh_form_is_recognized_by_address_and_website(
    client, send, campaign, sector
):
    send(application(sector))
    client.cookies.clear()  # another browser, or one that keeps no cookie

    again = send(application(sector, contact_email="INES@enfance.example.org", name="ENS"))

    assert again.status_code == 303
    assert Endorsement.objects.count() == 1
    assert _confirmation_mails() == 1
    page = client.get(again["Location"]).content.decode()
    # The page names the address typed, never the name of the application made before.
    assert "Enfance Numérique Sûre" not in page


def test_an_application_an_hour_later_or_for_another_website_is_a_new_one(
    client, send, campaign, sector
):
    send(application(sector))
    client.cookies.clear()
    send(application(sector, website="second.example.org"))
    with time_machine.travel(timezone.now() + timedelta(hours=2)):
        send(application(sector))

    assert Endorsement.objects.count() == 3
    assert _confirmation_mails() == 3


def test_after_withdrawing_the_organization_can_apply_again_at_once(client, send, campaign, sector):
    send(application(sector))
    services.endorsement_withdraw(endorsement=Endorsement.objects.get())
    client.cookies.clear()

    send(application(sector))

    assert Endorsement.objects.filter(status=Status.UNCONFIRMED).count() == 1
    assert Endorsement.objects.count() == 2


def test_the_check_your_email_page_of_another_browser_names_no_address(
    client, send, campaign, sector
):
    done = send(application(sector))["Location"]
    client.cookies.clear()

    body = client.get(done).content.decode()

    assert "Check your email" in body
    assert "ines@enfance.example.org" not in body


def test_the_remembering_cookie_is_signed_short_lived_and_kept_to_the_form(
    client, send, campaign, sector, settings
):
    settings.SESSION_COOKIE_SECURE = True

    response = send(application(sector), path=f"/fr/campaigns/{campaign.slug}/apply/")

    assert response["Location"] == f"/fr/campaigns/{campaign.slug}/apply/sent/"
    cookie = response.cookies[applied.COOKIE]
    assert cookie["path"] == f"/fr/campaigns/{campaign.slug}/apply/"
    assert cookie["httponly"]
    assert cookie["secure"]
    assert int(cookie["max-age"]) == applied.MAX_AGE
    assert "ines" not in cookie.value
    client.cookies[applied.COOKIE] = cookie.value.replace(":", ";", 1)  # tampered
    assert "ines@" not in client.get(response["Location"]).content.decode()


def test_a_repeated_application_is_refused_by_the_service_itself(campaign, sector):
    from coalition.endorsements.resubmission import ApplicationRepeated
    from coalition.images import logos

    def apply_once() -> Endorsement:
        upload = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")
        return services.endorsement_apply(
            campaign=campaign,
            name="Enfance Numérique Sûre",
            website="https://enfance.example.org",
            country="FR",
            sector=sector,
            logo=logos.process(logos.validate_and_open(upload)),
            contact_name="Inès",
            contact_role="Directrice",
            contact_email="ines@enfance.example.org",
            preferred_language="fr",
            consent_authority=True,
            consent_publish=True,
        )[0]

    first = apply_once()
    with pytest.raises(ApplicationRepeated) as repeated:
        apply_once()

    assert repeated.value.endorsement == first


# 16. The campaign's look on the sign-on pages, and a way back --------------------------------


@pytest.fixture
def branded(campaign):
    campaign.organizer_name_en = "Northlight Alliance"
    campaign.accent_color = "#1d4ed8"
    campaign.statement_en = "A statement. " * 200
    campaign.save()
    return campaign


def _looks_like_the_campaign(body: str) -> None:
    assert '<link rel="stylesheet" href="/theme/1d4ed8.css">' in body
    assert '<body class="theme-campaign">' in body
    assert "Northlight Alliance" in body.split("</header>")[0]
    assert "Coalition Registry" not in body.split("</header>")[0]
    assert re.search(r'<nav class="back-to-campaign[^"]*"[^>]*>\s*<a href="/">', body)


def test_every_sign_on_page_carries_the_campaigns_look_and_a_way_back(
    client, send, branded, sector, make_endorsement
):
    pages = ["/apply/", f"/campaigns/{branded.slug}/embed/"]
    done = send(application(sector))["Location"]
    pages.append(done)
    endorsement = Endorsement.objects.get()
    pages.append(reverse("confirm", kwargs={"token": tokens.confirm_token(endorsement)}))
    pages.append(reverse("manage", kwargs={"token": tokens.manage_token(endorsement)}))
    pages.append(reverse("not-us", kwargs={"token": tokens.not_us_token(endorsement)}))

    for path in pages:
        response = client.get(path)
        assert response.status_code == 200, path
        _looks_like_the_campaign(response.content.decode())

    withdrawn = client.post(
        reverse("manage-withdraw", kwargs={"token": tokens.manage_token(endorsement)}),
        {"confirm": "on"},
    )
    _looks_like_the_campaign(withdrawn.content.decode())


def test_the_statement_is_folded_above_the_form(client, branded):
    body = client.get("/apply/").content.decode()

    assert re.search(
        r'<details class="campaign-statement">\s*<summary>The statement you are endorsing',
        body,
    )
    assert body.index("</details>") < body.index('<form method="post"')


# 17. The error summary is focused ------------------------------------------------------------


def test_the_error_summary_is_focused_when_the_page_opens(client, campaign):
    body = client.post("/apply/", {"name": ""}).content.decode()

    assert re.search(r'<div class="error-summary"[^>]*\bautofocus\b[^>]*id="error-summary"', body)


# 19. Replies reach the campaign, or the mail does not ask for one ----------------------------


@pytest.fixture
def ended(make_endorsement, reviewer, reason, mailoutbox, django_capture_on_commit_callbacks):
    """The mails of a rejection, a removal and a withdrawal."""

    def end() -> list:
        rejected = make_endorsement(status=Status.PENDING)
        removed = make_endorsement(status=Status.APPROVED)
        withdrawn = make_endorsement(status=Status.APPROVED)
        with django_capture_on_commit_callbacks(execute=True):
            services.endorsement_reject(endorsement=rejected, by=reviewer, reason=reason)
            services.endorsement_remove(endorsement=removed, by=reviewer)
            services.endorsement_withdraw(endorsement=withdrawn)
        assert [message.to for message in mailoutbox] == [
            [rejected.contact_email],
            [removed.contact_email],
            [withdrawn.contact_email],
        ]
        return list(mailoutbox)

    return end


def test_with_a_reply_address_the_ending_mails_reach_the_campaign(ended, settings):
    settings.CAMPAIGN_REPLY_TO = "team@campaign.example"

    messages = ended()

    assert len(messages) == 3
    for message in messages:
        assert message.reply_to == ["team@campaign.example"]
        assert "reply to this email" in message.body


def test_without_one_they_ask_for_no_reply_and_point_to_the_organizer(ended, settings, campaign):
    settings.CAMPAIGN_REPLY_TO = ""
    campaign.organizer_website = "https://northlight.example/"
    campaign.save()

    messages = ended()

    assert len(messages) == 3
    for message in messages:
        assert message.reply_to == []
        for body in (message.body, message.alternatives[0][0]):
            assert "reply to this email" not in body
            assert "https://northlight.example/" in body


def test_the_reply_address_is_documented():
    assert "`CAMPAIGN_REPLY_TO`" in (ROOT / "docs" / "configuration.md").read_text()


# 20. The manage page says one thing at a time ------------------------------------------------


@pytest.fixture
def manage_page(client):
    def get(endorsement: Endorsement, query: str = "") -> str:
        path = reverse("manage", kwargs={"token": tokens.manage_token(endorsement)})
        return client.get(path + query).content.decode()

    return get


def test_a_domain_verified_by_email_is_good_news_and_offers_no_check(make_endorsement, manage_page):
    endorsement = make_endorsement(status=Status.APPROVED)
    Endorsement.objects.filter(pk=endorsement.pk).update(domain_verified=True)

    body = manage_page(endorsement)

    assert re.search(r'<p class="notice success" role="status">[^<]*is verified by email', body)
    # "Check now" only within "How to prove your domain another way".
    after_details = body.split("</details>", 1)[1].split("</section>", 1)[0]
    assert "Check now" not in after_details
    assert "Check now" in body


def test_a_check_nobody_answered_is_not_called_not_proven(make_endorsement, manage_page):
    endorsement = make_endorsement(status=Status.APPROVED)
    DomainCheck.objects.create(
        endorsement=endorsement,
        domain="org1.example.org",
        reason=DomainCheck.Reason.APPLICANT,
        outcome=DomainCheck.Outcome.FAILED,
        done_at=timezone.now(),
        findings=[
            {"method": "dns", "code": "dns_error", "params": {"name": "org1.example.org"}},
            {"method": "well-known", "code": "timeout", "params": {"host": "org1.example.org"}},
        ],
    )

    body = manage_page(endorsement)

    assert "not proven" not in body
    assert "the check could not be completed" in body


def test_saving_changes_for_review_says_so_once(client, make_endorsement, manage_page):
    endorsement = make_endorsement(status=Status.APPROVED)
    path = reverse("manage", kwargs={"token": tokens.manage_token(endorsement)})
    saved = client.post(path, {"website": "https://org1.example.org", "statement": "New."})

    body = manage_page(endorsement, "?" + saved["Location"].split("?", 1)[1])

    assert body.count('class="notice') == 1
    assert "waiting for a reviewer" in body


@pytest.mark.parametrize("path", ["withdraw", "manage"])
def test_after_withdrawing_there_is_a_way_to_sign_on_again(client, make_endorsement, path):
    endorsement = make_endorsement(status=Status.APPROVED)
    token = tokens.manage_token(endorsement)
    withdrawn = client.post(reverse("manage-withdraw", kwargs={"token": token}), {"confirm": "on"})

    body = (
        withdrawn if path == "withdraw" else client.get(reverse("manage", kwargs={"token": token}))
    ).content.decode()

    assert re.search(r'<a class="button" href="/apply/">Sign on again</a>', body)


def test_approved_changes_are_mailed_to_the_organization(
    client, make_endorsement, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=Status.APPROVED)
    services.organization_update(
        endorsement=endorsement, website="https://org1.example.org", statement="Newer."
    )
    version = OrganizationVersion.objects.get(state=OrganizationVersion.State.PROPOSED)

    with django_capture_on_commit_callbacks(execute=True):
        services.organization_version_approve(version=version, by=reviewer)

    mail = [m for m in mailoutbox if endorsement.contact_email in m.to]
    assert [m.subject for m in mail] == ["Your changes to Example Org 1 are approved"]
    # The link is signed at the second it is made: read it back rather than sign one to compare.
    [token] = set(re.findall(r"/manage/([^/\s]+)/", mail[0].body))
    assert tokens.endorsement_from_manage_token(token) == endorsement


# 22. Words -----------------------------------------------------------------------------------


def test_no_french_article_is_glued_to_an_organizations_name():
    catalog = polib.pofile(str(ROOT / "locale" / "fr" / "LC_MESSAGES" / "django.po"))
    glued = re.compile(r"\b(de|que|le|la|du) %\((name|organization)\)s")
    # There %(name)s is a DNS name, which takes no elision.
    dns = {entry.msgid for entry in catalog if entry.msgid.startswith(("the TXT", "the DNS"))}

    found = [
        entry.msgid
        for entry in catalog.translated_entries()
        if entry.msgid not in dns and glued.search(entry.msgstr)
    ]

    assert found == []


def test_the_french_manage_page_reads_well_with_a_name_that_starts_with_a_vowel(
    client, make_endorsement
):
    endorsement = make_endorsement(status=Status.APPROVED, name="Enfance Numérique Sûre")

    body = client.get(
        reverse("manage", kwargs={"token": tokens.manage_token(endorsement)}).replace(
            "/manage/", "/fr/manage/"
        )
    ).content.decode()

    assert "de Enfance" not in body
    assert "de l’organisation Enfance Numérique Sûre" in body


@pytest.mark.parametrize("form_class", [ApplicationForm, ManageForm])
def test_an_optional_field_says_so_once(db, form_class):
    form = form_class()

    for name, field in form.fields.items():
        if not field.required:
            assert not str(field.help_text).startswith("Optional"), name


def test_the_campaign_admin_labels_start_with_a_capital(client, superuser, campaign):
    client.force_login(superuser)

    body = client.get(reverse("admin:coalition_campaign_change", args=[campaign.pk])).content

    assert "Organizer’s website" in body.decode()
    assert "organizer’s website:" not in body.decode()
