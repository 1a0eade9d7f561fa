"""The snippets that put a campaign's wall on another site, written once for every place that
hands one out (the embed builder, the approval mail)."""

from __future__ import annotations

from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from coalition.models import Campaign
from coalition.web import links

# The builder's default height; a wall taller than its frame scrolls inside it.
DEFAULT_IFRAME_HEIGHT = 600
IFRAME_TITLE = _("Organizations that stand together")


def iframe_snippet(
    campaign: Campaign,
    *,
    query: str = "",
    title: str | None = None,
    height: int = DEFAULT_IFRAME_HEIGHT,
) -> str:
    """The ``<iframe>`` to paste, showing ``campaign``'s wall with the embed's ``query``
    (``"?theme=dark"``, or ``""`` for the defaults), in the active language.

    Plain text, not marked safe: a page or a mail that shows it escapes it like any text.
    """
    src = links.absolute(reverse("embed", args=[campaign.slug]) + query)
    snippet = render_to_string(
        "embed/snippet_iframe.txt",
        {"src": src, "title": IFRAME_TITLE if title is None else title, "height": height},
    )
    # str.strip gives a plain str: the rendered template comes back marked safe.
    return snippet.strip()
