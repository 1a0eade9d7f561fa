"""The admin's read-only records: domain proofs and checks, cache purges, an application's
source."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import timezone

from coalition.models import CachePurge, DomainCheck, DomainProof, Endorsement

Status = Endorsement.Status


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


def test_domain_proofs_and_checks_are_listed_with_what_was_found_and_never_editable(
    admin_client, make_endorsement
):
    ally = make_endorsement(status=Status.APPROVED, name="Proven Org")
    now = timezone.now()
    proof = DomainProof.objects.create(
        endorsement=ally,
        method="dns",
        domain="proven.example",
        checked={"name": "proven.example"},
        first_proven_at=now,
        proven_at=now,
        missing_since=now,
        flagged_at=now,
    )
    check = DomainCheck.objects.create(
        endorsement=ally,
        domain="proven.example",
        reason="recheck",
        outcome="failed",
        findings=[{"method": "dns", "code": "no_record", "params": {"name": "proven.example"}}],
        done_at=now,
    )

    listing = admin_client.get(reverse("admin:coalition_domainproof_changelist") + "?state=flagged")
    assert listing.status_code == 200
    assert "proven.example" in listing.content.decode()
    assert "Proven Org" in listing.content.decode()
    page = admin_client.get(reverse("admin:coalition_domaincheck_change", args=[check.pk]))
    assert "no TXT record found at proven.example" in page.content.decode()
    assert 'name="_save"' not in page.content.decode()
    assert admin_client.get(reverse("admin:coalition_domainproof_add")).status_code == 403
    response = admin_client.post(
        reverse("admin:coalition_domainproof_change", args=[proof.pk]), {"domain": "other.example"}
    )
    assert response.status_code == 403
    proof.refresh_from_db()
    assert proof.domain == "proven.example"


def test_cache_purges_are_listed_to_spot_one_that_keeps_failing(admin_client, db):
    CachePurge.objects.create(
        target="http://127.0.0.1:6081", keys=["campaign-1", "ally-7"], last_error="refused"
    )

    page = admin_client.get(reverse("admin:coalition_cachepurge_changelist") + "?done=no")

    assert page.status_code == 200
    body = page.content.decode()
    assert "campaign-1 ally-7" in body
    assert "refused" in body


def test_the_change_page_says_which_link_brought_the_applicant(admin_client, make_endorsement):
    endorsement = make_endorsement(status=Status.PENDING)
    Endorsement.objects.filter(pk=endorsement.pk).update(
        source={"utm_source": "newsletter", "ref": "partner-site"}
    )

    page = admin_client.get(reverse("admin:coalition_endorsement_change", args=[endorsement.pk]))

    assert "ref=partner-site, utm_source=newsletter" in page.content.decode()
