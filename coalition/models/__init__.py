"""Models, by concept; import them from here (``from coalition.models import Endorsement``)."""

from coalition.models.domain import (
    STATEMENT_MAX_LENGTH,
    WEBSITE_MAX_LENGTH,
    Campaign,
    Endorsement,
    EndorsementEvent,
    Logo,
    Organization,
    OrganizationVersion,
    RejectionReason,
    Sector,
    email_domain_matches,
    new_public_id,
    normalize_website,
    registrable_domain,
)
from coalition.models.jobs import CachePurge, OutboundEmail, QueuedJob
from coalition.models.review import EndorsementEvidence, ReviewClaim

__all__ = [
    "STATEMENT_MAX_LENGTH",
    "WEBSITE_MAX_LENGTH",
    "CachePurge",
    "Campaign",
    "Endorsement",
    "EndorsementEvent",
    "EndorsementEvidence",
    "Logo",
    "Organization",
    "OrganizationVersion",
    "OutboundEmail",
    "QueuedJob",
    "RejectionReason",
    "ReviewClaim",
    "Sector",
    "email_domain_matches",
    "new_public_id",
    "normalize_website",
    "registrable_domain",
]
