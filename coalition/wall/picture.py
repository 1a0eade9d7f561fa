"""The wall as tiles: logo sizes that look even, and the wall drawn as SVG and as PNG.

The images are for places where no HTML can go (newsletters, READMEs). They draw only what the
selectors return, read logos through the storage API, and escape every name: the SVG is built
with ElementTree, which escapes text and attributes, never by pasting strings together.
"""

from __future__ import annotations

import base64
import io
import logging
import math
import xml.etree.ElementTree as ET
from collections.abc import Iterable
from dataclasses import dataclass, replace
from functools import cached_property, lru_cache

from django.core.files.storage import default_storage
from django.utils.translation import ngettext
from PIL import Image, ImageChops, ImageDraw, ImageStat
from PIL.PngImagePlugin import PngInfo

from coalition.images import colours
from coalition.images.fonts import face
from coalition.images.logos import LOGO_BOX, fit_logo
from coalition.images.text import fit_text, plain, xml_safe
from coalition.models import Endorsement, Logo

logger = logging.getLogger(__name__)

# LOGO_BOX and fit_logo come from the logo pipeline, which makes the 1x files at the size
# fit_logo gives: each logo is drawn here, and shown on the wall, at its 1x file's own size.

# How many allies an image draws at most; the rest are counted in a "+N more" line.
IMAGE_MAX_ALLIES = 200
IMAGE_DEFAULT_COLUMNS = 5
# What a wall image of IMAGE_MAX_ALLIES logos stays under (tests/wall/test_wall_images.py): each
# logo
# is inlined (SVG) and pasted (PNG) palette-quantized when no colour channel moves by more than
# FAITHFUL_RMS on average (of 255), which no one sees on a logo; a PNG still over it falls back
# to one palette for the whole image.
IMAGE_MAX_BYTES = 1_000_000
PALETTE_COLOURS = (256, 64)  # tried in turn: the smallest faithful one is kept
FAITHFUL_RMS = 4.0


@dataclass(frozen=True)
class WallItem:
    """One tile of the wall: only public fields."""

    public_id: str
    name: str
    website: str
    verified: bool
    country: str
    country_name: str
    sector: str
    logo: Logo | None
    display_width: int
    display_height: int


def wall_items(allies: Iterable[Endorsement]) -> list[WallItem]:
    items = []
    for ally in allies:
        organization = ally.organization
        logo = organization.logo
        width, height = fit_logo(logo.width, logo.height) if logo else LOGO_BOX
        items.append(
            WallItem(
                public_id=ally.public_id,
                name=organization.name,
                website=organization.website,
                verified=ally.verification is not None,
                country=organization.country.code,
                country_name=str(organization.country.name),
                sector=organization.sector.name,
                logo=logo,
                display_width=width,
                display_height=height,
            )
        )
    return items


@dataclass(frozen=True)
class Palette:
    background: str
    card: str
    tile: str
    ink: str
    muted: str
    border: str


PALETTES = {
    "light": Palette("#fbfbf8", "#ffffff", "#ffffff", "#1f2933", "#52606d", "#e4e7eb"),
    "dark": Palette("#14202b", "#1e2d3b", "#f5f6f4", "#f0f4f8", "#bcccdc", "#334e68"),
}


def palette(theme: str, accent: colours.RGB | None = None) -> Palette:
    """The colours of ``theme``. "campaign" is the light one in the campaign's accent (as its
    page and embed are): a tinted ground, the count and the tiles' borders in the accent,
    darkened a little so that it reads on the tint as it does on the page."""
    if theme == "campaign":
        accent = accent or colours.accent_or_default("")
        light = PALETTES["light"]
        return replace(
            light,
            background=colours.to_hex(colours.mix(accent, colours.WHITE, 0.94)),
            ink=colours.to_hex(colours.mix(accent, colours.BLACK, 0.2)),
            border=colours.to_hex(colours.mix(accent, colours.WHITE, 0.65)),
        )
    return PALETTES.get(theme, PALETTES["light"])


@dataclass(frozen=True)
class Layout:
    """Where things go, shared by the SVG and the PNG so that both look alike."""

    columns: int
    rows: int
    names: bool
    count: bool
    more: int
    padding: int = 16
    gap: int = 12
    tile_width: int = 184
    header_height: int = 48
    footer_height: int = 32

    @property
    def logo_area_height(self) -> int:
        return LOGO_BOX[1] + 24

    @property
    def tile_height(self) -> int:
        return self.logo_area_height + (32 if self.names else 0)

    @property
    def width(self) -> int:
        return 2 * self.padding + self.columns * self.tile_width + (self.columns - 1) * self.gap

    @property
    def top(self) -> int:
        return self.padding + (self.header_height if self.count else 0)

    @property
    def height(self) -> int:
        rows_height = self.rows * self.tile_height + max(self.rows - 1, 0) * self.gap
        return self.top + rows_height + (self.footer_height if self.more else 0) + self.padding

    def tile_origin(self, index: int) -> tuple[int, int]:
        row, column = divmod(index, self.columns)
        return (
            self.padding + column * (self.tile_width + self.gap),
            self.top + row * (self.tile_height + self.gap),
        )


def _layout(total: int, drawn: int, *, columns: int, names: bool, count: bool) -> Layout:
    columns = columns or IMAGE_DEFAULT_COLUMNS
    columns = max(1, min(columns, drawn)) if drawn else 1
    return Layout(
        columns=columns,
        rows=math.ceil(drawn / columns),
        names=names,
        count=count,
        more=total - drawn,
    )


def headline(total: int) -> str:
    return ngettext(
        "%(count)s organization stands together",
        "%(count)s organizations stand together",
        total,
    ) % {"count": total}


def _more_line(more: int) -> str:
    return ngettext("+%(count)s more organization", "+%(count)s more organizations", more) % {
        "count": more
    }


def _short(name: str, limit: int = 26) -> str:
    return name if len(name) <= limit else name[: limit - 1].rstrip() + "…"


@dataclass(frozen=True)
class InlineLogo:
    """A logo as the images carry it: PNG bytes at the size it is drawn, palette-quantized when
    that keeps it faithful, and the same pixels decoded, for the PNG wall to paste."""

    png: bytes

    @cached_property
    def image(self) -> Image.Image:  # RGBA; only the PNG wall needs it decoded
        with Image.open(io.BytesIO(self.png)) as picture:
            return picture.convert("RGBA")


def faithful(original: Image.Image, candidate: Image.Image) -> bool:
    """Whether ``candidate`` looks like ``original`` on the tile: both composited on white (the
    tile of either theme), no colour channel off by more than ``FAITHFUL_RMS`` on average."""
    white = Image.new("RGBA", original.size, (255, 255, 255, 255))
    seen = Image.alpha_composite(white, original).convert("RGB")
    shown = Image.alpha_composite(white, candidate).convert("RGB")
    return max(ImageStat.Stat(ImageChops.difference(seen, shown)).rms) <= FAITHFUL_RMS


def inline_logo(data: bytes) -> InlineLogo | None:
    """The smallest faithful PNG of a logo's 1x file (which is already at the size the wall
    draws it), or None when the file cannot be decoded.

    PNG because every SVG viewer shows it (WebP in a data URI is not shown by all of them);
    quantized to a palette of at most 256 colours, with its transparency, when the result stays
    within ``FAITHFUL_RMS`` of the original: about a third of the bytes for a typical logo.
    """
    try:
        with Image.open(io.BytesIO(data)) as source:
            original = source.convert("RGBA")
    except (OSError, ValueError):
        logger.warning("A logo could not be decoded", exc_info=True)
        return None
    best = InlineLogo(png=data)
    for palette_size in PALETTE_COLOURS:
        quantized = original.quantize(
            palette_size, method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        buffer = io.BytesIO()
        quantized.save(buffer, "PNG", optimize=True)
        candidate = quantized.convert("RGBA")
        if len(buffer.getvalue()) >= len(best.png) or not faithful(original, candidate):
            # Fewer colours are never more faithful: the larger palette was the last chance.
            break
        best = InlineLogo(png=buffer.getvalue())
    return best


@lru_cache(maxsize=4096)
def _inline_png(name: str) -> bytes | None:
    """``inline_logo`` of the stored file ``name``, its PNG bytes (about 1.5 KB), kept per
    process: quantizing is most of what drawing a wall costs, every image of every variant
    draws the same logos again after each change, and a logo file is named after its content
    (``logos.storage_name``), so what it gives never changes. A file that cannot be read raises
    (and is tried again next time); one that cannot be decoded is None for good."""
    with default_storage.open(name, "rb") as file:
        found = inline_logo(file.read())
    return None if found is None else found.png


def _read_logo(logo: Logo, cache: dict[str, InlineLogo | None]) -> InlineLogo | None:
    name = logo.png.name
    if name not in cache:
        try:
            png = _inline_png(name)
        except OSError:  # a missing file costs the logo, never the image
            logger.warning("Logo file %s could not be read", name, exc_info=True)
            png = None
        cache[name] = None if png is None else InlineLogo(png=png)
    return cache[name]


def wall_svg(
    *,
    title: str,
    items: list[WallItem],
    total: int,
    theme: str = "light",
    accent: colours.RGB | None = None,
    columns: int = 0,
    names: bool = True,
    count: bool = True,
) -> bytes:
    """An SVG document of the first ``IMAGE_MAX_ALLIES`` items; ``total`` counts them all."""
    drawn = items[:IMAGE_MAX_ALLIES]
    layout = _layout(total, len(drawn), columns=columns, names=names, count=count)
    colors = palette(theme, accent)
    svg = ET.Element(
        "svg",
        {
            "xmlns": "http://www.w3.org/2000/svg",
            "width": str(layout.width),
            "height": str(layout.height),
            "viewBox": f"0 0 {layout.width} {layout.height}",
            "role": "img",
            "aria-labelledby": "wall-title wall-desc",
            "font-family": "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif",
        },
    )
    ET.SubElement(svg, "title", {"id": "wall-title"}).text = xml_safe(f"{title}: {headline(total)}")
    listed = ", ".join(item.name for item in drawn)
    if layout.more:
        listed = f"{listed}, {_more_line(layout.more)}"
    ET.SubElement(svg, "desc", {"id": "wall-desc"}).text = xml_safe(listed)
    ET.SubElement(
        svg,
        "rect",
        {"width": "100%", "height": "100%", "fill": colors.background},
    )
    if count:
        heading = ET.SubElement(
            svg,
            "text",
            {
                "x": str(layout.padding),
                "y": str(layout.padding + 24),
                "font-size": "20",
                "font-weight": "600",
                "fill": colors.ink,
            },
        )
        heading.text = xml_safe(headline(total))

    logos: dict[str, InlineLogo | None] = {}
    box_width, box_height = layout.tile_width, layout.logo_area_height
    for index, item in enumerate(drawn):
        x, y = layout.tile_origin(index)
        group = ET.SubElement(svg, "g", {"transform": f"translate({x} {y})"})
        ET.SubElement(group, "title").text = xml_safe(item.name)
        ET.SubElement(
            group,
            "rect",
            {
                "width": str(box_width),
                "height": str(layout.tile_height),
                "rx": "8",
                "fill": colors.card,
                "stroke": colors.border,
            },
        )
        ET.SubElement(
            group,
            "rect",
            {
                "x": "6",
                "y": "6",
                "width": str(box_width - 12),
                "height": str(box_height - 12),
                "rx": "5",
                "fill": colors.tile,
            },
        )
        logo = _read_logo(item.logo, logos) if item.logo else None
        if logo is not None:
            ET.SubElement(
                group,
                "image",
                {
                    "x": str((box_width - item.display_width) // 2),
                    "y": str((box_height - item.display_height) // 2),
                    "width": str(item.display_width),
                    "height": str(item.display_height),
                    "href": "data:image/png;base64," + base64.b64encode(logo.png).decode("ascii"),
                },
            )
        elif not names:
            # Without a logo and without names the tile would be blank: name it in the tile.
            placeholder = ET.SubElement(
                group,
                "text",
                {
                    "x": str(box_width // 2),
                    "y": str(box_height // 2 + 5),
                    "font-size": "13",
                    "text-anchor": "middle",
                    "fill": "#1f2933",
                },
            )
            placeholder.text = xml_safe(_short(item.name))
        if names:
            label = ET.SubElement(
                group,
                "text",
                {
                    "x": str(box_width // 2),
                    "y": str(box_height + 18),
                    "font-size": "13",
                    "text-anchor": "middle",
                    "fill": colors.ink,
                },
            )
            label.text = xml_safe(_short(item.name))
    if layout.more:
        more = ET.SubElement(
            svg,
            "text",
            {
                "x": str(layout.padding),
                "y": str(layout.height - layout.padding - 8),
                "font-size": "14",
                "fill": colors.muted,
            },
        )
        more.text = _more_line(layout.more)
    return ET.tostring(svg, encoding="utf-8", xml_declaration=True)


def wall_png(
    *,
    title: str,
    items: list[WallItem],
    total: int,
    theme: str = "light",
    accent: colours.RGB | None = None,
    columns: int = 0,
    names: bool = True,
    count: bool = True,
) -> bytes:
    """A PNG of the first ``IMAGE_MAX_ALLIES`` items, laid out like ``wall_svg``."""
    drawn = items[:IMAGE_MAX_ALLIES]
    layout = _layout(total, len(drawn), columns=columns, names=names, count=count)
    colors = palette(theme, accent)
    image = Image.new("RGB", (layout.width, layout.height), colors.background)
    draw = ImageDraw.Draw(image)
    # The faces of the share card (coalition.images.fonts), so that every name is drawn.
    heading_font, name_font = face(20), face(13)
    if count:
        heading_font.draw(
            image, (layout.padding, layout.padding + 6), headline(total), fill=colors.ink
        )
    logos: dict[str, InlineLogo | None] = {}
    box_width, box_height = layout.tile_width, layout.logo_area_height
    for index, item in enumerate(drawn):
        x, y = layout.tile_origin(index)
        draw.rounded_rectangle(
            (x, y, x + box_width - 1, y + layout.tile_height - 1),
            radius=8,
            fill=colors.card,
            outline=colors.border,
        )
        draw.rounded_rectangle(
            (x + 6, y + 6, x + box_width - 7, y + box_height - 7), radius=5, fill=colors.tile
        )
        logo = _read_logo(item.logo, logos) if item.logo else None
        if logo is not None:
            picture = logo.image
            if picture.size != (item.display_width, item.display_height):
                picture = picture.resize(
                    (item.display_width, item.display_height), Image.Resampling.LANCZOS
                )
            position = (
                x + (box_width - item.display_width) // 2,
                y + (box_height - item.display_height) // 2,
            )
            image.paste(picture, position, picture)
        elif not names:
            text = fit_text(plain(item.name), name_font, box_width - 24)
            name_font.draw(
                image,
                (x + box_width // 2, y + box_height // 2),
                text,
                fill="#1f2933",
                anchor="mm",
            )
        if names:
            text = fit_text(plain(item.name), name_font, box_width - 16)
            name_font.draw(
                image,
                (x + box_width // 2, y + box_height + 14),
                text,
                fill=colors.ink,
                anchor="mm",
            )
    if layout.more:
        face(14).draw(
            image,
            (layout.padding, layout.height - layout.padding - layout.footer_height + 8),
            _more_line(layout.more),
            fill=colors.muted,
        )
    # The PNG's own title and description name everyone drawn, like the SVG's <title>/<desc>.
    info = PngInfo()
    info.add_itxt("Title", f"{title}: {headline(total)}")
    info.add_itxt("Description", ", ".join(item.name for item in drawn))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True, pnginfo=info)
    if buffer.tell() > IMAGE_MAX_BYTES:
        # Photographs among the logos (each faithful on its own palette, but many colours in
        # all): one palette for the whole image, which bands gradients a little but keeps the
        # file one that newsletters and READMEs will take.
        buffer = io.BytesIO()
        shared = image.quantize(
            PALETTE_COLOURS[0], method=Image.Quantize.FASTOCTREE, dither=Image.Dither.NONE
        )
        shared.save(buffer, "PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()
