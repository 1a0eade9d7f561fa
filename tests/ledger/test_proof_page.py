"""An ally's proof page (``/campaigns/<slug>/allies/<public_id>/``): what it says of each way a
participation is established, of an ally that left, and what it never shows; cached and purged
like every public page."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from coalition import services
from coalition.ledger import selectors as ledger
from coalition.models import (
    AllyImport,
    Campaign,
    DomainCheck,
    DomainProof,
    DomainToken,
    Endorsement,
    EndorsementEvent,
    Organization,
    RejectionReason,
)
from coalition.proofs import checks
from coalition.proofs import services as proofs
from coalition.proofs.models import verification_of
from coalition.publishing import cache_keys
from tests.publishing.test_purge import FakeVarnish
from tests.wall_helpers import make_logo

UTC = dt_timezone.utc  # Python 3.10 has no datetime.UTC

Status = Endorsement.Status
SLUG = "keep-detection"
JOINED = datetime(2026, 3, 5, 10, 30, tzinfo=UTC)
# Distinctive strings a hostile note or reason might hold: none may reach the page.
NOTE = "PRIVATE-NOTE-8c1f: called their CEO on +33 6 12 34 56 78"
REASON = "PRIVATE-REASON-41d9 looks like a front group"


def proof_url(ally: Endorsement, *, language: str = "", slug: str = SLUG) -> str:
    prefix = f"/{language}" if language else ""
    return f"{prefix}/campaigns/{slug}/allies/{ally.public_id}/"


def page_text(response) -> str:
    assert response.status_code == 200, response.status_code
    return response.content.decode()


@pytest.fixture
def approved(make_endorsement) -> Endorsement:
    """An ally approved on 5 March 2026 whose contact confirmed an address at its domain."""
    ally = make_endorsement(
        status=Status.APPROVED,
        name="Ελληνική Ένωση για το Παιδί 🛡",
        website="https://www.paidi.gr/",
        country="GR",
    )
    Endorsement.objects.filter(pk=ally.pk).update(
        approved_at=JOINED,
        confirmed_at=JOINED - timedelta(days=2),
        domain_verified=True,
    )
    ally.refresh_from_db()
    return ally


def _domain_proof(ally: Endorsement, method: str, **checked: str) -> DomainProof:
    domain = ally.organization.domain
    DomainToken.objects.create(organization=ally.organization, token="f" * 32)
    first = datetime(2026, 3, 6, 8, 0, tzinfo=UTC)
    last = datetime(2026, 4, 20, 4, 0, tzinfo=UTC)
    for done in (first, last):
        DomainCheck.objects.create(
            endorsement=ally,
            domain=domain,
            reason="recheck",
            outcome="proven",
            method=method,
            done_at=done,
        )
    return DomainProof.objects.create(
        endorsement=ally,
        method=method,
        domain=domain,
        checked=checked,
        first_proven_at=first,
        proven_at=last,
    )


def test_it_shows_the_allys_public_fields_and_when_it_joined(client, approved):
    Organization.objects.filter(pk=approved.organization_id).update(logo=make_logo())

    text = page_text(client.get(proof_url(approved)))

    assert "Ελληνική Ένωση για το Παιδί 🛡" in text
    assert 'href="https://www.paidi.gr/"' in text
    assert "Greece" in text
    assert approved.organization.sector.name in text
    assert '<time datetime="2026-03-05">March 5, 2026</time>' in text
    assert approved.public_id in text
    assert "<img " in text  # the logo, while it is on the wall


def test_an_email_address_at_the_domain_is_named_with_the_day_it_was_confirmed(client, approved):
    text = page_text(client.get(proof_url(approved)))

    assert 'data-method="email"' in text
    assert "confirmed, on March 3, 2026, an email address at paidi.gr" in text
    assert 'data-method="dns"' not in text
    assert 'data-method="reviewer"' not in text


def test_a_dns_record_is_named_with_how_to_look_it_up_and_its_dates(client, approved):
    Endorsement.objects.filter(pk=approved.pk).update(domain_verified=False)
    record = f"{checks.DNS_LABEL}.paidi.gr"
    _domain_proof(approved, "dns", name=record)

    text = page_text(client.get(proof_url(approved)))

    assert 'data-method="dns"' in text
    assert f"<code>{record}</code>" in text
    assert f"coalition-verification={'f' * 32}" in text
    assert f"dig +short TXT {record}" in text
    assert "First found on March 6, 2026; last found by our daily check on April 20, 2026." in text
    assert 'data-method="email"' not in text


def test_a_file_on_the_website_is_named_with_its_address_and_dates(client, approved):
    url = f"https://paidi.gr{checks.WELL_KNOWN_PATH}"
    _domain_proof(approved, "well-known", url=url)

    text = page_text(client.get(proof_url(approved)))

    assert 'data-method="well-known"' in text
    assert f"curl -s {url}" in text
    assert "last found by our daily check on April 20, 2026" in text
    # The confirmed address holds too: both are named.
    assert 'data-method="email"' in text


def test_a_proof_gone_missing_says_since_when(client, approved):
    proof = _domain_proof(approved, "dns", name=f"{checks.DNS_LABEL}.paidi.gr")
    proof.missing_since = datetime(2026, 5, 1, 3, 0, tzinfo=UTC)
    proof.save()

    text = page_text(client.get(proof_url(approved)))

    assert "Not found since May 1, 2026." in text


def test_a_proof_of_a_former_domain_is_not_shown(client, approved):
    proof = _domain_proof(approved, "dns", name="_coalition-verification.old.example")
    DomainProof.objects.filter(pk=proof.pk).update(domain="old.example")

    text = page_text(client.get(proof_url(approved)))

    assert 'data-method="dns"' not in text
    assert "old.example" not in text


def test_an_owners_attestation_is_named_and_its_note_is_not(client, make_endorsement):
    imported = make_endorsement(status=Status.UNCONFIRMED, name="Signed On Paper")
    with time_machine.travel(JOINED, tick=False):
        services.endorsement_attest(endorsement=imported, by=None, note=NOTE)

    text = page_text(client.get(proof_url(imported)))

    assert 'data-method="attested"' in text
    assert "On March 5, 2026, an owner of the campaign attested" in text
    # Nobody confirmed the address an import carries: it proves nothing here.
    assert 'data-method="email"' not in text
    assert "PRIVATE-NOTE" not in text
    assert "+33 6" not in text


def test_an_attested_import_whose_address_is_at_the_domain_says_nobody_confirmed_it(
    client, make_endorsement, campaign
):
    imported = make_endorsement(status=Status.UNCONFIRMED, name="Signed On Paper")
    # As an import writes it (coalition.imports): the address is at the website's domain.
    Endorsement.objects.filter(pk=imported.pk).update(
        domain_verified=True, imported_in=AllyImport.objects.create(campaign=campaign)
    )
    services.endorsement_attest(endorsement=imported, by=None, note=NOTE)
    imported.refresh_from_db()

    text = page_text(client.get(proof_url(imported)))

    # Nobody confirmed the address an owner gave: no verified mark, and the signed list says
    # "attested"; the page says the address is at the domain and that nobody confirmed it.
    assert verification_of(imported) is None
    [entry] = json.loads(ledger.signatories_document(imported.campaign))["allies"]
    assert entry["proof"] == "attested"
    assert 'data-method="email"' in text
    assert "its contact has not confirmed it" in text
    assert 'data-method="attested"' in text


def test_an_imported_ally_whose_contact_confirmed_has_the_email_proof(
    client, make_endorsement, campaign
):
    imported = make_endorsement(status=Status.UNCONFIRMED, name="Signed And Confirmed")
    Endorsement.objects.filter(pk=imported.pk).update(
        domain_verified=True, imported_in=AllyImport.objects.create(campaign=campaign)
    )
    imported.refresh_from_db()
    services.endorsement_confirm(endorsement=imported)
    services.endorsement_approve(endorsement=imported, by=None, acknowledged=True, note="Ok.")
    imported.refresh_from_db()

    assert verification_of(imported) == "email"
    [entry] = json.loads(ledger.signatories_document(imported.campaign))["allies"]
    assert entry["proof"] == "email"


def test_an_approval_on_other_evidence_says_a_reviewer_checked_and_not_what_they_wrote(
    client, make_endorsement, reviewer
):
    ally = make_endorsement(status=Status.PENDING, contact_email="someone@mail.example")
    services.endorsement_approve(endorsement=ally, by=reviewer, acknowledged=True, note=NOTE)

    text = page_text(client.get(proof_url(ally)))

    assert 'data-method="reviewer"' in text
    assert "PRIVATE-NOTE" not in text


def test_no_contact_data_ever_reaches_the_page(client, approved):
    Endorsement.objects.filter(pk=approved.pk).update(
        contact_name="Zoë Private-Contact", contact_role="Secret Role", source={"ref": "partner-x"}
    )
    approved.refresh_from_db()

    text = page_text(client.get(proof_url(approved)))

    for private in (
        "Zoë Private-Contact",
        "Secret Role",
        approved.contact_email,
        approved.contact_email.split("@")[0],
        "partner-x",
    ):
        assert private not in text


def test_an_ally_that_withdrew_is_shown_as_having_left_and_when(client, approved):
    with time_machine.travel(datetime(2026, 6, 1, 9, 0, tzinfo=UTC), tick=False):
        services.endorsement_withdraw(endorsement=approved)

    response = client.get(proof_url(approved))
    text = page_text(response)

    assert "is no longer among the signatories: it left on June 1, 2026" in text
    assert '<time datetime="2026-06-01">June 1, 2026</time>' in text
    assert "Ελληνική Ένωση για το Παιδί 🛡" in text
    # Its logo left the wall with it (and retention may delete the files).
    assert "<img " not in text


def test_a_removed_ally_has_left_and_the_reason_and_note_stay_private(client, approved, reviewer):
    services.endorsement_remove(endorsement=approved, by=reviewer, note=NOTE)

    text = page_text(client.get(proof_url(approved)))

    assert "it left on" in text
    assert "PRIVATE-NOTE" not in text
    # Left is all it says: not whether it withdrew or was removed.
    assert "removed" not in text.lower()


@pytest.mark.parametrize("status", [Status.UNCONFIRMED, Status.PENDING])
def test_an_application_not_yet_decided_is_not_found(client, make_endorsement, status):
    application = make_endorsement(status=status)

    assert client.get(proof_url(application)).status_code == 404


def test_a_rejected_application_is_not_found(client, make_endorsement, reviewer):
    application = make_endorsement(status=Status.PENDING)
    reason = RejectionReason.objects.create(code="front", text=REASON)
    services.endorsement_reject(endorsement=application, by=reviewer, reason=reason, note=NOTE)

    response = client.get(proof_url(application))

    assert response.status_code == 404
    assert "PRIVATE" not in response.content.decode()


def test_an_application_reported_as_not_theirs_is_not_found(client, make_endorsement):
    application = make_endorsement(status=Status.UNCONFIRMED)
    services.endorsement_withdraw(endorsement=application, reported=True)

    assert client.get(proof_url(application)).status_code == 404


def test_an_ally_of_another_campaign_is_not_found_under_this_one(client, make_endorsement, sector):
    other = Campaign.objects.create(slug="another-cause", title="Another cause", statement="More.")
    elsewhere = make_endorsement(status=Status.APPROVED, campaign=other)

    assert client.get(proof_url(elsewhere)).status_code == 404
    assert client.get(proof_url(elsewhere, slug="another-cause")).status_code == 200


@pytest.mark.parametrize("public_id", ["000000000000", "x" * 40, "%00", "..%2F"])
def test_an_id_that_names_no_ally_is_not_found(client, approved, public_id):
    response = client.get(f"/campaigns/{SLUG}/allies/{public_id}/")

    assert response.status_code == 404


def test_an_ally_of_a_campaign_under_embargo_is_not_found(client, approved, campaign):
    Campaign.objects.filter(pk=campaign.pk).update(publish_at=timezone.now() + timedelta(days=3))
    cache.clear()

    assert client.get(proof_url(approved)).status_code == 404


@pytest.mark.parametrize(
    ("language", "says", "date"),
    [
        ("fr", "Comment sa participation a été établie", "5 mars 2026"),
        ("de", "Wie die Teilnahme festgestellt wurde", "5. März 2026"),
    ],
)
def test_it_reads_in_french_and_german_with_dates_as_each_writes_them(
    client, approved, language, says, date
):
    text = page_text(client.get(proof_url(approved, language=language)))

    assert f'<html lang="{language}">' in text
    assert says in text
    assert date in text


def test_it_is_cached_and_named_after_its_campaign_and_its_ally(client, approved):
    first = client.get(proof_url(approved))
    again = client.get(proof_url(approved))

    keys = set(first["xkey"].split())
    assert keys == {
        cache_keys.SITE_KEY,
        cache_keys.campaign_key(approved.campaign),
        cache_keys.ally_key(approved),
    }
    assert first["X-Cache"] == "miss"
    assert again["X-Cache"] == "hit"
    assert "public" in first["Cache-Control"]
    assert client.get(proof_url(approved), HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304


def test_a_removal_purges_the_page_and_the_next_request_shows_it_left(
    client, approved, reviewer, settings, django_capture_on_commit_callbacks
):
    settings.HTTP_CACHE_PURGE_REPEAT_SECONDS = 0
    cached = client.get(proof_url(approved))
    varnish = FakeVarnish()
    try:
        settings.HTTP_CACHE_PURGE_URLS = [varnish.url]
        with django_capture_on_commit_callbacks(execute=True):
            services.endorsement_remove(endorsement=approved, by=reviewer)
    finally:
        varnish.close()

    # Every key the page carries but ``site`` was purged.
    assert set(cached["xkey"].split()) - {cache_keys.SITE_KEY} <= set(varnish.keys)
    fresh = client.get(proof_url(approved))
    assert fresh["X-Cache"] == "miss"
    assert "it left on" in page_text(fresh)


def test_a_domain_found_again_by_the_daily_check_moves_the_last_found_date(
    client, approved, django_capture_on_commit_callbacks
):
    record = f"{checks.DNS_LABEL}.paidi.gr"
    _domain_proof(approved, "dns", name=record)
    assert "last found by our daily check on April 20, 2026" in page_text(
        client.get(proof_url(approved))
    )
    job = DomainCheck.objects.create(
        endorsement=approved, domain=approved.organization.domain, reason="recheck"
    )
    found = checks.CheckResult("dns", [checks.Finding("dns", "found", {"name": record})])

    with (
        time_machine.travel(datetime(2026, 4, 21, 4, 0, tzinfo=UTC), tick=False),
        django_capture_on_commit_callbacks(execute=True),
    ):
        proofs.domain_check_record(
            job=job, endorsement=approved, domain=approved.organization.domain, result=found
        )

    assert "last found by our daily check on April 21, 2026" in page_text(
        client.get(proof_url(approved))
    )


def test_the_page_reads_the_same_number_of_queries_whatever_the_allys_history(client, approved):
    _domain_proof(approved, "dns", name=f"{checks.DNS_LABEL}.paidi.gr")

    def queries() -> int:
        cache.clear()
        with CaptureQueriesContext(connection) as captured:
            assert client.get(proof_url(approved)).status_code == 200
        return len(captured)

    few = queries()
    for day in range(30):
        DomainCheck.objects.create(
            endorsement=approved,
            domain=approved.organization.domain,
            reason="recheck",
            outcome="proven",
            method="dns",
            done_at=JOINED + timedelta(days=day),
        )
    EndorsementEvent.objects.create(
        endorsement=approved, actor="system", from_status="approved", to_status="approved"
    )

    assert queries() == few
    assert few <= 5
