"""An endorsement's life: applying, confirming, the reviewers' decisions, withdrawing, links.

Every change of status goes through ``_transition``: the allowed moves are written once, in
``Endorsement.TRANSITIONS``.
"""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition import emails, evidence, logos, reviewers, sources
from coalition.models import (
    Campaign,
    Endorsement,
    EndorsementEvent,
    Organization,
    OrganizationVersion,
    OutboundEmail,
    RejectionReason,
    Sector,
    email_domain_matches,
)
from coalition.services.base import (
    ApplicationError,
    EndorsementTransitionError,
    mail_context,
    public_version_bump,
    queue_applicant_mail,
    statement_fields,
)

Status = Endorsement.Status
Actor = EndorsementEvent.Actor


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
    acknowledgement: str = "",
    reported: bool = False,
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
            acknowledgement=acknowledgement,
            reported=reported,
        )
        _queue_transition_mail(endorsement=locked, from_status=from_status)
        if from_status == Status.APPROVED or to == Status.APPROVED:
            transaction.on_commit(public_version_bump)
    for field in ("status", "confirmed_at", "decided_at", "decided_by", "approved_at"):
        setattr(endorsement, field, getattr(locked, field))
    endorsement.rejection_reason = locked.rejection_reason
    return endorsement


def _queue_transition_mail(*, endorsement: Endorsement, from_status: str) -> None:
    template = {
        Status.PENDING: "received",
        Status.APPROVED: "approved",
        Status.REJECTED: "rejected",
        Status.WITHDRAWN: "withdrawn",
        Status.REMOVED: "removed",
    }.get(endorsement.status)
    if template:
        queue_applicant_mail(template=template, endorsement=endorsement)
    if endorsement.status == Status.PENDING:
        emails.queue(
            template="review-needed",
            to=reviewers.review_notice_addresses(),
            context=mail_context(endorsement),
            language=settings.LANGUAGE_CODE,
        )


def endorsement_confirm(*, endorsement: Endorsement) -> Endorsement:
    """The contact confirmed their address: the application goes to the reviewers, with its
    evidence computed again (the walls may have changed since it was sent)."""
    endorsement = _transition(endorsement=endorsement, to=Status.PENDING, actor=Actor.APPLICANT)
    evidence.evidence_refresh(endorsement=endorsement)
    return endorsement


def endorsement_approve(
    *,
    endorsement: Endorsement,
    by: AbstractBaseUser | None,
    note: str = "",
    acknowledgement: str = "",
) -> Endorsement:
    """A reviewer approves: the organization appears on the wall.

    Without ``by`` the approval is recorded as the system's (demo data, imports).
    ``acknowledgement``: what the reviewer ticked about the evidence's flags (a lookalike, a
    shared domain), kept in the audit row beside their note.
    """
    return _transition(
        endorsement=endorsement,
        to=Status.APPROVED,
        actor=Actor.REVIEWER if by is not None else Actor.SYSTEM,
        by=by,
        note=note,
        acknowledgement=acknowledgement,
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
    *,
    endorsement: Endorsement,
    actor: str = Actor.APPLICANT,
    note: str = "",
    reported: bool = False,
) -> Endorsement:
    """The organization withdraws (or the system does, on a "this wasn't us" report:
    ``reported``, which the reviewers' "Reported" tab lists)."""
    return _transition(
        endorsement=endorsement, to=Status.WITHDRAWN, actor=actor, note=note, reported=reported
    )


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
    source: dict[str, str] | None = None,
) -> tuple[Endorsement, OutboundEmail | None]:
    """Save a new application as unconfirmed and mail the contact a confirmation link.

    ``source``: the ``ref`` and UTM parameters of the link that brought the applicant, as
    ``coalition.sources.clean`` bounds them (cleaned again here); never public.

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
            source=sources.clean(source or {}),
        )
        evidence.evidence_refresh(endorsement=endorsement)
        email = queue_applicant_mail(template="confirm", endorsement=endorsement)
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
            queue_applicant_mail(template=template, endorsement=endorsement)
            sent += 1
    return sent


def endorsement_manage_links_revoke(*, endorsement: Endorsement) -> Endorsement:
    """Make every manage link sent so far stop working (a reviewer's call, e.g. on a leak)."""
    Endorsement.objects.filter(pk=endorsement.pk).update(
        manage_token_version=F("manage_token_version") + 1
    )
    endorsement.refresh_from_db(fields=["manage_token_version"])
    return endorsement
