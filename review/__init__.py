"""The reviewers' workspace at ``/review/``: a queue of what needs a decision, and one screen per
decision. The Django admin stays for reference data and for superusers."""
