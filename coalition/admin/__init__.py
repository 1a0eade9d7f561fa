"""The admin: reference data, the records, and what only superusers touch.

Reviewers (the "Reviewers" group, migration 0002) only have view permissions plus
``coalition.decide_endorsement``: they look things up here and decide in the review workspace
(``/review/``, the ``review`` package), the one staff screen for decisions. Every edit of what
the public sees goes through ``coalition.services``; nothing here sets ``Endorsement.status``.

One module per part of the admin; importing them registers their pages on the site
(``coalition.web.staff_auth.StaffAdminSite``, set in ``coalition.apps``).
"""

from coalition.admin import (
    audit,
    endorsements,
    organizations,
    otp,
    outbox,
    privacy,
    proofs,
    reference,
    teams,
    webhooks,
)

__all__ = [
    "audit",
    "endorsements",
    "organizations",
    "otp",
    "outbox",
    "privacy",
    "proofs",
    "reference",
    "teams",
    "webhooks",
]
