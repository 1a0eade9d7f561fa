"""The privacy notice and the imprint: in each language, written by superusers in versions,
naming the operator, linked from every public page and beside the consent boxes."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.urls import reverse

from coalition.models import PrivacyNotice
from coalition.privacy import selectors
from coalition.privacy.services import privacy_notice_publish

ROOT = Path(__file__).resolve().parent.parent.parent


@pytest.fixture
def operator(settings):
    settings.OPERATOR_NAME = "Harbour Coalition e.V."
    settings.OPERATOR_EMAIL = "privacy@harbour.example"
    settings.OPERATOR_ADDRESS = "Hafenstraße 1\n20457 Hamburg"


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.mark.parametrize(
    ("path", "heading", "collect"),
    [
        ("/privacy/", "Privacy notice", "What we collect"),
        ("/fr/privacy/", "Politique de confidentialité", "Ce que nous collectons"),
        ("/de/privacy/", "Datenschutzerklärung", "Welche Daten wir erheben"),
    ],
)
def test_it_shows_the_default_notice_in_each_language(db, client, operator, path, heading, collect):
    page = client.get(path).content.decode()

    assert f"<h1>{heading}</h1>" in page
    assert collect in page
    assert "Harbour Coalition e.V." in page
    assert "mailto:privacy@harbour.example" in page
    assert "Hafenstraße 1<br>20457 Hamburg" in page


def test_the_default_notice_gives_the_retention_periods(db, client, settings):
    settings.RETENTION_UNCONFIRMED_DAYS = 21
    settings.RETENTION_PERSONAL_DATA_DAYS = 45

    page = client.get("/privacy/").content.decode()

    assert "deleted after 21 days" in page
    assert "erased 45 days after" in page


@pytest.mark.parametrize(
    ("path", "heading"),
    [("/imprint/", "Imprint"), ("/fr/imprint/", "Mentions légales"), ("/de/imprint/", "Impressum")],
)
def test_the_imprint_names_the_operator_in_each_language(db, client, operator, path, heading):
    page = client.get(path).content.decode()

    assert f"<h1>{heading}</h1>" in page
    assert "Harbour Coalition e.V." in page
    assert "privacy@harbour.example" in page


def test_it_says_so_when_no_operator_is_configured(db, client, settings):
    settings.OPERATOR_NAME = settings.OPERATOR_EMAIL = settings.OPERATOR_ADDRESS = ""

    page = client.get("/imprint/").content.decode()

    assert "has not yet given its name and address" in page


def test_a_written_notice_replaces_the_default_in_its_language(db, client):
    privacy_notice_publish(
        texts={"en": "We keep little.\n\nAsk us.", "fr": "Nous gardons peu.", "de": ""}
    )

    english = client.get("/privacy/").content.decode()
    french = client.get("/fr/privacy/").content.decode()
    german = client.get("/de/privacy/").content.decode()

    assert "<p>We keep little.</p>" in english
    assert "What we collect" not in english
    assert "Version 1" in english
    assert "Nous gardons peu." in french
    assert "Version 1" in french
    # A language left empty falls back to English.
    assert "We keep little." in german


def test_a_superuser_edits_the_notice_in_the_admin_and_each_save_is_a_new_version(
    admin_client, superuser, client
):
    add_url = reverse("admin:coalition_privacynotice_add")
    response = admin_client.post(
        add_url, {"text_en": "First words.", "text_fr": "Premiers mots.", "text_de": "Erste."}
    )
    assert response.status_code == 302
    first = PrivacyNotice.objects.get()
    assert first.version == 1
    assert first.created_by == superuser

    # Opening the current version offers its words; saving keeps version 1 as it was.
    change_url = reverse("admin:coalition_privacynotice_change", args=[first.pk])
    assert "First words." in admin_client.get(change_url).content.decode()
    assert "First words." in admin_client.get(add_url).content.decode()
    admin_client.post(
        change_url, {"text_en": "Second words.", "text_fr": "Deuxièmes.", "text_de": "Zweite."}
    )

    first.refresh_from_db()
    assert first.text_en == "First words."
    assert list(PrivacyNotice.objects.values_list("version", flat=True)) == [2, 1]
    assert selectors.privacy_notice_version() == 2
    page = client.get("/privacy/").content.decode()
    assert "Second words." in page
    assert "First words." not in page
    assert "Version 2" in page


def test_only_superusers_may_edit_the_notice(reviewer_client):
    response = reviewer_client.get(reverse("admin:coalition_privacynotice_add"))

    assert response.status_code == 403
    assert PrivacyNotice.objects.count() == 0


def test_a_notice_is_never_deleted(admin_client):
    notice = privacy_notice_publish(texts={"en": "Words."})

    response = admin_client.post(
        reverse("admin:coalition_privacynotice_delete", args=[notice.pk]), {"post": "yes"}
    )

    assert response.status_code == 403
    assert PrivacyNotice.objects.filter(pk=notice.pk).exists()


@pytest.mark.parametrize("path", ["/", "/apply/", "/fr/", "/de/apply/", "/resend/", "/privacy/"])
def test_every_public_page_links_the_notice_and_the_imprint_in_its_footer(client, campaign, path):
    page = client.get(path).content.decode()
    footer = page.split('<footer class="site-footer">', 1)[1].split("</footer>", 1)[0]

    prefix = "/" + path.split("/")[1] if path.startswith(("/fr/", "/de/")) else ""
    assert f'href="{prefix}/privacy/"' in footer
    assert f'href="{prefix}/imprint/"' in footer


def test_the_notice_is_linked_beside_each_consent_box(client, campaign):
    page = client.get("/fr/apply/").content.decode()
    confirmations = page.split('name="consent_authority"', 1)[1].split("</fieldset>", 1)[0]

    assert confirmations.count('href="/fr/privacy/"') == 2
    assert confirmations.index('name="consent_publish"') > confirmations.index("/fr/privacy/")


def test_the_operator_settings_are_documented():
    documentation = (ROOT / "docs" / "configuration.md").read_text()

    for name in ["OPERATOR_NAME", "OPERATOR_EMAIL", "OPERATOR_ADDRESS"]:
        assert f"`{name}`" in documentation
