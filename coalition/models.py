"""Models, by concept; import them from here (``from coalition.models import Endorsement``)."""

from coalition.campaigns.models import (
    LEAD_MAX_LENGTH,
    Campaign,
    CampaignInvitation,
    CampaignMember,
    HeroImage,
    Milestone,
    TeamEvent,
    TeamRole,
)
from coalition.endorsements.models import (
    STATEMENT_MAX_LENGTH,
    Endorsement,
    EndorsementEvent,
    Logo,
    Organization,
    OrganizationVersion,
    RejectionReason,
    Sector,
    new_public_id,
)
from coalition.endorsements.websites import (
    WEBSITE_MAX_LENGTH,
    email_domain_matches,
    normalize_website,
    registrable_domain,
)
from coalition.imports.models import AllyImport, AllyImportJob
from coalition.jobs.models import OutboundEmail, QueuedJob
from coalition.ledger.models import LogEntry, SignedList
from coalition.privacy.models import PrivacyNotice
from coalition.proofs.models import (
    DomainCheck,
    DomainProof,
    DomainToken,
    verification_of,
    verified_condition,
)
from coalition.publishing.models import CachePurge
from coalition.reviewing.models import EndorsementEvidence, ReviewClaim, ReviewerSettings
from coalition.updates.models import CampaignUpdate, UpdateDelivery
from coalition.webhooks.models import (
    WebhookAttempt,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEvent,
    new_webhook_secret,
)

__all__ = [
    "LEAD_MAX_LENGTH",
    "STATEMENT_MAX_LENGTH",
    "WEBSITE_MAX_LENGTH",
    "AllyImport",
    "AllyImportJob",
    "CachePurge",
    "Campaign",
    "CampaignInvitation",
    "CampaignMember",
    "CampaignUpdate",
    "DomainCheck",
    "DomainProof",
    "DomainToken",
    "Endorsement",
    "EndorsementEvent",
    "EndorsementEvidence",
    "HeroImage",
    "LogEntry",
    "Logo",
    "Milestone",
    "Organization",
    "OrganizationVersion",
    "OutboundEmail",
    "PrivacyNotice",
    "QueuedJob",
    "RejectionReason",
    "ReviewClaim",
    "ReviewerSettings",
    "Sector",
    "SignedList",
    "TeamEvent",
    "TeamRole",
    "UpdateDelivery",
    "WebhookAttempt",
    "WebhookDelivery",
    "WebhookEndpoint",
    "WebhookEvent",
    "email_domain_matches",
    "new_public_id",
    "new_webhook_secret",
    "normalize_website",
    "registrable_domain",
    "verification_of",
    "verified_condition",
]
