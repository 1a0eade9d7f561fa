"""Personal data: forgetting what we no longer need, and giving a contact all we hold on them."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from coalition.ledger.services import log_organization_sync
from coalition.models import (
    CachePurge,
    Campaign,
    Endorsement,
    Logo,
    Organization,
    OrganizationVersion,
    OutboundEmail,
    WebhookDelivery,
)
from coalition.publishing import freshness
from coalition.web import links

Status = Endorsement.Status


@dataclass
class RetentionReport:
    unconfirmed_deleted: int = 0
    personal_data_erased: int = 0
    logos_deleted: int = 0
    sent_mail_deleted: int = 0
    purges_deleted: int = 0
    webhook_deliveries_deleted: int = 0


def _logo_delete_if_unused(logo: Logo) -> bool:
    """Delete a logo's row and files when no organization, version or campaign (its organizer's
    logo: the same picture gives the same row) points at it any more."""
    if (
        Organization.objects.filter(logo=logo).exists()
        or OrganizationVersion.objects.filter(logo=logo).exists()
        or Campaign.objects.filter(organizer_logo=logo).exists()
    ):
        return False
    names = [logo.png.name, logo.webp.name, logo.png_2x.name, logo.webp_2x.name]
    logo.delete()
    # Files go only once the row is gone for good; then so do the copies the caches in front
    # keep of them (a year: the names are content hashes).
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names if name])
    freshness.public_change(logos=[logo.digest])
    return True


def _organization_drop_logo(organization: Organization) -> int:
    logos_in_use = {organization.logo_id, *organization.versions.values_list("logo_id", flat=True)}
    organization.versions.update(logo=None)
    Organization.objects.filter(pk=organization.pk).update(logo=None)
    # Should the organization still be approved on another campaign, its log says the logo went.
    log_organization_sync(organization=organization, at=timezone.now())
    return sum(_logo_delete_if_unused(logo) for logo in Logo.objects.filter(pk__in=logos_in_use))


def retention_apply(*, now: datetime | None = None) -> RetentionReport:
    """Forget what we no longer need (run daily by ``manage.py apply_retention``).

    - Applications never confirmed after ``RETENTION_UNCONFIRMED_DAYS`` are deleted outright.
    - Rejected, withdrawn and removed ones lose their contact's name, role and email, and the
      link that brought them (``source``: a ``ref`` can name a person), after
      ``RETENTION_PERSONAL_DATA_DAYS``; rejected ones lose their logo too. The audit trail stays.
    - Mail already sent is deleted after ``RETENTION_UNCONFIRMED_DAYS``: it holds addresses.
      So are cache purges done by then: a record of no further use. So are webhook deliveries
      delivered or given up by then: their bodies may hold contact data.
    """
    now = now or timezone.now()
    report = RetentionReport()
    unconfirmed_cutoff = now - timedelta(days=settings.RETENTION_UNCONFIRMED_DAYS)
    personal_cutoff = now - timedelta(days=settings.RETENTION_PERSONAL_DATA_DAYS)

    stale = Endorsement.objects.filter(
        status=Status.UNCONFIRMED, submitted_at__lt=unconfirmed_cutoff
    ).select_related("organization")
    for endorsement in stale:
        with transaction.atomic():
            organization = endorsement.organization
            logo_ids = {
                organization.logo_id,
                *organization.versions.values_list("logo_id", flat=True),
            }
            endorsement.delete()
            if not organization.endorsements.exists():
                organization.delete()  # its versions go with it
                report.logos_deleted += sum(
                    _logo_delete_if_unused(logo) for logo in Logo.objects.filter(pk__in=logo_ids)
                )
            report.unconfirmed_deleted += 1

    ended = Endorsement.objects.filter(
        status__in=Endorsement.ENDED_STATUSES,
        ended_at__lt=personal_cutoff,
        personal_data_erased_at__isnull=True,
    ).select_related("organization")
    for endorsement in ended:
        with transaction.atomic():
            Endorsement.objects.filter(pk=endorsement.pk).update(
                contact_name="",
                contact_role="",
                contact_email="",
                source={},
                personal_data_erased_at=now,
            )
            endorsement.emails.all().delete()
            if endorsement.status == Status.REJECTED:
                report.logos_deleted += _organization_drop_logo(endorsement.organization)
            report.personal_data_erased += 1

    report.sent_mail_deleted, _ = OutboundEmail.objects.filter(
        sent_at__lt=unconfirmed_cutoff
    ).delete()
    report.purges_deleted, _ = CachePurge.objects.filter(done_at__lt=unconfirmed_cutoff).delete()
    _total, deleted = WebhookDelivery.objects.filter(
        Q(delivered_at__lt=unconfirmed_cutoff) | Q(failed_at__lt=unconfirmed_cutoff)
    ).delete()  # their attempts go with them
    report.webhook_deliveries_deleted = deleted.get(WebhookDelivery._meta.label, 0)
    return report


def endorsement_data_export(*, endorsement: Endorsement) -> dict[str, object]:
    """Everything stored about one application, for its contact (the manage page's download)."""
    organization = endorsement.organization
    return {
        "exported_at": timezone.now().isoformat(),
        "application": {
            "id": endorsement.public_id,
            "campaign": endorsement.campaign.slug,
            "status": endorsement.status,
            "submitted_at": endorsement.submitted_at.isoformat(),
            "confirmed_at": endorsement.confirmed_at and endorsement.confirmed_at.isoformat(),
            "decided_at": endorsement.decided_at and endorsement.decided_at.isoformat(),
            "ended_at": endorsement.ended_at and endorsement.ended_at.isoformat(),
            "domain_verified": endorsement.domain_verified,
            "rejection_reason": endorsement.rejection_reason.text
            if endorsement.rejection_reason
            else None,
            # The ref and UTM parameters of the link that brought them (never public).
            "source": endorsement.source,
        },
        "contact": {
            "name": endorsement.contact_name,
            "role": endorsement.contact_role,
            "email": endorsement.contact_email,
            "preferred_language": endorsement.preferred_language,
            "consent_authority": endorsement.consent_authority,
            "consent_publish": endorsement.consent_publish,
        },
        # What the contact agreed to, word for word, and the privacy notice shown then
        # (coalition.privacy; 0: the built-in text; null: not recorded for this application).
        "consents": {
            "language": endorsement.consent_language,
            "consent_authority": endorsement.consent_authority_words,
            "consent_publish": endorsement.consent_publish_words,
            "privacy_notice_version": endorsement.privacy_notice_version,
        },
        # The optional box "Send us updates about this campaign" (coalition.updates): the
        # answer, its words as shown, when it last changed, and the updates sent.
        "updates": {
            "opt_in": endorsement.updates_opt_in,
            "words": endorsement.updates_opt_in_words,
            "changed_at": endorsement.updates_opt_in_changed_at
            and endorsement.updates_opt_in_changed_at.isoformat(),
            "received": [
                {
                    "subject": getattr(delivery.update, f"subject_{delivery.language}")
                    or delivery.update.subject_en,
                    "language": delivery.language,
                    "sent_at": delivery.sent_at and delivery.sent_at.isoformat(),
                }
                for delivery in endorsement.update_deliveries.filter(
                    sent_at__isnull=False
                ).select_related("update")
            ],
        },
        "organization": {
            "name": organization.name,
            "website": organization.website,
            "country": str(organization.country),
            "sector": organization.sector.slug,
            "registry_id": organization.registry_id,
            "statement": organization.statement,
            "logo": links.absolute(organization.logo.png.url) if organization.logo else None,
        },
        "versions": [
            {
                "state": version.state,
                "created_at": version.created_at.isoformat(),
                "website": version.website,
                "statement": version.statement,
            }
            for version in organization.versions.all()
        ],
        "history": [
            {
                "at": event.at.isoformat(),
                "from": event.from_status,
                "to": event.to_status,
                "by": event.actor,
            }
            for event in endorsement.events.all()
        ],
        "emails": [
            {
                "subject": email.subject,
                "created_at": email.created_at.isoformat(),
                "sent_at": email.sent_at and email.sent_at.isoformat(),
            }
            for email in endorsement.emails.all()
        ],
    }
