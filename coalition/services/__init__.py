"""Writes: every change of an endorsement's status, and what comes with it.

Callers import this package (``from coalition import services``); each concept has its module:

- ``endorsements``: applying, confirming, the reviewers' decisions, withdrawing, links;
- ``organizations``: an organization's public details and their versions;
- ``retention``: forgetting personal data on time, and a contact's data export;
- ``campaigns``: a campaign's text and branding, with its images;
- ``base``: what they share (errors, the public version, the applicant's mail).
"""

from __future__ import annotations

from coalition.models import Endorsement, EndorsementEvent
from coalition.selectors import PUBLIC_VERSION_KEY
from coalition.services.base import (
    REVIEWERS_GROUP,
    ApplicationError,
    EndorsementTransitionError,
    applicant_links,
    public_version_bump,
    queue_applicant_mail,
    statement_fields,
)
from coalition.services.campaigns import campaign_save
from coalition.services.endorsements import (
    endorsement_apply,
    endorsement_approve,
    endorsement_confirm,
    endorsement_manage_links_revoke,
    endorsement_reject,
    endorsement_remove,
    endorsement_resend_links,
    endorsement_withdraw,
)
from coalition.services.organizations import (
    organization_edit_by_reviewer,
    organization_update,
    organization_version_approve,
    organization_version_decline,
)
from coalition.services.retention import (
    RetentionReport,
    endorsement_data_export,
    retention_apply,
)

Status = Endorsement.Status
Actor = EndorsementEvent.Actor

__all__ = [
    "PUBLIC_VERSION_KEY",
    "REVIEWERS_GROUP",
    "Actor",
    "ApplicationError",
    "EndorsementTransitionError",
    "RetentionReport",
    "Status",
    "applicant_links",
    "campaign_save",
    "endorsement_apply",
    "endorsement_approve",
    "endorsement_confirm",
    "endorsement_data_export",
    "endorsement_manage_links_revoke",
    "endorsement_reject",
    "endorsement_remove",
    "endorsement_resend_links",
    "endorsement_withdraw",
    "organization_edit_by_reviewer",
    "organization_update",
    "organization_version_approve",
    "organization_version_decline",
    "public_version_bump",
    "queue_applicant_mail",
    "retention_apply",
    "statement_fields",
]
