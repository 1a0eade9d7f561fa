"""A world map of a campaign's allies, as SVG: each country with allies shaded by their number and
linked to the wall filtered to it, with a legend; no script.

The shapes are vendored in ``coalition/campaigns/data/world.json`` (``manage.py vendor_world_map``;
the
licence is beside it). The map zooms to the countries that have allies, so that a campaign of
European organizations shows Europe, and countries too small to click get a round marker. The
SVG is built with ElementTree, which escapes every text and attribute.
"""

from __future__ import annotations

import json
import math
import xml.etree.ElementTree as ET
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from django.utils.translation import gettext, ngettext, pgettext
from django_countries import countries

from coalition.images import colours
from coalition.images.text import xml_safe
from coalition.web import languages

DATA = Path(__file__).resolve().parent / "data" / "world.json"
# The drawing, in its own units: the map on top, the legend under it.
WIDTH = 1000
MAP_HEIGHT = 600
LEGEND_HEIGHT = 64
HEIGHT = MAP_HEIGHT + LEGEND_HEIGHT
# The smallest box shown (in the shapes' units, on a 1010-wide world): a campaign with allies in
# one country still shows its neighbours.
MIN_VIEW_WIDTH = 150
MARGIN = 0.12
CLASSES = 5
# A country narrower or lower than this on the drawing (in its units) gets a marker this big.
MIN_SHAPE = 9
MARKER_RADIUS = 6
NO_ALLIES = "#dfe3e8"
BORDER = "#ffffff"
INK = "#1f2933"
# Nice numbers for the legend's class boundaries.
_STEPS = (1, 2, 3, 5)


@dataclass(frozen=True)
class Shape:
    d: str
    box: tuple[float, float, float, float]
    centre: tuple[float, float]


@dataclass(frozen=True)
class World:
    view_box: tuple[float, float, float, float]
    shapes: dict[str, Shape]
    source: str


@cache
def world() -> World:
    """The vendored shapes, read once per process."""
    data = json.loads(DATA.read_text(encoding="utf-8"))
    x, y, width, height = (float(part) for part in data["viewBox"].split())
    shapes = {
        code: Shape(d=shape["d"], box=tuple(shape["box"]), centre=tuple(shape["centre"]))
        for code, shape in data["countries"].items()
    }
    return World(view_box=(x, y, width, height), shapes=shapes, source=data["source"])


@dataclass(frozen=True)
class LegendClass:
    low: int
    high: int
    colour: str

    @property
    def label(self) -> str:
        return str(self.low) if self.low == self.high else f"{self.low}–{self.high}"


@dataclass(frozen=True)
class CountryRow:
    """One line of the map's table: a country with allies."""

    code: str
    name: str
    count: int
    url: str
    colour: str


def _nice(value: float) -> int:
    """The number of the 1-2-3-5 series nearest to ``value``."""
    magnitude = 10 ** math.floor(math.log10(max(value, 1)))
    candidates = [step * magnitude for step in _STEPS] + [10 * magnitude]
    return min(candidates, key=lambda candidate: abs(candidate - value))


def legend_classes(maximum: int, accent: colours.RGB) -> list[LegendClass]:
    """Up to ``CLASSES`` classes of counts from 1 to ``maximum``, each with its shade."""
    if maximum <= 0:
        return []
    if maximum <= CLASSES:
        lows = list(range(1, maximum + 1))
    else:
        lows = sorted({_nice(maximum ** (index / CLASSES)) for index in range(CLASSES)})
        lows = [low for low in lows if low <= maximum]
    highs = [low - 1 for low in lows[1:]] + [maximum]
    shades = colours.shades(accent, len(lows))
    return [
        LegendClass(low, high, shade) for low, high, shade in zip(lows, highs, shades, strict=True)
    ]


def _class_for(count: int, classes: list[LegendClass]) -> LegendClass:
    return next(c for c in reversed(classes) if count >= c.low)


def summary(total: int, countries: int) -> str:
    """“12 organizations in 3 countries”, each number with its own plural."""
    organizations = ngettext("%(count)s organization", "%(count)s organizations", total) % {
        "count": total
    }
    return ngettext(
        "%(organizations)s in %(count)s country",
        "%(organizations)s in %(count)s countries",
        countries,
    ) % {"organizations": organizations, "count": countries}


def country_title(name: str, count: int) -> str:
    return ngettext(
        "%(country)s: %(count)s organization", "%(country)s: %(count)s organizations", count
    ) % {"country": name, "count": count}


def _view(shapes: dict[str, Shape], codes: list[str], full: tuple[float, ...]) -> tuple[float, ...]:
    """The part of the world to draw: the countries with allies and a margin, in the drawing's
    proportions, or the whole world without any."""
    boxes = [shapes[code].box for code in codes if code in shapes]
    if not boxes:
        return full
    x0 = min(box[0] for box in boxes)
    y0 = min(box[1] for box in boxes)
    x1 = max(box[2] for box in boxes)
    y1 = max(box[3] for box in boxes)
    width = max(x1 - x0, MIN_VIEW_WIDTH) * (1 + 2 * MARGIN)
    height = max(y1 - y0, MIN_VIEW_WIDTH * MAP_HEIGHT / WIDTH) * (1 + 2 * MARGIN)
    # The drawing's proportions, so that nothing is squeezed.
    if width / height < WIDTH / MAP_HEIGHT:
        width = height * WIDTH / MAP_HEIGHT
    else:
        height = width * MAP_HEIGHT / WIDTH
    width, height = min(width, full[2]), min(height, full[3])
    cx, cy = (x0 + x1) / 2, (y0 + y1) / 2
    left = min(max(cx - width / 2, full[0]), full[0] + full[2] - width)
    top = min(max(cy - height / 2, full[1]), full[1] + full[3] - height)
    return (round(left, 1), round(top, 1), round(width, 1), round(height, 1))


def _overlaps(box: tuple[float, ...], view: tuple[float, ...]) -> bool:
    return not (
        box[2] < view[0]
        or box[0] > view[0] + view[2]
        or box[3] < view[1]
        or box[1] > view[1] + view[3]
    )


@dataclass(frozen=True)
class WorldMap:
    svg: bytes  # a standalone document (with its XML declaration)
    rows: list[CountryRow]  # the countries with allies, most allies first
    legend: list[LegendClass]

    @property
    def markup(self) -> str:
        """The ``<svg>`` element alone, to put in a page."""
        text = self.svg.decode("utf-8")
        return text[text.index("<svg") :]


def world_map(
    *,
    counts: dict[str, int],
    url_for: Callable[[str], str],
    accent: colours.RGB,
    title: str,
    beside_table: bool = False,
    id_prefix: str = "map",
) -> WorldMap:
    """The map of ``counts`` (allies per ISO alpha-2 code), in the active language.

    ``url_for(code)`` is each country's link (the wall filtered to it). On its own the map is an
    image (``role="img"``, named by its ``<title>``) whose links a mouse or a keyboard follows.
    ``beside_table`` is for a page that shows the same numbers and links in a table: there the
    map is for the eye and the mouse only, hidden from screen readers and the keyboard, which
    the table serves (links inside an image would be read as nothing, or twice)."""
    data = world()
    counts = {code.upper(): count for code, count in counts.items() if count > 0}
    classes = legend_classes(max(counts.values(), default=0), accent)
    rows = sorted(
        (
            CountryRow(
                code=code,
                name=str(countries.name(code)) or code,
                count=count,
                url=url_for(code),
                colour=_class_for(count, classes).colour,
            )
            for code, count in counts.items()
        ),
        key=lambda row: (-row.count, languages.collation_key(row.name)),
    )
    view = _view(data.shapes, list(counts), data.view_box)
    scale = min(WIDTH / view[2], MAP_HEIGHT / view[3])

    total = sum(counts.values())
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "viewBox": f"0 0 {WIDTH} {HEIGHT}",
            "width": str(WIDTH),
            "height": str(HEIGHT),
            "class": "world-map",
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
            **(
                {"aria-hidden": "true", "focusable": "false"}
                if beside_table
                else {"role": "img", "aria-labelledby": f"{id_prefix}-title {id_prefix}-desc"}
            ),
        },
    )
    ET.SubElement(svg, "title", {"id": f"{id_prefix}-title"}).text = xml_safe(
        gettext("%(title)s: organizations by country") % {"title": title}
    )
    ET.SubElement(svg, "desc", {"id": f"{id_prefix}-desc"}).text = xml_safe(
        summary(total, len(counts)) + "."
        if counts
        else gettext("No organization has signed on yet.")
    )
    area = ET.SubElement(
        svg,
        "svg",
        {
            "x": "0",
            "y": "0",
            "width": str(WIDTH),
            "height": str(MAP_HEIGHT),
            "viewBox": " ".join(_number(part) for part in view),
            "preserveAspectRatio": "xMidYMid meet",
        },
    )
    # vector-effect is not inherited: each outline keeps its border thin at any zoom.
    land = ET.SubElement(area, "g", {"fill": NO_ALLIES, "stroke": BORDER, "stroke-width": "0.6"})
    for code, shape in data.shapes.items():
        if code not in counts and _overlaps(shape.box, view):
            ET.SubElement(land, "path", {"d": shape.d, "vector-effect": "non-scaling-stroke"})
    allies = ET.SubElement(area, "g", {"stroke": BORDER, "stroke-width": "0.6"})
    marker_radius = MARKER_RADIUS / scale
    for row in sorted(rows, key=lambda row: row.code):
        shape = data.shapes.get(row.code)
        if shape is None:
            continue  # in the table only: a code the shapes do not have
        attributes = {"href": row.url}
        if beside_table:
            attributes["tabindex"] = "-1"
        link = ET.SubElement(allies, "a", attributes)
        ET.SubElement(link, "title").text = xml_safe(country_title(row.name, row.count))
        ET.SubElement(
            link,
            "path",
            {"d": shape.d, "fill": row.colour, "vector-effect": "non-scaling-stroke"},
        )
        width = (shape.box[2] - shape.box[0]) * scale
        height = (shape.box[3] - shape.box[1]) * scale
        if min(width, height) < MIN_SHAPE:
            ET.SubElement(
                link,
                "circle",
                {
                    "cx": _number(shape.centre[0]),
                    "cy": _number(shape.centre[1]),
                    "r": _number(marker_radius),
                    "fill": row.colour,
                    "stroke": INK,
                    "stroke-width": "1",
                    "vector-effect": "non-scaling-stroke",
                },
            )
    _legend(svg, classes)
    return WorldMap(
        svg=ET.tostring(svg, encoding="utf-8", xml_declaration=True), rows=rows, legend=classes
    )


def _legend(svg: ET.Element, classes: list[LegendClass]) -> None:
    legend = ET.SubElement(
        svg, "g", {"transform": f"translate(16 {MAP_HEIGHT + 12})", "font-size": "18"}
    )
    heading = gettext("Organizations per country:")
    ET.SubElement(legend, "text", {"x": "0", "y": "30", "fill": INK}).text = heading
    # About 10 units a character at this size: the swatches start after the heading.
    x = 10 * len(heading) + 24
    entries = [(NO_ALLIES, pgettext("map legend", "none"))] + [(c.colour, c.label) for c in classes]
    for colour, label in entries:
        ET.SubElement(
            legend,
            "rect",
            {
                "x": str(x),
                "y": "12",
                "width": "26",
                "height": "24",
                "rx": "3",
                "fill": colour,
                "stroke": "#9aa5b1",
            },
        )
        ET.SubElement(legend, "text", {"x": str(x + 34), "y": "30", "fill": INK}).text = label
        x += 34 + 14 * max(len(label), 2) + 24
    # The shapes' licence (CC BY 4.0) asks for their credit wherever the map goes.
    ET.SubElement(
        legend,
        "text",
        {
            "x": str(WIDTH - 32),
            "y": "30",
            "fill": "#52606d",
            "font-size": "13",
            "text-anchor": "end",
        },
    ).text = gettext("Map shapes: %(source)s") % {"source": "MapSVG, CC BY 4.0"}


def _number(value: float) -> str:
    return f"{value:.2f}".rstrip("0").rstrip(".")
