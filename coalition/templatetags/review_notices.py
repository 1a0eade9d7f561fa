"""Template tags for the admin: whether anyone hears of applications waiting for review."""

from __future__ import annotations

from django import template

from coalition import reviewers

register = template.Library()


@register.simple_tag
def nobody_hears_of_applications() -> bool:
    """True when a new application would be announced to no one (see ``coalition.reviewers``)."""
    return not reviewers.review_notice_addresses()
