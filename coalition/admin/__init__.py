"""The admin: where reviewers approve, reject and remove endorsements.

Reviewers (the "Reviewers" group, migration 0002) only have view permissions plus
``coalition.decide_endorsement``. Every decision and every edit of what the public sees goes
through ``coalition.services``; nothing here sets ``Endorsement.status``.

One module per part of the admin; importing them registers their pages on the site
(``coalition.staff_auth.StaffAdminSite``, set in ``coalition.apps``).
"""

from coalition.admin import audit, endorsements, organizations, outbox, proofs, reference

__all__ = ["audit", "endorsements", "organizations", "outbox", "proofs", "reference"]
