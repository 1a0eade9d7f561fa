"""What a delivery says: the API's public ally for an ally that is or was on the wall; for an
application never approved only its id, campaign and status; the contact and the source only
for an endpoint that includes contact data; never a rejection's reason or a reviewer's note."""

from __future__ import annotations

import json
from datetime import timedelta

from django.utils import timezone

from coalition import services
from coalition.models import (
    Campaign,
    Endorsement,
    Logo,
    Sector,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
)
from tests.webhooks.conftest import ALL_EVENTS

Status = Endorsement.Status


def _data(event: str, endpoint: WebhookEndpoint | None = None) -> dict:
    deliveries = WebhookDelivery.objects.filter(event=event)
    if endpoint is not None:
        deliveries = deliveries.filter(endpoint=endpoint)
    return json.loads(deliveries.get().payload)["data"]


def _contact_endpoint(receiver) -> WebhookEndpoint:
    return WebhookEndpoint.objects.create(
        url=receiver.url + "/crm", events=ALL_EVENTS, include_contact=True
    )


def test_the_ally_is_the_apis_ally_key_for_key_and_value_for_value(
    client, endpoint, make_endorsement, reviewer, settings, sector
):
    settings.SITE_URL = "https://coalition.example"
    child = Sector.objects.create(slug="helplines", name="Helplines", parent=sector)
    ally = make_endorsement(status=Status.PENDING, name="Ελληνική Ένωση 🛡️", country="GR")
    organization = ally.organization
    organization.sector = child
    organization.statement = "Μαζί για τα παιδιά."
    organization.logo = Logo.objects.create(
        digest="b" * 64,
        width=200,
        height=100,
        png="logos/bb/bbb.png",
        webp="logos/bb/bbb.webp",
        png_2x="logos/bb/bbb-2x.png",
        webp_2x="logos/bb/bbb-2x.webp",
    )
    organization.save()
    services.endorsement_approve(endorsement=ally, by=reviewer, note="ok", acknowledged=True)

    api = client.get(f"/api/v1/allies/{ally.public_id}/?lang=en").json()
    data = _data(WebhookEvent.APPROVED)

    assert {key: data[key] for key in api} == api
    assert set(data) - set(api) == {"campaign", "status"}
    assert data["campaign"] == ally.campaign.slug
    assert data["status"] == "approved"
    assert data["logo"]["png"].startswith("https://coalition.example/")
    assert data["sector"]["parent"] == sector.slug


def test_contact_and_source_go_only_to_an_endpoint_that_includes_them(
    endpoint, receiver, make_endorsement, reviewer
):
    crm = _contact_endpoint(receiver)
    ally = make_endorsement(status=Status.PENDING)
    Endorsement.objects.filter(pk=ally.pk).update(
        source={"ref": "partner-newsletter", "utm_medium": "email"}, preferred_language="fr"
    )
    ally.refresh_from_db()
    services.endorsement_approve(endorsement=ally, by=reviewer, note="ok", acknowledged=True)

    public = _data(WebhookEvent.APPROVED, endpoint)
    private = _data(WebhookEvent.APPROVED, crm)

    assert "contact" not in public
    assert "source" not in public
    assert ally.contact_email not in json.dumps(public)
    assert private["contact"] == {
        "name": ally.contact_name,
        "role": "Director",
        "email": ally.contact_email,
        "language": "fr",
    }
    assert private["source"] == {"ref": "partner-newsletter", "utm_medium": "email"}
    assert {key: private[key] for key in public} == public


def test_an_application_never_approved_is_named_only_by_its_id(
    endpoint, receiver, make_endorsement, reviewer, reason
):
    crm = _contact_endpoint(receiver)
    applicant = make_endorsement(status=Status.UNCONFIRMED, name="Not Public Yet Ltd")
    services.endorsement_confirm(endorsement=applicant)
    services.endorsement_reject(
        endorsement=applicant, by=reviewer, reason=reason, note="A reviewer's private note"
    )

    for event, status in (
        ("endorsement.confirmed", "pending"),
        ("endorsement.rejected", "rejected"),
    ):
        public = _data(event, endpoint)
        assert public == {"id": applicant.public_id, "campaign": "keep-detection", "status": status}
        private = _data(event, crm)
        assert private["name"] == "Not Public Yet Ltd"
        assert private["contact"]["email"] == applicant.contact_email
    everything = "".join(WebhookDelivery.objects.values_list("payload", flat=True))
    assert reason.text not in everything
    assert reason.code not in everything
    assert "private note" not in everything


def test_an_ally_withdrawn_from_the_wall_is_shown_as_it_was(endpoint, make_endorsement):
    ally = make_endorsement(status=Status.APPROVED)
    services.endorsement_withdraw(endorsement=ally)

    data = _data(WebhookEvent.WITHDRAWN)
    assert data["name"] == ally.organization.name
    assert data["status"] == "withdrawn"


def test_an_embargoed_campaign_is_told_only_to_endpoints_trusted_with_contact_data(
    endpoint, receiver, make_endorsement, campaign, superuser
):
    crm = _contact_endpoint(receiver)
    campaign.publish_at = timezone.now() + timedelta(days=3)
    services.campaign_save(campaign=campaign, by=superuser)
    services.endorsement_confirm(endorsement=make_endorsement(status=Status.UNCONFIRMED))

    assert not endpoint.deliveries.exists()
    assert sorted(crm.deliveries.values_list("event", flat=True)) == [
        "campaign.updated",
        "endorsement.confirmed",
    ]


def test_campaign_updated_carries_its_public_details(endpoint, campaign, superuser):
    campaign.title = "Keep detection legal — Καμπάνια"
    campaign.goal = 500
    services.campaign_save(campaign=campaign, by=superuser)

    data = _data(WebhookEvent.CAMPAIGN_UPDATED)
    assert data["slug"] == "keep-detection"
    assert data["title"] == "Keep detection legal — Καμπάνια"
    assert data["goal"] == 500
    assert data["url"].endswith("/campaigns/keep-detection/")
    assert "preview_key" not in data
    # A save that changes nothing tells nobody.
    services.campaign_save(campaign=Campaign.objects.get(pk=campaign.pk), by=superuser)
    assert WebhookDelivery.objects.filter(event=WebhookEvent.CAMPAIGN_UPDATED).count() == 1


def test_an_attested_import_is_approved_without_being_confirmed(endpoint, make_endorsement):
    imported = make_endorsement(status=Status.UNCONFIRMED)
    services.endorsement_attest(endorsement=imported, by=None, note="Signed by letter")

    assert list(WebhookDelivery.objects.values_list("event", flat=True)) == ["endorsement.approved"]
