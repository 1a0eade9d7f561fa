"""The picture a link to a campaign shows on social sites (``og:image``): 1200 × 630 pixels, in the
campaign's accent colour, with its organizer, title and count and the newest allies' logos.

Drawn with Pillow from the public data only, in the faces of every picture
(``coalition.images.fonts``). Text is drawn, never interpreted, so no name can inject anything;
control and formatting characters outside emoji sequences are dropped first
(``coalition.images.text.plain``), so that none can reorder or hide what is drawn, and the PNG
carries no metadata but its title.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass

from django.core.files.storage import default_storage
from django.utils.translation import ngettext
from PIL import Image, ImageDraw
from PIL.PngImagePlugin import PngInfo

from coalition.campaigns import worldmap
from coalition.images import colours
from coalition.images.fonts import Face, face
from coalition.images.text import fit_text, plain
from coalition.wall.picture import WallItem

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


def _wrap(text: str, font: Face, width: int, lines: int) -> list[str]:
    """``text`` in at most ``lines`` lines of ``width`` pixels, the last one cut with "…"."""
    wrapped: list[str] = []
    for word in text.split():
        if wrapped and font.length(f"{wrapped[-1]} {word}") <= width:
            wrapped[-1] = f"{wrapped[-1]} {word}"
        else:
            wrapped.append(word)
    if len(wrapped) > lines:
        wrapped = [*wrapped[: lines - 1], fit_text(f"{wrapped[lines - 1]} …", font, width)]
    # A single word wider than the card is cut too.
    return [fit_text(line, font, width) for line in wrapped]


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
        font = face(30)
        font.draw(image, (PADDING, y), fit_text(organizer, font, room), fill=WHITE)
        y += 52
    title = plain(card.title)
    items = card.items[:MAX_LOGOS]
    # The largest size that fits the title in three lines (cut after that); a title of three
    # lines leaves room for one row of logos, a shorter one for two.
    for size in (56, 48, 42):
        font = face(size, bold=True)
        lines = _wrap(title, font, room, 3)
        if not lines or not lines[-1].endswith("…"):
            break
    for line in lines:
        font.draw(image, (PADDING, y), line, fill=WHITE)
        y += round(size * 1.18)
    y += 14
    face(36).draw(image, (PADDING, y), headline(card.total, card.countries), fill=WHITE)
    y += 64

    # The logos sit at the bottom, in as many rows (up to two) as the title leaves room for.
    rows_that_fit = (HEIGHT - PADDING + TILE_GAP - y) // (TILE[1] + TILE_GAP)
    rows = max(0, min(2, rows_that_fit, -(-len(items) // COLUMNS)))
    shown = items[: rows * COLUMNS]
    y = HEIGHT - PADDING - rows * TILE[1] - max(rows - 1, 0) * TILE_GAP
    name_font = face(15)
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
            text = fit_text(plain(item.name), name_font, TILE[0] - 16)
            name_font.draw(
                image, (x0 + TILE[0] // 2, y0 + TILE[1] // 2), text, fill=INK, anchor="mm"
            )
    # A title for those who open the file on its own; nothing else about it (no metadata).
    info = PngInfo()
    info.add_itxt("Title", f"{title}: {headline(card.total, card.countries)}")
    buffer = io.BytesIO()
    image.save(buffer, "PNG", optimize=True, pnginfo=info)
    return buffer.getvalue()
