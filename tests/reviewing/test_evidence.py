"""The evidence flags of an application, each in both directions, and when they are computed."""

from __future__ import annotations

import io

import pytest

from coalition import services
from coalition.images import logos
from coalition.models import Endorsement, EndorsementEvidence
from coalition.reviewing import evidence
from tests.conftest import image_bytes
from tests.wall_helpers import make_logo

Status = Endorsement.Status


def codes(endorsement: Endorsement) -> set[str]:
    return {flag.code for flag in evidence.flags_for(endorsement)}


def flag(endorsement: Endorsement, code: str) -> evidence.Flag:
    found = [f for f in evidence.flags_for(endorsement) if f.code == code]
    assert len(found) == 1, [f.code for f in evidence.flags_for(endorsement)]
    return found[0]


def with_registry_id(endorsement: Endorsement, registry_id: str) -> Endorsement:
    endorsement.organization.registry_id = registry_id
    endorsement.organization.save()
    return endorsement


# The contact's email against the website ----------------------------------------------------


def test_an_email_on_the_websites_domain_is_a_good_sign(make_endorsement):
    endorsement = make_endorsement(website="https://www.acme.org", contact_email="a@mail.acme.org")

    found = flag(endorsement, "email_domain_match")

    assert found.level == evidence.OK
    assert found.params == {"email_domain": "mail.acme.org", "domain": "acme.org"}
    assert "email_domain_mismatch" not in codes(endorsement)


def test_an_email_elsewhere_is_flagged(make_endorsement):
    endorsement = make_endorsement(website="https://acme.org", contact_email="acme@gmail.com")

    found = flag(endorsement, "email_domain_mismatch")

    assert found.level == evidence.WARN
    assert not found.ack
    assert "email_domain_match" not in codes(endorsement)


def test_an_erased_email_says_nothing_either_way(make_endorsement):
    endorsement = make_endorsement()
    endorsement.contact_email = ""

    assert not {"email_domain_match", "email_domain_mismatch"} & codes(endorsement)


# Other organizations on the same domain, or with the same registry ID ------------------------


def test_another_live_organization_on_the_same_registrable_domain_needs_a_tick(make_endorsement):
    other = make_endorsement(name="Acme Germany", website="https://de.acme.org")
    endorsement = make_endorsement(name="Acme", website="https://acme.org")

    found = flag(endorsement, "shared_domain")

    assert found.ack
    assert found.level == evidence.WARN
    assert [match["name"] for match in found.matches] == ["Acme Germany"]
    assert found.matches[0]["endorsements"][0]["public_id"] == other.public_id


def test_only_ended_applications_on_the_domain_are_history_without_a_tick(make_endorsement):
    make_endorsement(name="Acme Old", website="https://acme.org", status=Status.REJECTED)
    endorsement = make_endorsement(name="Acme", website="https://www.acme.org")

    found = flag(endorsement, "shared_domain")

    assert not found.ack
    assert found.level == evidence.INFO


def test_an_organization_alone_on_its_domain_has_no_shared_domain_flag(make_endorsement):
    make_endorsement(name="Other", website="https://other.org")
    endorsement = make_endorsement(name="Acme", website="https://acme.org")

    assert "shared_domain" not in codes(endorsement)


def test_the_same_registry_id_written_differently_is_flagged(make_endorsement):
    with_registry_id(make_endorsement(name="First"), "123456789012-34")
    endorsement = with_registry_id(make_endorsement(name="Second"), "123456789012 34")

    found = flag(endorsement, "shared_registry_id")

    assert found.ack
    assert [match["name"] for match in found.matches] == ["First"]


def test_a_different_or_missing_registry_id_is_not_shared(make_endorsement):
    with_registry_id(make_endorsement(name="First"), "123456789012-34")
    different = with_registry_id(make_endorsement(name="Second"), "999999999999-99")
    missing = make_endorsement(name="Third")
    make_endorsement(name="Fourth")  # no registry ID either: two blanks are not the same ID

    assert "shared_registry_id" not in codes(different)
    assert "shared_registry_id" not in codes(missing)


# Lookalikes of organizations already on a wall ----------------------------------------------


@pytest.mark.parametrize(
    ("on_the_wall", "applying"),
    [
        ("UNICEF", "Unicef e.V."),
        ("Kinderschutz gGmbH", "Kinderschutz"),
        ("Safe Kids Ltd", "Safe Kids Inc."),
        ("Enfance et Partage ASBL", "Enfance-et-Partage"),
        ("Stiftung Kinderhilfe", "Kinderhilfe"),
        ("Fondation Émilie", "Fondation Emilie"),
        ("Save the Children", "Save the Childern"),
        ("Unicef", "Unlcef"),
        ("UNICEF", "UNІCEF"),  # a Cyrillic І
    ],
)
def test_a_name_that_normalizes_to_nearly_the_same_is_a_lookalike(
    make_endorsement, on_the_wall, applying
):
    approved = make_endorsement(name=on_the_wall, status=Status.APPROVED)
    endorsement = make_endorsement(name=applying)

    found = flag(endorsement, "lookalike_name")

    assert found.ack
    assert found.level == evidence.DANGER
    assert found.matches[0]["name"] == on_the_wall
    assert found.matches[0]["public_id"] == approved.public_id


@pytest.mark.parametrize(
    ("on_the_wall", "applying"),
    [
        ("Kinderschutzbund Bayern", "Kinderschutzbund Berlin"),
        ("Safe Kids", "Safe Homes"),
        ("Plan", "Clan"),  # too short for one edit to say anything
        ("Terre des hommes", "Terre des enfants"),
    ],
)
def test_different_names_are_not_lookalikes(make_endorsement, on_the_wall, applying):
    make_endorsement(name=on_the_wall, status=Status.APPROVED)
    endorsement = make_endorsement(name=applying)

    assert "lookalike_name" not in codes(endorsement)


def test_only_organizations_on_a_wall_count_for_lookalikes(make_endorsement):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.PENDING)
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.REMOVED)
    endorsement = make_endorsement(name="Unicef e.V.", website="https://unlcef.org")

    assert not {"lookalike_name", "lookalike_domain"} & codes(endorsement)


def test_an_organization_is_no_lookalike_of_itself(make_endorsement):
    endorsement = make_endorsement(name="Unicef", website="https://unicef.org")
    endorsement.status = Status.APPROVED
    endorsement.save()

    assert not {"lookalike_name", "lookalike_domain"} & codes(endorsement)


@pytest.mark.parametrize(
    ("applying", "how"),
    [
        ("https://unlcef.org", "edit"),
        ("https://uincef.org", "edit"),  # two letters swapped
        ("https://unіcef.org", "homoglyph"),  # a Cyrillic і, stored as punycode
        ("https://www.unicef0.org", "edit"),
    ],
)
def test_a_domain_a_character_or_a_homoglyph_away_is_a_lookalike(make_endorsement, applying, how):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    endorsement = make_endorsement(name="Children First", website=applying)

    found = flag(endorsement, "lookalike_domain")

    assert found.ack
    assert found.matches[0]["domain"] == "unicef.org"
    assert found.matches[0]["how"] == how


@pytest.mark.parametrize(
    "applying", ["https://unicef.de", "https://kinderhilfe.org", "https://ac.de"]
)
def test_other_domains_are_not_lookalikes(make_endorsement, applying):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    make_endorsement(name="AB", website="https://ab.de", status=Status.APPROVED)
    endorsement = make_endorsement(name="Children First", website=applying)

    assert "lookalike_domain" not in codes(endorsement)


def test_the_same_domain_is_shared_not_a_lookalike(make_endorsement):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    endorsement = make_endorsement(name="Children First", website="https://www.unicef.org")

    assert "lookalike_domain" not in codes(endorsement)
    assert "shared_domain" in codes(endorsement)


def test_a_punycode_domain_is_flagged_with_how_it_reads(make_endorsement):
    endorsement = make_endorsement(website="https://unіcef.org")  # Cyrillic і

    found = flag(endorsement, "punycode_domain")

    assert found.ack
    assert found.params["host"].startswith("xn--")
    assert found.params["unicode"] == "unіcef.org"
    assert found.params["mixed_scripts"] is True


def test_an_ascii_domain_is_not_punycode(make_endorsement):
    endorsement = make_endorsement(website="https://plain-ascii.org")

    assert "punycode_domain" not in codes(endorsement)


def test_an_accented_domain_in_one_script_is_punycode_but_not_mixed(make_endorsement):
    endorsement = make_endorsement(website="https://müller-stiftung.de")

    found = flag(endorsement, "punycode_domain")

    assert found.params["mixed_scripts"] is False


# Registry IDs against the register they claim ----------------------------------------------


@pytest.mark.parametrize(
    "registry_id",
    [
        "123456789012-34",
        "EU TR 123456789012-34",
        "0801162959-21",
        "VR 12345",
        "HRB 98765 B",
        "W123456789",
    ],
)
def test_a_registry_id_in_its_registers_format_is_a_good_sign(make_endorsement, registry_id):
    endorsement = with_registry_id(make_endorsement(), registry_id)

    assert flag(endorsement, "registry_id_format_ok").level == evidence.OK
    assert "registry_id_format" not in codes(endorsement)


@pytest.mark.parametrize(
    ("registry_id", "register"),
    [
        ("12345-67", "eu-transparency"),
        ("1234567890123-45", "eu-transparency"),
        ("EU TR 123456789012", "eu-transparency"),
        ("VR abc", "de-court"),
        ("W1234", "fr-rna"),
    ],
)
def test_a_registry_id_not_in_the_format_of_the_register_it_claims_is_flagged(
    make_endorsement, registry_id, register
):
    endorsement = with_registry_id(make_endorsement(), registry_id)

    found = flag(endorsement, "registry_id_format")

    assert found.params["register"] == register
    assert not found.ack
    assert "registry_id_format_ok" not in codes(endorsement)


@pytest.mark.parametrize("registry_id", ["", "1234567", "CHY 1234"])
def test_a_registry_id_of_no_known_register_is_not_judged(make_endorsement, registry_id):
    endorsement = with_registry_id(make_endorsement(), registry_id)

    assert not {"registry_id_format", "registry_id_format_ok"} & codes(endorsement)


# Normalizing -------------------------------------------------------------------------------


def test_names_lose_case_accents_punctuation_lookalike_letters_and_legal_forms():
    assert evidence.normalize_name("Kinder-Schutz e.V.") == "kinder schutz"
    assert evidence.normalize_name("ÉCOLE   d'Été gGmbH") == "ecole d ete"
    assert evidence.normalize_name("UNІCEF") == "unicef"  # Cyrillic І
    # A name made only of legal forms keeps them rather than becoming empty.
    assert evidence.normalize_name("Stiftung e.V.") == "stiftung ev"


def test_a_skeleton_maps_lookalike_characters_to_latin():
    assert evidence.skeleton("unіcef.org") == "unicef.org"
    assert evidence.skeleton("paypa1.com") == "paypal.com"


# Stored, and when ---------------------------------------------------------------------------


def test_evidence_is_stored_when_the_application_arrives(campaign, sector):
    applied, _mail = services.endorsement_apply(
        campaign=campaign,
        name="Unicef",
        website="https://unicef.org",
        country="DE",
        sector=sector,
        logo=logos.process(logos.validate_and_open(io.BytesIO(image_bytes()))),
        contact_name="A",
        contact_role="B",
        contact_email="a@unicef.org",
        preferred_language="en",
        consent_authority=True,
        consent_publish=True,
    )
    stored = EndorsementEvidence.objects.get(endorsement=applied)

    assert {f["code"] for f in stored.flags} == {"email_domain_match"}
    assert stored.needs_acknowledgement is False


def test_confirming_computes_the_evidence_again(make_endorsement):
    endorsement = make_endorsement(
        name="Unlcef", website="https://unlcef.org", status=Status.UNCONFIRMED
    )
    services.evidence_refresh(endorsement=endorsement)
    assert EndorsementEvidence.objects.get(endorsement=endorsement).needs_acknowledgement is False
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)

    services.endorsement_confirm(endorsement=endorsement)

    stored = EndorsementEvidence.objects.get(endorsement=endorsement)
    assert stored.needs_acknowledgement is True
    assert {"lookalike_name", "lookalike_domain"} <= {f["code"] for f in stored.flags}


def test_stored_evidence_is_read_until_what_it_was_computed_from_changes(make_endorsement):
    endorsement = make_endorsement(website="https://first.org")
    first = services.evidence_refresh(endorsement=endorsement)

    assert services.evidence_current(endorsement=endorsement).computed_at == first.computed_at

    endorsement.organization.website = "https://second.org"
    endorsement.organization.save()
    endorsement.refresh_from_db()
    current = services.evidence_current(endorsement=endorsement)

    assert current.computed_at > first.computed_at
    assert current.inputs["domain"] == "second.org"


def test_the_acknowledgement_names_what_was_checked(make_endorsement):
    make_endorsement(name="Unicef", website="https://unicef.org", status=Status.APPROVED)
    endorsement = make_endorsement(name="Unicef", website="https://unlcef.org")
    stored = services.evidence_refresh(endorsement=endorsement)

    text = evidence.acknowledgement_text(stored.flags)

    assert text.startswith("Checked that this is a different organization: ")
    assert "lookalike name of “Unicef” (unicef.org)" in text
    assert "lookalike domain of “Unicef” (unicef.org)" in text
    assert evidence.acknowledgement_text([]) == ""


def test_the_admin_queue_still_warns_through_the_evidence_module(make_endorsement):
    first = make_endorsement(name="Acme", website="https://acme.org")
    make_endorsement(name="Acme DE", website="https://de.acme.org", status=Status.APPROVED)

    assert [e.organization.name for e in evidence.live_on_same_domain(first)] == ["Acme DE"]
    annotated = Endorsement.objects.annotate(shares=evidence.shares_domain_with_live())
    assert annotated.get(pk=first.pk).shares is True


def test_a_logo_does_not_change_the_evidence(make_endorsement):
    endorsement = make_endorsement()
    before = evidence.inputs_of(endorsement)
    endorsement.organization.logo = make_logo()
    endorsement.organization.save()

    assert evidence.inputs_of(endorsement) == before
