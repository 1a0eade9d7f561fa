"""What the ledger's tests share: approving through the service, and the log's replay."""

from __future__ import annotations

from coalition import services
from coalition.ledger import chain
from coalition.ledger import selectors as ledger
from coalition.ledger.services import public_fields
from coalition.models import Endorsement

Status = Endorsement.Status


def approve(endorsement: Endorsement, reviewer) -> Endorsement:
    return services.endorsement_approve(
        endorsement=endorsement, by=reviewer, acknowledged=True, note="Checked by hand."
    )


def entries(campaign) -> list[dict]:
    return [ledger.entry_data(entry) for entry in ledger.log_entries(campaign, 0, 100_000)]


def replayed(campaign) -> dict[str, dict]:
    """The campaign's log, checked as a chain and replayed."""
    log = entries(campaign)
    chain.check_chain(log)
    return chain.replay(log)


def current(campaign) -> dict[str, dict]:
    """The campaign's approved allies with their public fields, from the database."""
    approved = Endorsement.objects.filter(campaign=campaign, status=Status.APPROVED)
    return {
        ally.public_id: public_fields(ally.organization)
        for ally in approved.select_related("organization__sector", "organization__logo")
    }
