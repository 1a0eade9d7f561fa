"""A campaign's accent colour: checked for contrast (WCAG 2), and the shades made from it.

The accent is the colour of links and buttons on the campaign's page, of its embed
(``theme=campaign``), its map and its share card. It is used as text on the page and behind white
button text, so it must reach WCAG AA's 4.5:1 against both.
"""

from __future__ import annotations

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# The site's own accent (``--accent`` in static/coalition/site.css), for campaigns without one.
DEFAULT_ACCENT = "#0b6e4f"
# What the accent is read against: the page (``--paper``), cards, and white button text.
PAGE_BACKGROUNDS = ("#fbfbf8", "#ffffff")
MIN_CONTRAST = 4.5
_HEX = re.compile(r"#?([0-9a-fA-F]{6}|[0-9a-fA-F]{3})")

RGB = tuple[int, int, int]


def parse_hex(value: str) -> RGB | None:
    """``(r, g, b)`` from ``#0b6e4f``, ``0b6e4f`` or ``#0b6``; None for anything else."""
    match = _HEX.fullmatch(value.strip())
    if match is None:
        return None
    digits = match.group(1)
    if len(digits) == 3:
        digits = "".join(digit * 2 for digit in digits)
    return int(digits[0:2], 16), int(digits[2:4], 16), int(digits[4:6], 16)


def to_hex(rgb: RGB) -> str:
    return "#{:02x}{:02x}{:02x}".format(*rgb)


def normalize(value: str) -> str:
    """``value`` as ``#rrggbb`` in lower case (``""`` stays ``""``); raises ``ValidationError``."""
    if not value.strip():
        return ""
    rgb = parse_hex(value)
    if rgb is None:
        raise ValidationError(
            _("Enter the colour as six hexadecimal digits, such as #0b6e4f."), code="invalid"
        )
    return to_hex(rgb)


def relative_luminance(rgb: RGB) -> float:
    """WCAG 2's relative luminance of an sRGB colour, from 0 (black) to 1 (white)."""

    def linear(channel: int) -> float:
        c = channel / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(channel) for channel in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_ratio(first: RGB, second: RGB) -> float:
    """WCAG 2's contrast ratio, from 1 to 21."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def page_contrast(rgb: RGB) -> float:
    """The accent's lowest contrast against what it is read on or carries (see module)."""
    backgrounds = [parse_hex(background) for background in PAGE_BACKGROUNDS]
    return min(contrast_ratio(rgb, background) for background in backgrounds if background)


def validate_accent(value: str) -> None:
    """A model validator: the colour is ``#rrggbb`` and reads at WCAG AA on the page."""
    if not value:
        return
    rgb = parse_hex(value)
    if rgb is None:
        normalize(value)  # raises the format's message
        return
    ratio = page_contrast(rgb)
    if ratio < MIN_CONTRAST:
        raise ValidationError(
            _(
                "%(colour)s is too light to read on the page: its contrast is %(ratio)s:1, and "
                "links and buttons need at least %(minimum)s:1 (WCAG AA). Choose a darker colour."
            ),
            code="contrast",
            params={"colour": to_hex(rgb), "ratio": f"{ratio:.2f}", "minimum": MIN_CONTRAST},
        )


def mix(colour: RGB, other: RGB, amount: float) -> RGB:
    """``colour`` moved ``amount`` (0 to 1) of the way towards ``other``."""
    return (
        round(colour[0] + (other[0] - colour[0]) * amount),
        round(colour[1] + (other[1] - colour[1]) * amount),
        round(colour[2] + (other[2] - colour[2]) * amount),
    )


WHITE: RGB = (255, 255, 255)
BLACK: RGB = (0, 0, 0)


def accent_or_default(value: str) -> RGB:
    return parse_hex(value or "") or parse_hex(DEFAULT_ACCENT)  # type: ignore[return-value]


def theme_variables(accent: RGB) -> dict[str, str]:
    """The custom properties of ``static/coalition/site.css`` that a campaign's accent sets."""
    return {
        "--accent": to_hex(accent),
        "--accent-hover": to_hex(mix(accent, BLACK, 0.2)),
        "--accent-soft": to_hex(mix(accent, WHITE, 0.88)),
        "--accent-line": to_hex(mix(accent, WHITE, 0.65)),
    }


def shades(accent: RGB, count: int) -> list[str]:
    """``count`` shades from light to the accent itself, for a map's classes."""
    if count <= 1:
        return [to_hex(accent)]
    lightest = 0.78
    return [
        to_hex(mix(accent, WHITE, lightest * (count - 1 - index) / (count - 1)))
        for index in range(count)
    ]
