"""Writes: every change of an endorsement's status, and what comes with it."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser, Group
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition import emails
from coalition.models import Endorsement, EndorsementEvent, RejectionReason

Status = Endorsement.Status
Actor = EndorsementEvent.Actor

PUBLIC_VERSION_KEY = "coalition:public-version"
REVIEWERS_GROUP = "Reviewers"


class EndorsementTransitionError(Exception):
    """A transition the workflow does not allow; its message is meant for people."""


def public_version_bump() -> None:
    """Mark every cached public rendering as outdated (walls, embeds, images, the API)."""
    try:
        cache.incr(PUBLIC_VERSION_KEY)
    except ValueError:
        cache.set(PUBLIC_VERSION_KEY, int(timezone.now().timestamp() * 1000), None)


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
        if actor == Actor.REVIEWER:
            changes["decided_at"] = now
            changes["decided_by"] = by
        if to == Status.APPROVED:
            changes["approved_at"] = now
        if to == Status.REJECTED:
            changes["rejection_reason"] = reason
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
    from django.conf import settings

    group = Group.objects.filter(name=REVIEWERS_GROUP).first()
    addresses = []
    if group is not None:
        addresses = [
            email
            for email in group.user_set.filter(is_active=True).values_list("email", flat=True)
            if email
        ]
    return addresses or [address for _name, address in settings.ADMINS]


def _queue_transition_mail(*, endorsement: Endorsement, from_status: str) -> None:
    context = {
        "endorsement": endorsement,
        "organization": endorsement.organization,
        "campaign": endorsement.campaign,
    }
    template = {
        Status.PENDING: "received",
        Status.APPROVED: "approved",
        Status.REJECTED: "rejected",
        Status.WITHDRAWN: "withdrawn",
        Status.REMOVED: "removed",
    }.get(endorsement.status)
    if template:
        emails.queue(
            template=template,
            to=[endorsement.contact_email],
            context=context,
            language=endorsement.preferred_language,
        )
    if endorsement.status == Status.PENDING:
        emails.queue(template="review-needed", to=_reviewer_addresses(), context=context)


def endorsement_confirm(*, endorsement: Endorsement) -> Endorsement:
    """The contact confirmed their address: the application goes to the reviewers."""
    return _transition(endorsement=endorsement, to=Status.PENDING, actor=Actor.APPLICANT)


def endorsement_approve(
    *, endorsement: Endorsement, by: AbstractBaseUser, note: str = ""
) -> Endorsement:
    """A reviewer approves: the organization appears on the wall."""
    return _transition(
        endorsement=endorsement, to=Status.APPROVED, actor=Actor.REVIEWER, by=by, note=note
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
