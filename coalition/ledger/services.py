"""Writing the public log: one entry per public event, in the transaction of the decision.

Every path that changes what the public list shows goes through here: a status change of an
endorsement to or from ``approved`` (``log_record_transition``, called by
``coalition.endorsements.services._transition``), and a change of an approved organization's
public fields (``log_organization_sync``, called wherever an organization's public fields are
saved). So replaying a campaign's log always gives its current list of allies
(``coalition.ledger.chain.replay``), which ``verify_coalition`` checks from outside.

Entries are never changed or deleted (``AppendOnly``); erasing an applicant's personal data does
not touch them, since they hold public facts only.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import transaction

from coalition.endorsements.models import Endorsement, Organization
from coalition.ledger import chain
from coalition.ledger.models import LogEntry

Status = Endorsement.Status
Event = LogEntry.Event
# Leaving: the log says that an ally left, not why (a withdrawal or a removal): the wall does
# not say it either, and a removal's reasons are the reviewers'.
LEFT_FROM = frozenset({Status.WITHDRAWN, Status.REMOVED})


def public_fields(organization: Organization) -> dict[str, Any]:
    """The public fields of ``organization`` as the log and the list carry them
    (``chain.PUBLIC_FIELDS``)."""
    logo = organization.logo
    return {
        "name": organization.name,
        "website": organization.website,
        "country": str(organization.country.code if organization.country else ""),
        "sector": organization.sector.slug,
        "logo": logo.digest if logo is not None else None,
    }


def log_record(
    *,
    campaign: Any,
    event: str,
    ally: str,
    fields: Mapping[str, Any],
    at: datetime,
) -> LogEntry:
    """Append one entry to ``campaign``'s log: locks the campaign's row so that entries are
    numbered one after the other (``seq`` = last + 1, ``prev`` = its hash), writes it. Call it
    inside the transaction of the decision it records, so both commit or neither does."""
    from coalition.models import Campaign

    at = chain.truncate_to_ms(at)
    with transaction.atomic():
        # The campaign's row is the lock: two decisions at once take their turn, so no two
        # entries get the same seq (the unique constraint would refuse the second anyway).
        Campaign.objects.select_for_update(of=("self",)).filter(pk=campaign.pk).first()
        seq, prev = log_head_of(campaign.pk)
        entry = chain.make_entry(
            seq=seq + 1, time=at, event=event, ally=ally, fields=fields, prev=prev
        )
        return LogEntry.objects.create(
            campaign_id=campaign.pk,
            seq=entry["seq"],
            time=at,
            event=event,
            ally=ally,
            fields=entry["fields"],
            prev=prev,
            hash=entry["hash"],
        )


def log_record_transition(
    *, endorsement: Endorsement, from_status: str, to_status: str, at: datetime
) -> LogEntry | None:
    """The log entry of a status change, if it is public: ``joined`` on an approval, ``left``
    when an approved ally withdraws or is removed; nothing for any other (pending, rejected,
    "this wasn't us" never appear)."""
    if to_status == Status.APPROVED and from_status != Status.APPROVED:
        return log_record(
            campaign=endorsement.campaign,
            event=Event.JOINED,
            ally=endorsement.public_id,
            fields=public_fields(endorsement.organization),
            at=at,
        )
    if from_status == Status.APPROVED and to_status in LEFT_FROM:
        return log_record(
            campaign=endorsement.campaign,
            event=Event.LEFT,
            ally=endorsement.public_id,
            fields={},
            at=at,
        )
    return None


def logged_fields(*, campaign_id: int, ally: str) -> dict[str, Any] | None:
    """The public fields of ``ally`` as ``campaign_id``'s log has them now (its last
    ``joined`` and the ``changed`` after it), or None when the log has it not on the list."""
    fields: dict[str, Any] | None = None
    entries = LogEntry.objects.filter(campaign_id=campaign_id, ally=ally).order_by("seq")
    for event, entry_fields in entries.values_list("event", "fields"):
        if event == Event.JOINED:
            fields = dict(entry_fields)
        elif event == Event.CHANGED and fields is not None:
            fields.update(entry_fields)
        elif event == Event.LEFT:
            fields = None
    return fields


def log_organization_sync(*, organization: Organization, at: datetime) -> list[LogEntry]:
    """After ``organization``'s public fields may have changed (an approved edit, a reviewer's
    edit, the admin, an import): a ``changed`` entry, with the changed fields' new values, in
    the log of each campaign it is approved on, where the log's fields differ from its current
    ones. Call it inside the transaction that saved the change; it writes nothing when nothing
    public changed."""
    organization = Organization.objects.select_related("sector", "logo").get(pk=organization.pk)
    current = public_fields(organization)
    written = []
    # Campaign by campaign in one order: each entry locks its campaign's row, and two edits
    # taking two campaigns' rows in opposite orders would deadlock.
    approved = (
        Endorsement.objects.filter(organization=organization, status=Status.APPROVED)
        .select_related("campaign")
        .order_by("campaign_id")
    )
    for endorsement in approved:
        logged = logged_fields(campaign_id=endorsement.campaign_id, ally=endorsement.public_id)
        if logged is None:
            # Approved before the log was kept and never backfilled: nothing to compare with.
            continue
        changed = {
            name: value for name, value in current.items() if logged.get(name, object()) != value
        }
        if changed:
            written.append(
                log_record(
                    campaign=endorsement.campaign,
                    event=Event.CHANGED,
                    ally=endorsement.public_id,
                    fields=changed,
                    at=at,
                )
            )
    return written


def log_sector_sync(*, sector: Any, at: datetime) -> list[LogEntry]:
    """After a sector's slug changed (the admin): a ``changed`` entry for each approved ally in
    it, since the log names sectors by slug."""
    written: list[LogEntry] = []
    organizations = Organization.objects.filter(
        sector=sector, endorsements__status=Status.APPROVED
    ).distinct()
    for organization in organizations:
        written += log_organization_sync(organization=organization, at=at)
    return written


def log_backfill(*, campaign: Any, at: datetime | None = None) -> list[LogEntry]:
    """A ``joined`` entry, in the order of approval, for each approved ally of ``campaign`` the
    log does not have on its list: for allies written approved directly (``bench_seed``), as
    migration 0018 did for those approved before the log. One insert for them all."""
    from coalition.models import Campaign

    with transaction.atomic():
        Campaign.objects.select_for_update(of=("self",)).filter(pk=campaign.pk).first()
        entries = LogEntry.objects.filter(campaign_id=campaign.pk).order_by("seq")
        on_list = chain.replay(entry_data_of(row) for row in entries.values(*chain.ENTRY_KEYS))
        seq, prev = log_head_of(campaign.pk)
        approved = (
            Endorsement.objects.filter(campaign_id=campaign.pk, status=Status.APPROVED)
            .exclude(public_id__in=on_list.keys())
            .select_related("organization__sector", "organization__logo")
            .order_by("approved_at", "pk")
        )
        rows = []
        for endorsement in approved:
            moment = chain.truncate_to_ms(endorsement.approved_at or at or endorsement.submitted_at)
            entry = chain.make_entry(
                seq=seq + 1,
                time=moment,
                event=Event.JOINED,
                ally=endorsement.public_id,
                fields=public_fields(endorsement.organization),
                prev=prev,
            )
            rows.append(
                LogEntry(
                    campaign_id=campaign.pk,
                    seq=entry["seq"],
                    time=moment,
                    event=Event.JOINED,
                    ally=entry["ally"],
                    fields=entry["fields"],
                    prev=prev,
                    hash=entry["hash"],
                )
            )
            seq, prev = entry["seq"], entry["hash"]
        return LogEntry.objects.bulk_create(rows, batch_size=500)


def entry_data_of(row: Mapping[str, Any]) -> dict[str, Any]:
    """A row of ``LogEntry.values(*chain.ENTRY_KEYS)`` as the log publishes it."""
    return {**row, "time": chain.format_time(row["time"])}


def log_head_of(campaign_id: int) -> tuple[int, str]:
    last = (
        LogEntry.objects.filter(campaign_id=campaign_id)
        .order_by("-seq")
        .values_list("seq", "hash")
        .first()
    )
    return last if last is not None else (0, chain.GENESIS)
