"""``{% site_name %}``: the site's name (``SITE_NAME``, else the product's, translated)."""

from __future__ import annotations

from django import template

from coalition.campaigns.page import site_name as _site_name

register = template.Library()


@register.simple_tag
def site_name() -> str:
    return _site_name()
