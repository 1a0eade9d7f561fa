"""Template tags for mail: the embed snippets, from the one place that writes them."""

from __future__ import annotations

from django import template

from coalition.models import Campaign
from coalition.wall import snippets

register = template.Library()


@register.simple_tag
def iframe_snippet(campaign: Campaign) -> str:
    """The builder's iframe with its defaults; escaped where the template escapes (HTML mail),
    as it is where it does not (plain-text mail)."""
    return snippets.iframe_snippet(campaign)
