"""The endorsement and its organization: applying, confirming, the reviewers' decisions,
withdrawing, an organization's public details and their versions, the applicant's private links
and mail, where applications come from, and forgetting personal data on time."""
