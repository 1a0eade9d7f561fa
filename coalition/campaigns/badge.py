"""The badge an approved ally puts on its own site: "We stand with <campaign>, signed by <ally>",
in the campaign's accent colour, light or dark, in English, French or German
(``/campaigns/<slug>/badge/<public_id>.svg``, ``public_site.views.badge``).

Like the wall's SVG (``coalition.wall.picture``) it is built with ElementTree, which escapes
every name and attribute, never by pasting strings together; control and formatting characters
outside emoji sequences are dropped first (``coalition.images.text.plain``), so that no name can
reorder or hide what is drawn. It refers to nothing outside itself (no font, image or script),
and names its text in a generic family: whatever face the reader's system has draws it. The
text is measured in the site's own faces (``coalition.images.fonts``: DejaVu Sans, wider than
the usual system faces), so that what fits here fits there.

``lang`` and ``theme`` are the badge's own parameters, read like the wall's
(``coalition.wall.parameters.Reader``: a value that names nothing is a 400 saying so); the
language is explicit (English by default), not the visitor's: a badge is pasted once into a
page in one language.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from coalition.images import colours
from coalition.images.fonts import face
from coalition.images.text import fit_text, plain, xml_safe
from coalition.wall.parameters import Parameter, Reader

WIDTH, HEIGHT = 320, 84
# The text's left edge (after the mark) and right margin.
TEXT_X = 62
MARGIN = 14
FONT_FAMILY = "system-ui, -apple-system, 'Segoe UI', Roboto, 'Helvetica Neue', Arial, sans-serif"
HEADING_SIZE, TITLE_SIZE, NAME_SIZE = 11, 15, 11

THEMES = (("light", _("Light")), ("dark", _("Dark")))
# The badge's languages: the site's (``settings.LANGUAGES``), read by ``Reader.language``.
DEFAULT_LANGUAGE = "en"

PARAMETERS: dict[str, Parameter] = {
    parameter.name: parameter
    for parameter in (
        Parameter("theme", _("Theme"), {"type": "string", "enum": [t for t, _n in THEMES]}),
        Parameter("lang", _("Language")),
    )
}


@dataclass(frozen=True)
class BadgeLooks:
    """What a request asks of a badge: its theme and its language."""

    theme: str = "light"
    lang: str = DEFAULT_LANGUAGE

    @classmethod
    def parse(cls, params: Any) -> BadgeLooks:
        """The looks ``params`` (GET parameters) ask for; raises ``QueryError`` naming every
        parameter at fault. Other parameters (a newsletter's ``utm_*``) are not read."""
        reader = Reader(params, PARAMETERS)
        values: dict[str, str] = {}
        theme = reader.choice("theme", dict(THEMES), _("Choose the theme “light” or “dark”."))
        if theme is not None:
            values["theme"] = theme
        language = reader.language("lang")
        if language is not None:
            values["lang"] = language
        reader.check()
        return cls(**values)

    def to_params(self) -> list[tuple[str, str]]:
        """The GET parameters that ask for these looks, defaults left out, in a fixed order."""
        default = BadgeLooks()
        return [
            (name, getattr(self, name))
            for name in ("theme", "lang")
            if getattr(self, name) != getattr(default, name)
        ]

    def cache_key(self) -> str:
        return f"theme={self.theme}&lang={self.lang}"


@dataclass(frozen=True)
class Palette:
    background: str
    border: str
    heading: str
    title: str
    name: str


def palette(theme: str, accent: colours.RGB) -> Palette:
    """The badge's colours: the accent is the mark's in both themes (white reads on it, as on
    the campaign's buttons), and the title's on white, where it reads at WCAG AA
    (``colours.validate_accent``); the dark theme writes the title in near-white instead."""
    if theme == "dark":
        return Palette(
            background="#14202b",
            border=colours.to_hex(colours.mix(accent, colours.BLACK, 0.35)),
            heading="#bcccdc",
            title="#f0f4f8",
            name="#bcccdc",
        )
    return Palette(
        background="#ffffff",
        border=colours.to_hex(colours.mix(accent, colours.WHITE, 0.65)),
        heading="#52606d",
        title=colours.to_hex(accent),
        name="#3e4c59",
    )


def heading() -> str:
    return gettext("We stand with")


def signed_by(name: str) -> str:
    return gettext("Signed by %(name)s") % {"name": name}


def description(*, name: str, campaign: str) -> str:
    """What the badge says, in one sentence: its accessible name, and the snippet's ``alt``."""
    return gettext("%(name)s stands with “%(campaign)s”") % {"name": name, "campaign": campaign}


def _wrap(text: str, size: int, width: float, lines: int) -> list[str]:
    """``text`` in bold ``size`` within ``width`` pixels, in at most ``lines`` lines; the last
    one cut with "…" when the rest does not fit, as a word wider than the line is."""
    font = face(size, bold=True)
    wrapped: list[str] = []
    for word in text.split():
        if wrapped and font.length(f"{wrapped[-1]} {word}") <= width:
            wrapped[-1] = f"{wrapped[-1]} {word}"
        else:
            wrapped.append(word)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], " ".join(wrapped[lines - 1 :])]
    return [fit_text(line, font, width) for line in wrapped]


def badge_svg(
    *,
    campaign_title: str,
    organization_name: str,
    organizer_name: str,
    accent: colours.RGB,
    theme: str = "light",
) -> bytes:
    """The badge as an SVG document, in the active language."""
    colors = palette(theme, accent)
    title = plain(campaign_title)
    name = plain(organization_name)
    room = WIDTH - TEXT_X - MARGIN
    said = description(name=name, campaign=title)
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "role": "img",
            "aria-label": xml_safe(said),
            "aria-labelledby": "badge-title badge-desc",
            "font-family": FONT_FAMILY,
        },
    )
    ET.SubElement(svg, "title", {"id": "badge-title"}).text = xml_safe(said)
    organizer = plain(organizer_name)
    ET.SubElement(svg, "desc", {"id": "badge-desc"}).text = xml_safe(
        gettext("A campaign by %(organizer)s") % {"organizer": organizer} if organizer else title
    )
    ET.SubElement(
        svg,
        "rect",
        {
            "x": "0.5",
            "y": "0.5",
            "width": str(WIDTH - 1),
            "height": str(HEIGHT - 1),
            "rx": "10",
            "fill": colors.background,
            "stroke": colors.border,
        },
    )
    # The mark: a tick in a disc of the accent.
    ET.SubElement(
        svg,
        "circle",
        {"cx": "32", "cy": str(HEIGHT // 2), "r": "18", "fill": colours.to_hex(accent)},
    )
    ET.SubElement(
        svg,
        "path",
        {
            "d": f"M23.5 {HEIGHT // 2 + 0.5} l5.5 5.5 l11 -11.5",
            "fill": "none",
            "stroke": "#ffffff",
            "stroke-width": "3.2",
            "stroke-linecap": "round",
            "stroke-linejoin": "round",
        },
    )
    lines = _wrap(title, TITLE_SIZE, room, 2) or [""]
    # One title line or two: the three or four lines centred in the badge.
    top = 27 if len(lines) == 1 else 20
    heading_line = ET.SubElement(
        svg,
        "text",
        {"x": str(TEXT_X), "y": str(top), "font-size": str(HEADING_SIZE), "fill": colors.heading},
    )
    heading_line.text = xml_safe(fit_text(heading(), face(HEADING_SIZE), room))
    y = top + 19
    for line in lines:
        title_line = ET.SubElement(
            svg,
            "text",
            {
                "x": str(TEXT_X),
                "y": str(y),
                "font-size": str(TITLE_SIZE),
                "font-weight": "700",
                "fill": colors.title,
            },
        )
        title_line.text = xml_safe(line)
        y += 18
    name_line = ET.SubElement(
        svg,
        "text",
        {"x": str(TEXT_X), "y": str(y), "font-size": str(NAME_SIZE), "fill": colors.name},
    )
    name_line.text = xml_safe(fit_text(signed_by(name), face(NAME_SIZE), room))
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True)
