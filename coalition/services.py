"""Writes: every change of an endorsement's status, and what comes with it."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _

from coalition import emails, links, logos, reviewers, tokens
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Logo,
    Organization,
    OrganizationVersion,
    OutboundEmail,
    RejectionReason,
    Sector,
    email_domain_matches,
)
from coalition.selectors import PUBLIC_VERSION_KEY

logger = logging.getLogger(__name__)

Status = Endorsement.Status
Actor = EndorsementEvent.Actor

REVIEWERS_GROUP = "Reviewers"


class EndorsementTransitionError(Exception):
    """A transition the workflow does not allow; its message is meant for people."""


class ApplicationError(Exception):
    """An application or a change that cannot be accepted; its message is meant for people."""


def public_version_bump() -> None:
    """Mark every cached public rendering as outdated (walls, embeds, images, the API).

    Versions are millisecond timestamps, so they double as Last-Modified; never going back
    keeps a version from ever naming two different states.
    """
    try:
        current = cache.get(PUBLIC_VERSION_KEY) or 0
        cache.set(
            PUBLIC_VERSION_KEY, max(int(timezone.now().timestamp() * 1000), current + 1), None
        )
    except Exception:  # the cache is down: nothing cached can be served either
        logger.warning("Could not bump the public version", exc_info=True)


def _refused(endorsement: Endorsement, to: str) -> EndorsementTransitionError:
    current = Status(endorsement.status).label
    target = Status(to).label
    return EndorsementTransitionError(
        _("“%(name)s” is %(current)s and cannot become %(target)s.")
        % {"name": endorsement.organization.name, "current": current, "target": target}
    )


def _transition(
    *,
    endorsement: Endorsement,
    to: str,
    actor: str,
    by: AbstractBaseUser | None = None,
    reason: RejectionReason | None = None,
    note: str = "",
) -> Endorsement:
    """Move ``endorsement`` to ``to`` if the workflow allows it from the status in the database.

    Locks the row, so two people deciding at once see one win and one refusal; writes the audit
    event and queues the mail in the same transaction; tells caches after commit.
    """
    with transaction.atomic():
        locked = (
            Endorsement.objects.select_for_update(of=("self",))
            .select_related("organization", "campaign")
            .get(pk=endorsement.pk)
        )
        if not locked.can_become(to):
            raise _refused(locked, to)
        from_status = locked.status
        now = timezone.now()
        changes: dict[str, object] = {"status": to}
        if to == Status.PENDING:
            changes["confirmed_at"] = now
        if to in (Status.APPROVED, Status.REJECTED, Status.REMOVED):
            changes["decided_at"] = now
            changes["decided_by"] = by
        if to == Status.APPROVED:
            changes["approved_at"] = now
        if to == Status.REJECTED:
            changes["rejection_reason"] = reason
        if to in Endorsement.ENDED_STATUSES:
            changes["ended_at"] = now
        # The status in the WHERE clause keeps this safe even where the database has no row
        # locks (SQLite): a second writer updates nothing and is refused.
        updated = Endorsement.objects.filter(pk=locked.pk, status=from_status).update(**changes)
        if updated != 1:
            locked.refresh_from_db()
            raise _refused(locked, to)
        for field, value in changes.items():
            setattr(locked, field, value)
        EndorsementEvent.objects.create(
            endorsement=locked,
            actor=actor,
            user=by,
            from_status=from_status,
            to_status=to,
            reason=reason,
            note=note,
        )
        _queue_transition_mail(endorsement=locked, from_status=from_status)
        if from_status == Status.APPROVED or to == Status.APPROVED:
            transaction.on_commit(public_version_bump)
    for field in ("status", "confirmed_at", "decided_at", "decided_by", "approved_at"):
        setattr(endorsement, field, getattr(locked, field))
    endorsement.rejection_reason = locked.rejection_reason
    return endorsement


def _reviewer_addresses() -> list[str]:
    return reviewers.review_notice_addresses()


def _absolute(path: str) -> str:
    return links.absolute(path)


def applicant_links(endorsement: Endorsement) -> dict[str, str]:
    """The private links an applicant's mail and pages carry, as absolute URLs."""
    return {
        "confirm_url": _absolute(
            reverse("confirm", kwargs={"token": tokens.confirm_token(endorsement)})
        ),
        "not_us_url": _absolute(
            reverse("not-us", kwargs={"token": tokens.not_us_token(endorsement)})
        ),
        "manage_url": _absolute(
            reverse("manage", kwargs={"token": tokens.manage_token(endorsement)})
        ),
    }


def _mail_context(endorsement: Endorsement) -> dict[str, object]:
    # Links lead to the pages in the language the mail is written in.
    with translation.override(endorsement.preferred_language):
        links = applicant_links(endorsement)
    return {
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "campaign": endorsement.campaign,
        **links,
    }


def _queue_applicant_mail(*, template: str, endorsement: Endorsement) -> OutboundEmail | None:
    return emails.queue(
        template=template,
        to=[endorsement.contact_email],
        context=_mail_context(endorsement),
        language=endorsement.preferred_language,
        endorsement=endorsement,
    )


def _queue_transition_mail(*, endorsement: Endorsement, from_status: str) -> None:
    template = {
        Status.PENDING: "received",
        Status.APPROVED: "approved",
        Status.REJECTED: "rejected",
        Status.WITHDRAWN: "withdrawn",
        Status.REMOVED: "removed",
    }.get(endorsement.status)
    if template:
        _queue_applicant_mail(template=template, endorsement=endorsement)
    if endorsement.status == Status.PENDING:
        emails.queue(
            template="review-needed",
            to=_reviewer_addresses(),
            context=_mail_context(endorsement),
            language=settings.LANGUAGE_CODE,
        )


def endorsement_confirm(*, endorsement: Endorsement) -> Endorsement:
    """The contact confirmed their address: the application goes to the reviewers."""
    return _transition(endorsement=endorsement, to=Status.PENDING, actor=Actor.APPLICANT)


def endorsement_approve(
    *, endorsement: Endorsement, by: AbstractBaseUser | None, note: str = ""
) -> Endorsement:
    """A reviewer approves: the organization appears on the wall.

    Without ``by`` the approval is recorded as the system's (demo data, imports).
    """
    return _transition(
        endorsement=endorsement,
        to=Status.APPROVED,
        actor=Actor.REVIEWER if by is not None else Actor.SYSTEM,
        by=by,
        note=note,
    )


def endorsement_reject(
    *,
    endorsement: Endorsement,
    by: AbstractBaseUser,
    reason: RejectionReason,
    note: str = "",
) -> Endorsement:
    """A reviewer rejects, giving a reason from the table; the applicant is told its text."""
    if reason is None:
        raise EndorsementTransitionError(_("Choose a reason for the rejection."))
    return _transition(
        endorsement=endorsement,
        to=Status.REJECTED,
        actor=Actor.REVIEWER,
        by=by,
        reason=reason,
        note=note,
    )


def endorsement_remove(
    *, endorsement: Endorsement, by: AbstractBaseUser, note: str = ""
) -> Endorsement:
    """A reviewer takes an approved organization off the wall."""
    return _transition(
        endorsement=endorsement, to=Status.REMOVED, actor=Actor.REVIEWER, by=by, note=note
    )


def endorsement_withdraw(
    *, endorsement: Endorsement, actor: str = Actor.APPLICANT, note: str = ""
) -> Endorsement:
    """The organization withdraws (or the system does, on a "this wasn't us" report)."""
    return _transition(endorsement=endorsement, to=Status.WITHDRAWN, actor=actor, note=note)


def statement_fields(statement: str, translations: dict[str, str] | None = None) -> dict[str, str]:
    """The per-language statement columns: ``statement`` is in the active language, and
    ``translations`` may add the others (keys are language codes)."""
    codes = [code for code, _name in settings.LANGUAGES]
    texts = dict.fromkeys(codes, "")
    texts.update({code: text for code, text in (translations or {}).items() if code in codes})
    texts[translation.get_language() if translation.get_language() in codes else "en"] = statement
    return {f"statement_{code}": text.strip() for code, text in texts.items()}


def endorsement_apply(
    *,
    campaign: Campaign,
    name: str,
    website: str,
    country: str,
    sector: Sector,
    logo: logos.ProcessedLogo,
    contact_name: str,
    contact_role: str,
    contact_email: str,
    preferred_language: str,
    consent_authority: bool,
    consent_publish: bool,
    registry_id: str = "",
    statement: str = "",
    statement_translations: dict[str, str] | None = None,
) -> tuple[Endorsement, OutboundEmail | None]:
    """Save a new application as unconfirmed and mail the contact a confirmation link.

    Returns the endorsement and the confirmation mail, recorded in the outbox: the worker
    sends it after commit.
    """
    if not (consent_authority and consent_publish):
        raise ApplicationError(_("Both confirmations are needed to sign on."))
    # Files first: they are named by content, so a failed transaction leaves at most an orphan
    # file, never a row that points at nothing.
    stored_logo = logos.logo_store(logo)
    statements = statement_fields(statement, statement_translations)
    with transaction.atomic():
        campaign = Campaign.objects.select_for_update().get(pk=campaign.pk)
        if not campaign.accepts_applications:
            raise ApplicationError(_("This campaign no longer accepts applications."))
        organization = Organization.objects.create(
            name=name,
            website=website,
            country=country,
            sector=sector,
            logo=stored_logo,
            registry_id=registry_id,
            **statements,
        )
        OrganizationVersion.objects.create(
            organization=organization,
            state=OrganizationVersion.State.CURRENT,
            website=organization.website,
            logo=stored_logo,
            **statements,
        )
        endorsement = Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Status.UNCONFIRMED,
            contact_name=contact_name,
            contact_role=contact_role,
            contact_email=contact_email,
            preferred_language=preferred_language,
            consent_authority=consent_authority,
            consent_publish=consent_publish,
            domain_verified=email_domain_matches(contact_email, organization.domain),
        )
        email = _queue_applicant_mail(template="confirm", endorsement=endorsement)
    if email is not None:
        email.refresh_from_db()
    return endorsement, email


def endorsement_resend_links(*, contact_email: str) -> int:
    """Mail this address its links again: a fresh confirmation link for each unconfirmed
    application, a fresh private manage link for each confirmed one that is still live.

    Returns how many were sent; callers must not tell the visitor, so that nobody can learn
    whether an address has applied.
    """
    live = (
        Endorsement.objects.filter(
            status__in=Endorsement.LIVE_STATUSES, contact_email__iexact=contact_email.strip()
        )
        .select_related("organization", "campaign")
        .order_by("-submitted_at")[:5]
    )
    sent = 0
    with transaction.atomic():
        for endorsement in live:
            template = "confirm" if endorsement.status == Status.UNCONFIRMED else "manage-link"
            _queue_applicant_mail(template=template, endorsement=endorsement)
            sent += 1
    return sent


def endorsement_manage_links_revoke(*, endorsement: Endorsement) -> Endorsement:
    """Make every manage link sent so far stop working (a reviewer's call, e.g. on a leak)."""
    Endorsement.objects.filter(pk=endorsement.pk).update(
        manage_token_version=F("manage_token_version") + 1
    )
    endorsement.refresh_from_db(fields=["manage_token_version"])
    return endorsement


def organization_update(
    *,
    endorsement: Endorsement,
    website: str,
    statement: str,
    logo: logos.ProcessedLogo | None = None,
    statement_translations: dict[str, str] | None = None,
) -> OrganizationVersion:
    """Change the public details of the organization behind ``endorsement``.

    Before approval the change applies at once. For an approved organization it waits as a
    proposal for a reviewer, and the approved version stays public until then.
    """
    stored_logo = logos.logo_store(logo) if logo is not None else None
    State = OrganizationVersion.State
    with transaction.atomic():
        endorsement = (
            Endorsement.objects.select_for_update(of=("self",))
            .select_related("organization", "campaign")
            .get(pk=endorsement.pk)
        )
        if endorsement.status not in Endorsement.LIVE_STATUSES:
            raise ApplicationError(
                _("This application is %(status)s and can no longer be changed.")
                % {"status": endorsement.get_status_display()}
            )
        organization = endorsement.organization
        version = OrganizationVersion(
            organization=organization,
            website=website,
            logo=stored_logo or organization.logo,
            **statement_fields(statement, statement_translations),
        )
        if endorsement.status == Status.APPROVED:
            organization.versions.filter(state=State.PROPOSED).update(state=State.SUPERSEDED)
            version.state = State.PROPOSED
            version.save()
            emails.queue(
                template="changes-to-review",
                to=_reviewer_addresses(),
                context=_mail_context(endorsement),
                language=settings.LANGUAGE_CODE,
            )
            return version
        _make_current(version)
        Endorsement.objects.filter(pk=endorsement.pk).update(
            domain_verified=email_domain_matches(
                endorsement.contact_email, version.organization.domain
            )
        )
    return version


def _make_current(version: OrganizationVersion) -> None:
    State = OrganizationVersion.State
    organization = version.organization
    organization.versions.filter(state=State.CURRENT).update(state=State.PREVIOUS)
    version.state = State.CURRENT
    version.save()
    organization.website = version.website
    organization.logo = version.logo
    for code, _name in settings.LANGUAGES:
        setattr(organization, f"statement_{code}", getattr(version, f"statement_{code}"))
    organization.save()


def organization_version_approve(
    *, version: OrganizationVersion, by: AbstractBaseUser
) -> OrganizationVersion:
    """A reviewer accepts proposed changes: they replace the public version at once."""
    with transaction.atomic():
        version = (
            OrganizationVersion.objects.select_for_update(of=("self",))
            .select_related("organization")
            .get(pk=version.pk)
        )
        if version.state != OrganizationVersion.State.PROPOSED:
            raise EndorsementTransitionError(_("These changes are no longer waiting for review."))
        version.decided_at = timezone.now()
        version.decided_by = by
        _make_current(version)
        # The website (and so the domain) may have changed: as in organization_update.
        organization = version.organization
        for endorsement in organization.endorsements.only("pk", "contact_email"):
            Endorsement.objects.filter(pk=endorsement.pk).update(
                domain_verified=email_domain_matches(endorsement.contact_email, organization.domain)
            )
        transaction.on_commit(public_version_bump)
    return version


def organization_version_decline(
    *, version: OrganizationVersion, by: AbstractBaseUser
) -> OrganizationVersion:
    """A reviewer turns proposed changes down; the public version stays as it is."""
    with transaction.atomic():
        version = OrganizationVersion.objects.select_for_update().get(pk=version.pk)
        if version.state != OrganizationVersion.State.PROPOSED:
            raise EndorsementTransitionError(_("These changes are no longer waiting for review."))
        version.state = OrganizationVersion.State.DECLINED
        version.decided_at = timezone.now()
        version.decided_by = by
        version.save(update_fields=["state", "decided_at", "decided_by"])
    return version


@dataclass
class RetentionReport:
    unconfirmed_deleted: int = 0
    personal_data_erased: int = 0
    logos_deleted: int = 0
    sent_mail_deleted: int = 0


def _logo_delete_if_unused(logo: Logo) -> bool:
    """Delete a logo's row and files when no organization or version points at it any more."""
    if (
        Organization.objects.filter(logo=logo).exists()
        or OrganizationVersion.objects.filter(logo=logo).exists()
    ):
        return False
    names = [logo.png.name, logo.webp.name, logo.png_2x.name, logo.webp_2x.name]
    logo.delete()
    # Files go only once the row is gone for good.
    transaction.on_commit(lambda: [default_storage.delete(name) for name in names if name])
    return True


def _organization_drop_logo(organization: Organization) -> int:
    logos_in_use = {organization.logo_id, *organization.versions.values_list("logo_id", flat=True)}
    organization.versions.update(logo=None)
    Organization.objects.filter(pk=organization.pk).update(logo=None)
    return sum(_logo_delete_if_unused(logo) for logo in Logo.objects.filter(pk__in=logos_in_use))


def retention_apply(*, now: datetime | None = None) -> RetentionReport:
    """Forget what we no longer need (run daily by ``manage.py apply_retention``).

    - Applications never confirmed after ``RETENTION_UNCONFIRMED_DAYS`` are deleted outright.
    - Rejected, withdrawn and removed ones lose their contact's name, role and email after
      ``RETENTION_PERSONAL_DATA_DAYS``; rejected ones lose their logo too. The audit trail stays.
    - Mail already sent is deleted after ``RETENTION_UNCONFIRMED_DAYS``: it holds addresses.
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
                contact_name="", contact_role="", contact_email="", personal_data_erased_at=now
            )
            endorsement.emails.all().delete()
            if endorsement.status == Status.REJECTED:
                report.logos_deleted += _organization_drop_logo(endorsement.organization)
            report.personal_data_erased += 1

    report.sent_mail_deleted, _ = OutboundEmail.objects.filter(
        sent_at__lt=unconfirmed_cutoff
    ).delete()
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
        },
        "contact": {
            "name": endorsement.contact_name,
            "role": endorsement.contact_role,
            "email": endorsement.contact_email,
            "preferred_language": endorsement.preferred_language,
            "consent_authority": endorsement.consent_authority,
            "consent_publish": endorsement.consent_publish,
        },
        "organization": {
            "name": organization.name,
            "website": organization.website,
            "country": str(organization.country),
            "sector": organization.sector.slug,
            "registry_id": organization.registry_id,
            "statement": organization.statement,
            "logo": _absolute(organization.logo.png.url) if organization.logo else None,
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
