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

from coalition.campaigns import page as campaign_page
from coalition.campaigns import team
from coalition.endorsements import resubmission, sources
from coalition.endorsements.mail import queue_applicant_mail
from coalition.endorsements.models import statement_fields
from coalition.errors import ApplicationError, EndorsementTransitionError
from coalition.images import logos
from coalition.jobs import outbox
from coalition.jobs.services import mail_queue
from coalition.ledger.services import log_record_transition
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
from coalition.privacy.selectors import privacy_notice_version
from coalition.publishing.freshness import public_change
from coalition.reviewing import approval, reviewers
from coalition.reviewing.services import evidence_refresh
from coalition.webhooks.services import webhook_transition_record

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
    acknowledged: bool = False,
    reported: bool = False,
    attested: bool = False,
    announce: bool = True,
) -> Endorsement:
    """Move ``endorsement`` to ``to`` if the workflow allows it from the status in the database.

    Locks the row, so two people deciding at once see one win and one refusal; refuses a
    person (``by``) who does not review its campaign (``coalition.campaigns.team``: the Reviewers
    group, superusers, that campaign's team); checks, on the locked row, what an approval needs
    acknowledged (``coalition.reviewing.approval``); writes the audit event and queues the mail
    in the same transaction; tells caches after commit.
    """
    with transaction.atomic():
        locked = (
            Endorsement.objects.select_for_update(of=("self",))
            .select_related("organization", "campaign")
            .get(pk=endorsement.pk)
        )
        if by is not None and not team.may_review(by, locked.campaign):
            raise EndorsementTransitionError(
                _("You do not review the campaign “%(campaign)s”, so you cannot decide on it.")
                % {"campaign": locked.campaign.title}
            )
        if not locked.can_become(to):
            raise _refused(locked, to)
        if to == Status.APPROVED:
            reasons = approval.approval_check(
                endorsement=locked, acknowledged=acknowledged, note=note
            )
            acknowledgement = acknowledgement or approval.acknowledgement_text(reasons)
        from_status = locked.status
        now = timezone.now()
        changes: dict[str, object] = {"status": to}
        # An owner's attestation moves an import on without its contact: nobody confirmed.
        if to == Status.PENDING and not attested:
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
            attested=attested,
        )
        # The public log: joined on an approval, left on an approved ally's departure.
        log_record_transition(endorsement=locked, from_status=from_status, to_status=to, at=now)
        if announce:
            _queue_transition_mail(endorsement=locked, from_status=from_status)
        # Partners' systems hear of it once it commits (the worker sends).
        webhook_transition_record(endorsement=locked, from_status=from_status, attested=attested)
        if from_status == Status.APPROVED or to == Status.APPROVED:
            public_change(allies=[locked])
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
        mail_queue(
            template="review-needed",
            to=reviewers.review_notice_addresses(campaign=endorsement.campaign),
            context=reviewers.review_notice_context(endorsement),
            language=settings.LANGUAGE_CODE,
        )


def endorsement_confirm(*, endorsement: Endorsement) -> Endorsement:
    """The contact confirmed their address: the application goes to the reviewers, with its
    evidence computed again (the walls may have changed since it was sent)."""
    endorsement = _transition(endorsement=endorsement, to=Status.PENDING, actor=Actor.APPLICANT)
    evidence_refresh(endorsement=endorsement)
    return endorsement


def endorsement_approve(
    *,
    endorsement: Endorsement,
    by: AbstractBaseUser | None,
    note: str = "",
    acknowledgement: str = "",
    acknowledged: bool = False,
) -> Endorsement:
    """A reviewer approves: the organization appears on the wall.

    Without ``by`` the approval is recorded as the system's (demo data, imports).

    An approval that needs acknowledging (``coalition.reviewing.approval``: a lookalike of an
    approved ally, a shared domain or registry ID, a domain not proven) is refused with
    ``ApprovalNeedsAcknowledgement`` unless ``acknowledged`` and with a ``note`` saying what was
    checked. ``acknowledgement``: what was acknowledged, for the audit row beside the note;
    written from the reasons when not given.
    """
    return _transition(
        endorsement=endorsement,
        to=Status.APPROVED,
        actor=Actor.REVIEWER if by is not None else Actor.SYSTEM,
        by=by,
        note=note,
        acknowledgement=acknowledgement,
        acknowledged=acknowledged,
    )


def endorsement_attest(
    *, endorsement: Endorsement, by: AbstractBaseUser | None, note: str
) -> Endorsement:
    """An owner who imported the organization attests, with ``note``, that it signed by other
    means (an email, a letter): it is approved without its contact's confirmation.

    Two audit rows, both marked ``attested`` with the note: unconfirmed to pending, then the
    approval, which acknowledges what the evidence asks (the domain is not proven: the owner's
    word stands for it). No transition mail: the import tells the contact in its own words, with
    the "this wasn't us" link (``coalition.imports.services``). Without ``by`` (a command run
    from a shell) the audit rows are the system's."""
    actor = Actor.REVIEWER if by is not None else Actor.SYSTEM
    if not note.strip():
        raise EndorsementTransitionError(_("Say how the organization signed: the note is needed."))
    if endorsement.status == Status.UNCONFIRMED:
        endorsement = _transition(
            endorsement=endorsement,
            to=Status.PENDING,
            actor=actor,
            by=by,
            note=note,
            attested=True,
            announce=False,
        )
    return _transition(
        endorsement=endorsement,
        to=Status.APPROVED,
        actor=actor,
        by=by,
        note=note,
        acknowledged=True,
        attested=True,
        announce=False,
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
    consent_authority_words: str = "",
    consent_publish_words: str = "",
    consent_language: str = "",
    updates_opt_in: bool = False,
    updates_opt_in_words: str = "",
) -> tuple[Endorsement, OutboundEmail | None]:
    """Save a new application as unconfirmed and mail the contact a confirmation link.

    ``consent_*_words``: the labels of the two boxes as the contact saw them, in
    ``consent_language``; kept with the privacy notice's version in force now (never public).

    ``updates_opt_in``: the optional box "Send us updates about this campaign"
    (``coalition.updates``), with its label as shown (``updates_opt_in_words``), kept like the
    consents.

    ``source``: the ``ref`` and UTM parameters of the link that brought the applicant, as
    ``coalition.endorsements.sources.clean`` bounds them (cleaned again here); never public.

    Returns the endorsement and the confirmation mail, recorded in the outbox: the worker
    sends it after commit.

    The same application sent again (``coalition.endorsements.resubmission``) raises
    ``ApplicationRepeated`` naming the first: no second row, no second mail.
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
        if campaign.is_closed():
            # Its deadline passed (``Campaign.closes_at``): for every caller, as the form says.
            raise ApplicationError(campaign_page.deadline(campaign).text)
        # Under the campaign's lock, so that a double click makes one application too.
        resubmission.refuse_repeat(campaign=campaign, contact_email=contact_email, website=website)
        if outbox.over_address_limit(contact_email):
            raise ApplicationError(
                _(
                    "We have sent several messages to this address in the last hour. Nothing "
                    "was saved; please send the form again later."
                )
            )
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
            consent_authority_words=consent_authority_words,
            consent_publish_words=consent_publish_words,
            consent_language=consent_language,
            updates_opt_in=updates_opt_in,
            updates_opt_in_words=updates_opt_in_words if updates_opt_in else "",
            updates_opt_in_changed_at=timezone.now() if updates_opt_in else None,
            privacy_notice_version=privacy_notice_version(),
            domain_verified=email_domain_matches(contact_email, organization.domain),
            source=sources.clean(source or {}),
        )
        evidence_refresh(endorsement=endorsement)
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
    if outbox.over_address_limit(contact_email):
        return 0  # the same answer to whoever asked, and no more mail to the address
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
