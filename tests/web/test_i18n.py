"""Language from the URL, Accept-Language on a first visit, the switcher, and content in
three languages."""

from __future__ import annotations

import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import translation

from coalition import services
from coalition.models import Endorsement, Organization
from coalition.web.languages import collation_key
from tests.conftest import image_bytes
from tests.factories import application_form

Status = Endorsement.Status


def test_english_pages_have_no_prefix_and_others_do(client, campaign):
    assert client.get("/").status_code == 200
    assert 'lang="en"' in client.get("/").content.decode()
    assert 'lang="fr"' in client.get("/fr/").content.decode()
    assert 'lang="de"' in client.get("/de/apply/").content.decode()
    assert client.get("/en/").status_code == 404


def test_a_first_visit_follows_accept_language(client, campaign):
    response = client.get("/apply/?x=1", HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9,en;q=0.5")

    assert response.status_code == 302
    assert response["Location"] == "/de/apply/?x=1"
    assert "Accept-Language" in response["Vary"]


def test_an_english_reader_is_not_redirected(client, campaign):
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")

    assert response.status_code == 200


def test_the_switcher_remembers_the_choice_and_keeps_the_page(client, campaign):
    page = client.get(f"/de/campaigns/{campaign.slug}/?country=DE").content.decode()
    switch = re.search(r'href="(/language/en/\?next=[^"]+)"', page).group(1)

    response = client.get(switch.replace("&amp;", "&"))

    assert response.status_code == 302
    assert response["Location"] == f"/campaigns/{campaign.slug}/?country=DE"
    assert response.cookies["coalition_language"].value == "en"
    # The choice outranks the browser's preference from now on.
    again = client.get("/", HTTP_ACCEPT_LANGUAGE="de")
    assert again.status_code == 200


def test_the_switcher_never_redirects_off_site(client, campaign):
    response = client.get("/language/fr/?next=https://evil.example/")

    assert response["Location"] == "/fr/"


def test_pages_name_their_translations(client, campaign):
    page = client.get("/fr/apply/").content.decode()

    assert '<link rel="alternate" hreflang="en" href="http://testserver/apply/">' in page
    assert '<link rel="alternate" hreflang="de" href="http://testserver/de/apply/">' in page
    assert '<link rel="alternate" hreflang="x-default" href="http://testserver/apply/">' in page
    assert 'aria-current="true" lang="fr"' in page


def test_the_admin_follows_the_browser_language(client, superuser):
    client.force_login(superuser)

    response = client.get("/admin/", HTTP_ACCEPT_LANGUAGE="de")

    assert response["Content-Language"] == "de"


def test_the_embed_takes_lang(client, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED)

    response = client.get(f"/embed/{ally.campaign.slug}/?lang=de")

    assert 'lang="de"' in response.content.decode()


def test_campaign_texts_and_sector_names_follow_the_language(client, campaign, sector):
    campaign.title_de = "Erkennung erlauben"
    campaign.statement_de = "Wir bitten den Gesetzgeber."
    campaign.save()
    sector.name_fr = "ONG de protection de l'enfance"
    sector.save()

    german = client.get("/de/").content.decode()
    french = client.get("/fr/apply/").content.decode()
    english = client.get("/").content.decode()

    assert "Erkennung erlauben" in german
    assert "Wir bitten den Gesetzgeber." in german
    assert "ONG de protection de l&#x27;enfance" in french
    assert campaign.title_en in english
    # A missing translation falls back to English.
    assert campaign.title_en in client.get("/fr/").content.decode()


def test_an_organization_may_give_its_statement_in_several_languages(client, campaign, sector):
    response = client.post(
        "/de/apply/",
        application_form(
            sector,
            name="Kinderschutzbund Beispiel",
            website="kinderschutz.example.org",
            country="DE",
            statement="Wir stehen zusammen.",
            statement_en="We stand together.",
            statement_fr="Nous sommes solidaires.",
            contact_name="Jana",
            contact_role="Vorstand",
            contact_email="jana@kinderschutz.example.org",
            preferred_language="de",
            registry_id=None,
            homepage=None,
            logo=SimpleUploadedFile("logo.png", image_bytes()),
        ),
    )

    assert response.status_code == 303  # to "check your email" (Post/Redirect/Get)
    organization = Organization.objects.get()
    assert organization.statement_de == "Wir stehen zusammen."
    assert organization.statement_en == "We stand together."
    assert organization.statement_fr == "Nous sommes solidaires."
    with translation.override("fr"):
        assert organization.statement == "Nous sommes solidaires."


def test_mail_is_written_in_the_applicants_language_with_links_in_it(
    make_endorsement, reviewer, mailoutbox, django_capture_on_commit_callbacks
):
    endorsement = make_endorsement(status=Status.PENDING)
    Endorsement.objects.filter(pk=endorsement.pk).update(preferred_language="fr")
    endorsement.refresh_from_db()

    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
        )

    message = mailoutbox[0]
    assert "/fr/manage/" in message.body
    assert "/fr/not-us/" in message.body


@pytest.mark.parametrize(
    ("language", "before", "after"),
    [("fr", "Égypte", "Espagne"), ("de", "Österreich", "Pakistan"), ("fr", "Émirats", "Érythrée")],
)
def test_country_lists_follow_the_readers_alphabet(client, campaign, language, before, after):
    page = client.get(f"/{language}/apply/").content.decode()
    names = re.findall(r'<option value="[A-Z]{2}"[^>]*>([^<]+)</option>', page)

    first = next(i for i, name in enumerate(names) if name.startswith(before))
    second = next(i for i, name in enumerate(names) if name.startswith(after))
    assert first < second
    assert names == sorted(names, key=collation_key)


def test_the_first_visit_redirect_says_its_own_language_whatever_was_served_before(
    client, campaign
):
    from django.utils import translation

    translation.activate("de")  # what this thread served last

    response = client.get("/", HTTP_ACCEPT_LANGUAGE="fr")

    assert response.status_code == 302
    assert response["Location"].startswith("/fr/")
    assert response["Content-Language"] == "en"
