"""Each application keeps the words of the consents its contact ticked, in the language they
saw, and the privacy notice's version then; the contact's download and the staff's record show
them, no public surface does."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from coalition.endorsements import tokens
from coalition.models import Endorsement
from coalition.privacy.services import privacy_notice_publish
from public_site.forms import ApplicationForm
from tests.conftest import image_bytes

Status = Endorsement.Status
AUTHORITY_MARKER = "Marker words of authority 7f3a"
PUBLISH_MARKER = "Marker words of publication 7f3a"


def _labels(language: str) -> tuple[str, str]:
    with translation.override(language):
        fields = ApplicationForm.base_fields
        return str(fields["consent_authority"].label), str(fields["consent_publish"].label)


@pytest.fixture
def apply(client, sector, django_capture_on_commit_callbacks):
    """Send the real form, as a browser on ``path`` would."""

    def post(path: str = "/apply/") -> Endorsement:
        data = {
            "name": "Harbour Light Children's Trust",
            "website": "harbourlight.example.org",
            "country": "IE",
            "sector": str(sector.pk),
            "contact_name": "Aoife Byrne",
            "contact_role": "Director",
            "contact_email": "aoife@harbourlight.example.org",
            "preferred_language": "en",
            "consent_authority": "on",
            "consent_publish": "on",
            "homepage": "",
            "logo": SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png"),
        }
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(path, data)
        assert response.status_code == 303, response.content.decode()[:2000]
        return Endorsement.objects.get()

    return post


@pytest.fixture
def approved_with_words(make_endorsement):
    endorsement = make_endorsement(status=Status.APPROVED, name="Marker Ally")
    Endorsement.objects.filter(pk=endorsement.pk).update(
        consent_authority_words=AUTHORITY_MARKER,
        consent_publish_words=PUBLISH_MARKER,
        consent_language="en",
        privacy_notice_version=3,
    )
    endorsement.refresh_from_db()
    return endorsement


def test_an_application_keeps_the_words_its_contact_saw_in_french(campaign, apply):
    endorsement = apply("/fr/apply/")

    authority, publish = _labels("fr")
    assert endorsement.consent_authority_words == authority
    assert endorsement.consent_publish_words == publish
    assert authority != _labels("en")[0]
    assert endorsement.consent_language == "fr"
    # No notice written yet: the built-in one, version 0.
    assert endorsement.privacy_notice_version == 0


def test_an_application_keeps_the_version_of_the_notice_in_force(campaign, apply):
    privacy_notice_publish(texts={"en": "First."})
    privacy_notice_publish(texts={"en": "Second."})

    endorsement = apply("/de/apply/")

    assert endorsement.privacy_notice_version == 2
    assert endorsement.consent_language == "de"
    assert endorsement.consent_publish_words == _labels("de")[1]


def test_the_contact_downloads_the_words_and_the_version(client, campaign, apply):
    privacy_notice_publish(texts={"en": "Notice."})
    endorsement = apply()

    url = reverse("manage-data", kwargs={"token": tokens.manage_token(endorsement)})
    consents = client.get(url).json()["consents"]

    assert consents == {
        "language": "en",
        "consent_authority": _labels("en")[0],
        "consent_publish": _labels("en")[1],
        "privacy_notice_version": 1,
    }


def test_the_workspace_record_shows_the_words_and_the_version(reviewer_client, approved_with_words):
    page = reviewer_client.get(
        reverse("review:decision", args=[approved_with_words.public_id])
    ).content.decode()

    assert AUTHORITY_MARKER in page
    assert PUBLISH_MARKER in page
    assert "Privacy notice shown: version 3." in page


def test_the_workspace_says_when_nothing_was_recorded(reviewer_client, make_endorsement):
    endorsement = make_endorsement()

    page = reviewer_client.get(reverse("review:decision", args=[endorsement.public_id]))

    assert "were not recorded for this application" in page.content.decode()


def test_the_admin_record_shows_the_words_and_the_version(client, superuser, approved_with_words):
    client.force_login(superuser)

    page = client.get(
        reverse("admin:coalition_endorsement_change", args=[approved_with_words.pk])
    ).content.decode()

    assert AUTHORITY_MARKER in page
    assert PUBLISH_MARKER in page


def test_the_words_are_never_on_a_public_surface(client, campaign, approved_with_words):
    paths = [
        "/",
        f"/campaigns/{campaign.slug}/",
        f"/embed/{campaign.slug}/",
        f"/campaigns/{campaign.slug}/feed/",
        "/api/v1/allies/",
        f"/api/v1/allies/{approved_with_words.public_id}/",
        f"/api/v1/campaigns/{campaign.slug}/",
    ]
    for path in paths:
        response = client.get(path)
        body = response.content.decode()
        assert response.status_code == 200, path
        assert AUTHORITY_MARKER not in body, path
        assert PUBLISH_MARKER not in body, path
        assert "privacy_notice_version" not in body, path
        assert "consent_language" not in body, path
    # The ally itself is there: the check looked at the right pages.
    assert "Marker Ally" in client.get("/api/v1/allies/").content.decode()
