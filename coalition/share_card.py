"""The picture a link to a campaign shows on social sites (``og:image``): 1200 × 630 pixels, in the
campaign's accent colour, with its organizer, title and count and the newest allies' logos.

Drawn with Pillow from the public data only. Text is drawn, never interpreted, so no name can
inject anything; control and formatting characters are dropped first, so that none can reorder
or hide what is drawn, and the PNG carries no metadata but its title.
"""

from __future__ import annotations

import io
import logging
import unicodedata
from dataclasses import dataclass
from functools import cache

from django.core.files.storage import default_storage
from django.utils.translation import ngettext
from PIL import Image, ImageDraw, ImageFont
from PIL.PngImagePlugin import PngInfo

from coalition import colours, worldmap
from coalition.images import WallItem

logger = logging.getLogger(__name__)

WIDTH, HEIGHT = 1200, 630
PADDING = 56
COLUMNS = 6
MAX_LOGOS = 12
TILE = (166, 92)
TILE_GAP = 16
LOGO_ROOM = (146, 72)
WHITE = (255, 255, 255)
INK = (31, 41, 51)
# Faces that cover the Latin, Greek and Cyrillic alphabets where the system has them (Debian's
# fonts-dejavu-core); Pillow's own otherwise, which has ASCII only.
REGULAR_FONTS = ("DejaVuSans.ttf", "LiberationSans-Regular.ttf")
BOLD_FONTS = ("DejaVuSans-Bold.ttf", "LiberationSans-Bold.ttf")


def plain(text: str) -> str:
    """``text`` without control or formatting characters (bidi overrides, zero-width joiners,
    NUL…), whitespace runs made single spaces."""
    kept = "".join(
        " " if character.isspace() else character
        for character in text
        if character.isspace() or unicodedata.category(character) not in {"Cc", "Cf", "Cs", "Co"}
    )
    return " ".join(kept.split())


@cache
def _font(size: int, bold: bool = False) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for name in BOLD_FONTS if bold else REGULAR_FONTS:
        try:
            return ImageFont.truetype(name, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def _fit(draw: ImageDraw.ImageDraw, text: str, font, width: int) -> str:
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _wrap(draw: ImageDraw.ImageDraw, text: str, font, width: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width`` pixels, the last one cut with "…"."""
    wrapped: list[str] = []
    for word in text.split():
        if wrapped and draw.textlength(f"{wrapped[-1]} {word}", font=font) <= width:
            wrapped[-1] = f"{wrapped[-1]} {word}"
        else:
            wrapped.append(word)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], _fit(draw, f"{wrapped[lines - 1]} …", font, width)]
    # A single word wider than the card is cut too.
    return [_fit(draw, line, font, width) for line in wrapped]


def headline(total: int, countries: int) -> str:
    if countries:
        return worldmap.summary(total, countries)
    return ngettext(
        "%(count)s organization stands together", "%(count)s organizations stand together", total
    ) % {"count": total}


def _logo(item: WallItem) -> Image.Image | None:
    if item.logo is None:
        return None
    try:
        with default_storage.open(item.logo.png_2x.name, "rb") as file, Image.open(file) as source:
            logo = source.convert("RGBA")
    except (OSError, ValueError):  # a missing or broken file costs the logo, never the card
        logger.warning("Logo %s could not be read for a share card", item.logo, exc_info=True)
        return None
    logo.thumbnail(LOGO_ROOM, Image.Resampling.LANCZOS)
    return logo


@dataclass(frozen=True)
class Card:
    title: str
    organizer: str
    total: int
    countries: int
    items: list[WallItem]
    accent: colours.RGB


def render(card: Card) -> bytes:
    """The PNG of ``card``."""
    image = Image.new("RGB", (WIDTH, HEIGHT), card.accent)
    draw = ImageDraw.Draw(image)
    room = WIDTH - 2 * PADDING
    y = PADDING
    organizer = plain(card.organizer)
    if organizer:
        font = _font(30)
        draw.text((PADDING, y), _fit(draw, organizer, font, room), fill=WHITE, font=font)
        y += 52
    title = plain(card.title)
    items = card.items[:MAX_LOGOS]
    # The largest size that fits the title in three lines (cut after that); a title of three
    # lines leaves room for one row of logos, a shorter one for two.
    for size in (56, 48, 42):
        font = _font(size, bold=True)
        lines = _wrap(draw, title, font, room, 3)
        if not lines or not lines[-1].endswith("…"):
            break
    for line in lines:
        draw.text((PADDING, y), line, fill=WHITE, font=font)
        y += round(size * 1.18)
    y += 14
    font = _font(36)
    draw.text((PADDING, y), headline(card.total, card.countries), fill=WHITE, font=font)
    y += 64

    # The logos sit at the bottom, in as many rows (up to two) as the title leaves room for.
    rows_that_fit = (HEIGHT - PADDING + TILE_GAP - y) // (TILE[1] + TILE_GAP)
    rows = max(0, min(2, rows_that_fit, -(-len(items) // COLUMNS)))
    shown = items[: rows * COLUMNS]
    y = HEIGHT - PADDING - rows * TILE[1] - max(rows - 1, 0) * TILE_GAP
    name_font = _font(15)
    for index, item in enumerate(shown):
        row, column = divmod(index, COLUMNS)
        x0 = PADDING + column * (TILE[0] + TILE_GAP)
        y0 = y + row * (TILE[1] + TILE_GAP)
        draw.rounded_rectangle((x0, y0, x0 + TILE[0], y0 + TILE[1]), radius=10, fill=WHITE)
        logo = _logo(item)
        if logo is not None:
            position = (x0 + (TILE[0] - logo.width) // 2, y0 + (TILE[1] - logo.height) // 2)
            image.paste(logo, position, logo)
        else:
            text = _fit(draw, plain(item.name), name_font, TILE[0] - 16)
            draw.text(
                (x0 + TILE[0] // 2, y0 + TILE[1] // 2), text, fill=INK, font=name_font, anchor="mm"
            )
    # A title for those who open the file on its own; nothing else about it (no metadata).
    info = PngInfo()
    info.add_itxt("Title", f"{title}: {headline(card.total, card.countries)}")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()
