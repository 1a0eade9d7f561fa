"""How the admin shows logos and links: shared by the endorsement and organization pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from coalition.models import Logo, normalize_website

# Classes from static/coalition/admin.css: the Content-Security-Policy allows no inline styles.
THUMBNAIL_STYLE = "logo-thumbnail"
PREVIEW_STYLE = "logo-preview"


def logo_img(logo: Logo | None, css_class: str) -> str:
    if logo is None or not logo.png:
        return ""
    return format_html(
        '<img src="{}" alt="" width="{}" height="{}" class="{}" loading="lazy">',
        logo.png.url,
        logo.width,
        logo.height,
        css_class,
    )


def http_url(value: str) -> str | None:
    """``value`` if it is a web address that is safe to link to, else None."""
    return value if value.lower().startswith(("https://", "http://")) else None


def same_website(a: str, b: str) -> bool:
    try:
        return normalize_website(a) == normalize_website(b)
    except (ValidationError, ValueError):  # urlsplit raises ValueError for a bad port
        return a == b


def logo_renditions(logo: Logo | None) -> list[dict[str, Any]]:
    """The four files the pipeline made, as the change page shows them to reviewers.

    1x files are shown at the size the wall gives them; 2x files at their own pixel size, so that
    a reviewer sees the detail a high-density screen will show.
    """
    if logo is None:
        return []
    renditions = []
    for field, label, one_x in [
        ("png", _("PNG 1x"), True),
        ("webp", _("WebP 1x"), True),
        ("png_2x", _("PNG 2x"), False),
        ("webp_2x", _("WebP 2x"), False),
    ]:
        file = getattr(logo, field)
        if file:
            renditions.append(
                {
                    "label": label,
                    "url": file.url,
                    "width": logo.width if one_x else None,
                    "height": logo.height if one_x else None,
                }
            )
    return renditions
