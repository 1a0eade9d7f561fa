"""Every service, by today's names: the one import point for views, the admin, the workspace,
commands and operators' shells (``from coalition import services``).

Each service lives with its concept: ``coalition.endorsements.services`` (applying, confirming,
the reviewers' decisions, withdrawing), ``coalition.endorsements.edits`` (an organization's
public details and their versions), ``coalition.endorsements.retention`` (forgetting personal
data on time, a contact's data export), ``coalition.campaigns.services`` (a campaign's text and
branding), ``coalition.campaigns.invitations`` (its team: invitations, roles, removals),
``coalition.reviewing.services`` (claims on applications, the stored evidence),
``coalition.jobs.services`` (mail into the outbox), ``coalition.publishing.freshness`` (the
public version); their errors are in ``coalition.errors``.
"""

from __future__ import annotations

from coalition.campaigns.invitations import (
    TeamError,
    invitation_accept,
    invitation_send,
    invitation_withdraw,
    member_remove,
    member_role_change,
)
from coalition.campaigns.services import campaign_preview_key_renew, campaign_save
from coalition.endorsements.edits import (
    organization_edit_by_reviewer,
    organization_update,
    organization_version_approve,
    organization_version_decline,
)
from coalition.endorsements.mail import applicant_links, queue_applicant_mail
from coalition.endorsements.models import statement_fields
from coalition.endorsements.retention import (
    RetentionReport,
    endorsement_data_export,
    retention_apply,
)
from coalition.endorsements.services import (
    endorsement_apply,
    endorsement_approve,
    endorsement_attest,
    endorsement_confirm,
    endorsement_manage_links_revoke,
    endorsement_reject,
    endorsement_remove,
    endorsement_resend_links,
    endorsement_withdraw,
)
from coalition.errors import (
    ApplicationError,
    ApprovalNeedsAcknowledgement,
    EndorsementTransitionError,
    ServiceError,
)
from coalition.imports.services import (
    ally_import_cancel,
    ally_import_report,
    ally_import_run,
    ally_import_start,
    endorsement_import,
)
from coalition.jobs.services import mail_queue, mail_suppressed
from coalition.models import Endorsement, EndorsementEvent
from coalition.publishing.freshness import PUBLIC_VERSION_KEY, public_version_bump
from coalition.reviewing.reviewers import REVIEWERS_GROUP
from coalition.reviewing.services import (
    claim_open,
    claim_release,
    claim_renew,
    claim_take_over,
    evidence_current,
    evidence_refresh,
    reviewer_settings_update,
)

Status = Endorsement.Status
Actor = EndorsementEvent.Actor

__all__ = [
    "PUBLIC_VERSION_KEY",
    "REVIEWERS_GROUP",
    "Actor",
    "ApplicationError",
    "ApprovalNeedsAcknowledgement",
    "EndorsementTransitionError",
    "RetentionReport",
    "ServiceError",
    "Status",
    "TeamError",
    "ally_import_cancel",
    "ally_import_report",
    "ally_import_run",
    "ally_import_start",
    "applicant_links",
    "campaign_preview_key_renew",
    "campaign_save",
    "claim_open",
    "claim_release",
    "claim_renew",
    "claim_take_over",
    "endorsement_apply",
    "endorsement_approve",
    "endorsement_attest",
    "endorsement_confirm",
    "endorsement_data_export",
    "endorsement_import",
    "endorsement_manage_links_revoke",
    "endorsement_reject",
    "endorsement_remove",
    "endorsement_resend_links",
    "endorsement_withdraw",
    "evidence_current",
    "evidence_refresh",
    "invitation_accept",
    "invitation_send",
    "invitation_withdraw",
    "mail_queue",
    "mail_suppressed",
    "member_remove",
    "member_role_change",
    "organization_edit_by_reviewer",
    "organization_update",
    "organization_version_approve",
    "organization_version_decline",
    "public_version_bump",
    "queue_applicant_mail",
    "retention_apply",
    "reviewer_settings_update",
    "statement_fields",
]
