"""Models, by concept; import them from here (``from coalition.models import Endorsement``)."""

from coalition.models.campaign import LEAD_MAX_LENGTH, Campaign, HeroImage
from coalition.models.domain import (
    STATEMENT_MAX_LENGTH,
    WEBSITE_MAX_LENGTH,
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
from coalition.models.proof import (
    DomainCheck,
    DomainProof,
    DomainToken,
    verification_of,
    verified_condition,
)
from coalition.models.review import EndorsementEvidence, ReviewClaim

__all__ = [
    "LEAD_MAX_LENGTH",
    "STATEMENT_MAX_LENGTH",
    "WEBSITE_MAX_LENGTH",
    "CachePurge",
    "Campaign",
    "DomainCheck",
    "DomainProof",
    "DomainToken",
    "Endorsement",
    "EndorsementEvent",
    "EndorsementEvidence",
    "HeroImage",
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
    "verification_of",
    "verified_condition",
]
