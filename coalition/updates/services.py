"""Updates to allies: an owner writes one (``update_save``), tries it on themselves
(``update_test_send``), then sends it (``update_send``), which queues one delivery per approved
ally whose contact asked for updates; the worker sends them (``coalition.updates.tasks``).

A contact says yes on the application form, and changes their mind on the manage page or with
the one-click link every update carries (``updates_choice_change``). Only the campaign's owners
and superusers write and send (``coalition.campaigns.team.may_own``), asked here, whatever the
screen.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from coalition.campaigns import team
from coalition.errors import ServiceError
from coalition.jobs.services import mail_queue
from coalition.models import Campaign, Endorsement, OutboundEmail
from coalition.updates.mail import mail_context
from coalition.updates.models import CampaignUpdate, UpdateDelivery

# English is the language every update has: a recipient whose language it lacks reads it.
FALLBACK_LANGUAGE = "en"


# Said when Send is pressed for an update that went already.
ALREADY_SENT = _("This update was sent already.")


class UpdateError(ServiceError):
    """An update that cannot be written or sent (its message is meant for people)."""


def languages() -> list[str]:
    """The languages an update may be written in: the site's."""
    return [code for code, _name in settings.LANGUAGES]


def recipients(campaign: Campaign) -> QuerySet[Endorsement]:
    """Who an update of ``campaign`` goes to: its approved allies whose contact asked for
    updates, still has an address, and was not erased."""
    return Endorsement.objects.filter(
        campaign=campaign,
        status=Endorsement.Status.APPROVED,
        updates_opt_in=True,
        personal_data_erased_at__isnull=True,
    ).exclude(contact_email="")


def may_receive(endorsement: Endorsement) -> bool:
    """Whether ``endorsement``'s contact may get an update now (the worker asks again just
    before sending: they may have unsubscribed, or the ally left, since it was queued)."""
    return bool(
        endorsement.status == Endorsement.Status.APPROVED
        and endorsement.updates_opt_in
        and endorsement.personal_data_erased_at is None
        and endorsement.contact_email
    )


def written_in(update: CampaignUpdate) -> list[str]:
    """The languages ``update`` has both a subject and a text in."""
    return [
        code
        for code in languages()
        if (getattr(update, f"subject_{code}") or "").strip()
        and (getattr(update, f"body_{code}") or "").strip()
    ]


def language_for(update: CampaignUpdate, preferred: str) -> str:
    """The language a recipient reads ``update`` in: theirs when it is written in it, else
    English."""
    return preferred if preferred in written_in(update) else FALLBACK_LANGUAGE


def _refuse_unless_owner(by: AbstractBaseUser | None, campaign: Campaign) -> None:
    if not team.may_own(by, campaign):
        raise UpdateError(_("Only the campaign's owners may write and send its updates."))


def update_save(
    *,
    campaign: Campaign,
    by: AbstractBaseUser,
    subjects: dict[str, str],
    bodies: dict[str, str],
    update: CampaignUpdate | None = None,
) -> CampaignUpdate:
    """Create a draft (``update`` None) or change one not sent yet. ``subjects``/``bodies``: by
    language code; English is required, the others optional (a language given half is
    refused, since its readers would get a subject without a text or the reverse)."""
    _refuse_unless_owner(by, campaign)
    texts = {
        code: ((subjects.get(code) or "").strip(), (bodies.get(code) or "")) for code in languages()
    }
    english_subject, english_body = texts[FALLBACK_LANGUAGE]
    if not english_subject or not english_body.strip():
        raise UpdateError(
            _("Write the subject and the text in English: it is what every ally can read.")
        )
    for subject, body in texts.values():
        if bool(subject) != bool(body.strip()):
            raise UpdateError(_("Give both a subject and a text in each language you write in."))
        if "\n" in subject or "\r" in subject:
            raise UpdateError(_("Keep the subject on one line."))
    with transaction.atomic():
        if update is None:
            update = CampaignUpdate(campaign=campaign, created_by=by)
        else:
            update = CampaignUpdate.objects.select_for_update().get(pk=update.pk)
            _refuse_unless_owner(by, update.campaign)
            if update.sent_at is not None:
                raise UpdateError(_("This update was sent already and can no longer be changed."))
            update.campaign = campaign
        for code, (subject, body) in texts.items():
            setattr(update, f"subject_{code}", subject)
            setattr(update, f"body_{code}", body.strip("\n") if body.strip() else "")
        update.save()
    return update


def update_test_send(
    *, update: CampaignUpdate, by: AbstractBaseUser, language: str | None = None
) -> list[OutboundEmail]:
    """Mail ``update`` to ``by`` themselves, marked as a test, in ``language`` or in every
    language it is written in; nothing is recorded as sent to anyone."""
    _refuse_unless_owner(by, update.campaign)
    address = (getattr(by, "email", "") or "").strip()
    if not address:
        raise UpdateError(_("Your account has no email address to send the test to."))
    chosen = written_in(update)
    if language is not None:
        if language not in chosen:
            raise UpdateError(_("This update is not written in that language yet."))
        chosen = [language]
    sent = []
    with transaction.atomic():
        for code in chosen:
            email = mail_queue(
                template="update",
                to=[address],
                context=mail_context(update=update, language=code, endorsement=None, test=True),
                language=code,
            )
            if email is not None:
                sent.append(email)
    return sent


def update_send(*, update: CampaignUpdate, by: AbstractBaseUser) -> int:
    """Send ``update``: mark it sent (once: a second time is refused) and queue one delivery per
    recipient (``recipients``), in one transaction; the worker mails them at
    ``UPDATES_PER_MINUTE``. Returns how many were queued."""
    from coalition.updates import tasks as update_tasks  # the queue, registered by that module

    with transaction.atomic():
        locked = (
            CampaignUpdate.objects.select_for_update().select_related("campaign").get(pk=update.pk)
        )
        _refuse_unless_owner(by, locked.campaign)
        if FALLBACK_LANGUAGE not in written_in(locked):
            raise UpdateError(_("Write the subject and the text in English first."))
        now = timezone.now()
        # Compare-and-set as well as the row lock: SQLite has no row locks, and of two clicks on
        # Send only one changes the row.
        if not CampaignUpdate.objects.filter(pk=locked.pk, sent_at__isnull=True).update(
            sent_at=now, sent_by=by
        ):
            raise UpdateError(ALREADY_SENT)
        deliveries = [
            UpdateDelivery(
                update=locked,
                endorsement_id=pk,
                language=language_for(locked, preferred),
            )
            for pk, preferred in recipients(locked.campaign).values_list("pk", "preferred_language")
        ]
        # The unique (update, endorsement) pair: one delivery per recipient, whatever happens.
        UpdateDelivery.objects.bulk_create(deliveries, batch_size=500, ignore_conflicts=True)
        transaction.on_commit(update_tasks.wake)
    update.refresh_from_db()
    return len(deliveries)


def updates_choice_change(*, endorsement: Endorsement, wanted: bool, words: str = "") -> bool:
    """Record whether ``endorsement``'s contact wants updates (the form's box, the manage page,
    the one-click unsubscribe), with the words of the box they ticked (``words``: kept from the
    last yes when they say no) and when. Saying no also skips the deliveries still waiting.
    Returns whether anything changed (saying the same twice changes nothing)."""
    if wanted and endorsement.status not in Endorsement.LIVE_STATUSES:
        raise UpdateError(_("This application has ended: its contact receives no updates."))
    now = timezone.now()
    with transaction.atomic():
        changes: dict[str, object] = {"updates_opt_in": wanted, "updates_opt_in_changed_at": now}
        if wanted and words:
            changes["updates_opt_in_words"] = words
        changed = bool(
            Endorsement.objects.filter(pk=endorsement.pk)
            .exclude(updates_opt_in=wanted)
            .update(**changes)
        )
        if not wanted:
            UpdateDelivery.objects.filter(
                endorsement=endorsement, sent_at__isnull=True, skipped_at__isnull=True
            ).update(skipped_at=now, claimed_until=None)
    endorsement.refresh_from_db(
        fields=["updates_opt_in", "updates_opt_in_words", "updates_opt_in_changed_at"]
    )
    return changed


@dataclass(frozen=True)
class Progress:
    """Where the deliveries of one update are: ``failed`` ones are retried (their last error
    kept), ``skipped`` ones were not sent because the contact said no or the ally left."""

    total: int
    sent: int
    failed: int
    skipped: int
    left: int


def update_progress(update: CampaignUpdate) -> Progress:
    counts = update.deliveries.aggregate(
        total=Count("pk"),
        sent=Count("pk", filter=Q(sent_at__isnull=False)),
        skipped=Count("pk", filter=Q(sent_at__isnull=True, skipped_at__isnull=False)),
        failed=Count(
            "pk", filter=Q(sent_at__isnull=True, skipped_at__isnull=True) & ~Q(last_error="")
        ),
    )
    left = counts["total"] - counts["sent"] - counts["skipped"] - counts["failed"]
    return Progress(left=left, **counts)
