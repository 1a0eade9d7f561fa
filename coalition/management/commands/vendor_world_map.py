"""Convert the world map's shapes, once, into ``coalition/campaigns/data/world.json``.

The shapes are those of ``@svg-maps/world`` (npm; MapSVG's world map, CC BY 4.0: see
``coalition/campaigns/data/LICENSE-world-map.md``), already projected into a 1010 × 666 box and
named by
ISO 3166-1 alpha-2 code. Run this only to update them; the result is committed, and nothing is
fetched at run time::

    npm pack @svg-maps/world@2.0.0 && tar xzf svg-maps-world-2.0.0.tgz
    .venv/bin/python manage.py vendor_world_map package/index.js

The outlines are simplified (Ramer–Douglas–Peucker) and rounded to a tenth of a unit, and specks
of islands dropped, so that the whole map stays small enough to put in a page; every country
keeps at least its largest outline.
"""

from __future__ import annotations

import itertools
import json
import math
import re
from pathlib import Path

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django_countries import countries as country_names

OUTPUT = Path(settings.BASE_DIR) / "coalition" / "campaigns" / "data" / "world.json"
SOURCE = "@svg-maps/world 2.0.0 (MapSVG, https://mapsvg.com/maps/world), CC BY 4.0"
# In the source's units (the map is 1010 wide): how far a simplified outline may stray, and the
# smallest outline (by its box's area) worth drawing beside a country's largest one.
TOLERANCE = 0.45
MIN_RING_AREA = 1.5

# Codes outside ISO 3166-1 that name a territory people recognize: drawn as land.
USER_ASSIGNED = {"XK"}  # Kosovo
_TOKEN = re.compile(r"[mMlLzZ]|[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?")

Point = tuple[float, float]


def parse_rings(path: str) -> list[list[Point]]:
    """The closed outlines of an SVG path made of ``m``/``M``, ``l``/``L`` and ``z``."""
    rings: list[list[Point]] = []
    ring: list[Point] = []
    x = y = 0.0
    start = (0.0, 0.0)
    command = ""
    numbers: list[float] = []

    def flush() -> None:
        nonlocal x, y, start, command
        for index in range(0, len(numbers) - 1, 2):
            dx, dy = numbers[index], numbers[index + 1]
            relative = command in "ml"
            x, y = (x + dx, y + dy) if relative else (dx, dy)
            if command in "mM" and index == 0:
                if ring:
                    rings.append(list(ring))
                    ring.clear()
                start = (x, y)
            ring.append((x, y))
        numbers.clear()

    for part in _TOKEN.findall(path):
        if part in "mMlLzZ":
            flush()
            if part in "zZ":
                if ring:
                    rings.append(list(ring))
                    ring.clear()
                x, y = start
            command = part
        else:
            numbers.append(float(part))
    flush()
    if ring:
        rings.append(ring)
    return [ring for ring in rings if len(ring) >= 3]


def _distance(point: Point, start: Point, end: Point) -> float:
    (px, py), (ax, ay), (bx, by) = point, start, end
    dx, dy = bx - ax, by - ay
    if dx == dy == 0:
        return math.hypot(px - ax, py - ay)
    return abs(dy * px - dx * py + bx * ay - by * ax) / math.hypot(dx, dy)


def simplify(points: list[Point], tolerance: float) -> list[Point]:
    """Ramer–Douglas–Peucker, without recursion (outlines have thousands of points)."""
    if len(points) < 3:
        return points
    keep = [False] * len(points)
    keep[0] = keep[-1] = True
    stack = [(0, len(points) - 1)]
    while stack:
        first, last = stack.pop()
        farthest, index = 0.0, first
        for i in range(first + 1, last):
            distance = _distance(points[i], points[first], points[last])
            if distance > farthest:
                farthest, index = distance, i
        if farthest > tolerance:
            keep[index] = True
            stack += [(first, index), (index, last)]
    return [point for point, kept in zip(points, keep, strict=True) if kept]


def _box(points: list[Point]) -> tuple[float, float, float, float]:
    xs, ys = [p[0] for p in points], [p[1] for p in points]
    return min(xs), min(ys), max(xs), max(ys)


def _box_area(points: list[Point]) -> float:
    x0, y0, x1, y1 = _box(points)
    return (x1 - x0) * (y1 - y0)


def _number(value: float) -> str:
    text = f"{value:.1f}".rstrip("0").rstrip(".")
    if text in ("-0", ""):
        return "0"
    return text.replace("0.", ".", 1) if text.startswith(("0.", "-0.")) else text


def path_data(rings: list[list[Point]]) -> str:
    """Compact path data: each outline from its first point, then relative steps, closed."""
    parts = []
    for ring in rings:
        # Rounded first, then differenced: the rounding errors never add up along an outline.
        tenths = [(round(x * 10), round(y * 10)) for x, y in ring]
        steps = [tenths[0]]
        for (ax, ay), (bx, by) in itertools.pairwise(tenths):
            if (bx, by) != (ax, ay):
                steps.append((bx - ax, by - ay))
        if len(steps) < 3:
            continue
        first = f"M{_number(steps[0][0] / 10)} {_number(steps[0][1] / 10)}"
        rest = " ".join(f"{_number(dx / 10)} {_number(dy / 10)}" for dx, dy in steps[1:])
        parts.append(f"{first}l{rest}z")
    return "".join(parts).replace(" -", "-")


def _centre(ring: list[Point]) -> Point:
    """The centre of an outline's area (the middle of its box for a degenerate one)."""
    area = cx = cy = 0.0
    for (ax, ay), (bx, by) in zip(ring, ring[1:] + ring[:1], strict=True):
        cross = ax * by - bx * ay
        area += cross
        cx += (ax + bx) * cross
        cy += (ay + by) * cross
    if abs(area) < 1e-9:
        x0, y0, x1, y1 = _box(ring)
        return (x0 + x1) / 2, (y0 + y1) / 2
    return cx / (3 * area), cy / (3 * area)


def convert(source: dict, *, tolerance: float = TOLERANCE) -> dict:
    """``world.json`` from the package's data (``viewBox`` and ``locations``)."""
    countries: dict[str, dict] = {}
    for location in source["locations"]:
        code = location["id"].upper()
        if not (country_names.name(code) or code in USER_ASSIGNED):
            continue  # the source's own ids for uninhabited islets (UM-…, GO, JU): not ISO codes
        rings = parse_rings(location["path"])
        if not rings:
            continue
        largest = max(rings, key=_box_area)
        kept = [ring for ring in rings if ring is largest or _box_area(ring) >= MIN_RING_AREA]
        simplified = [simplify(ring + ring[:1], tolerance)[:-1] for ring in kept]
        simplified = [ring for ring in simplified if len(ring) >= 3] or [largest]
        # The mainland's box and centre: where a map zooms to and a marker goes.
        x0, y0, x1, y1 = _box(largest)
        cx, cy = _centre(largest)
        countries[code] = {
            "d": path_data(simplified),
            "box": [round(x0, 1), round(y0, 1), round(x1, 1), round(y1, 1)],
            "centre": [round(cx, 1), round(cy, 1)],
        }
    return {"viewBox": source["viewBox"], "source": SOURCE, "countries": countries}


def read_source(path: Path) -> dict:
    """The object the package's ``index.js`` exports (``export default {…}``)."""
    text = path.read_text(encoding="utf-8")
    try:
        return json.loads(text[text.index("{") : text.rindex("}") + 1])
    except ValueError as error:
        raise CommandError(f"{path} does not hold the map's data: {error}") from None


class Command(BaseCommand):
    help = "Convert @svg-maps/world's index.js into coalition/campaigns/data/world.json (run once)."

    def add_arguments(self, parser):
        parser.add_argument("source", type=Path, help="The package's index.js.")
        parser.add_argument("--output", type=Path, default=OUTPUT)
        parser.add_argument("--tolerance", type=float, default=TOLERANCE)

    def handle(self, *args, source: Path, output: Path, tolerance: float, **options) -> None:
        if not source.is_file():
            raise CommandError(f"No such file: {source}")
        data = convert(read_source(source), tolerance=tolerance)
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(
            json.dumps(data, ensure_ascii=False, separators=(",", ":"), sort_keys=True) + "\n",
            encoding="utf-8",
        )
        self.stdout.write(
            f"World map: {len(data['countries'])} countries, "
            f"{output.stat().st_size // 1024} KB written to {output}"
        )
