"""SVG logos, drawn into pixels on the server so that the logo pipeline can take them like any
other picture; the SVG itself is never stored or served.

An SVG is a program of sorts: it may ask for other files (``<image href="/etc/…">``, which the
renderer would read from the server's disk), for addresses on the network, for entity expansion
("billion laughs"), for a canvas of any size. So, before anything draws it:

- it is parsed by defusedxml, which refuses entity declarations and external entities;
- every reference (``href``, ``url(…)``, ``@import``) must point inside the document, except
  embedded PNG, JPEG, GIF or WebP pictures (``data:`` addresses), whose sizes are checked too;
- it may hold at most ``MAX_ELEMENTS`` elements nested ``MAX_DEPTH`` deep, and its width,
  height and viewBox must be real sizes;
- what is drawn is the document as parsed here, written out again (without its DTD, comments and
  processing instructions), so that the renderer reads nothing the checks did not see.

It is drawn by resvg (``resvg-py``), which runs no script, fetches nothing from the network,
and here sees only the site's own fonts, into a canvas of at most ``RENDER_SIDE`` pixels a side,
in a process of its own (``svg_worker.py``) bounded in memory and time: a few hundred blurs of
the whole canvas would otherwise hold a web worker for minutes.
"""

from __future__ import annotations

import base64
import binascii
import io
import json
import logging
import math
import re
import subprocess
import sys
import xml.etree.ElementTree as ET
from functools import cache
from pathlib import Path
from urllib.parse import unquote_to_bytes

from defusedxml import DefusedXmlException
from defusedxml.ElementTree import fromstring
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from coalition.images import fonts

logger = logging.getLogger(__name__)

SVG_NAMESPACE = "http://www.w3.org/2000/svg"
# The longer side of the drawing: the wall shows a logo at most 320 pixels wide (its 2x file),
# and the pipeline trims the margins first, so this leaves room for a logo with wide ones.
RENDER_SIDE = 1024
# What the drawing process may use: an ordinary logo takes some 50 ms and 30 MB.
RENDER_SECONDS = 5
RENDER_MEMORY_BYTES = 1024 * 1024 * 1024
_WORKER = Path(__file__).with_name("svg_worker.py")
MAX_ELEMENTS = 20_000
MAX_DEPTH = 64
# Width, height and viewBox beyond this (in user units) are no logo's; nor is a side a hundred
# times the other (it would be a line at the wall's size).
MAX_DIMENSION = 1_000_000
MAX_ASPECT = 100
# Embedded pictures are decoded by the renderer: all of them together at most this many pixels.
MAX_EMBEDDED_PIXELS = 25_000_000
EMBEDDED_FORMATS = {
    "image/png": "PNG",
    "image/jpeg": "JPEG",
    "image/gif": "GIF",
    "image/webp": "WEBP",
}

_URL = re.compile(r"url\(\s*(['\"]?)\s*([^)'\"]*)", re.I)
_LENGTH = re.compile(r"^\s*([+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?)\s*(px|pt|pc|mm|cm|in|)\s*$")
_DATA = re.compile(r"^data:([\w.+/-]+)((?:;[\w=.+-]+)*?)(;base64)?,(.*)$", re.S | re.I)


def looks_like_svg(data: bytes) -> bool:
    """Whether ``data`` is meant as an SVG document (an XML declaration, comments or a doctype may
    come first), so that it is refused or drawn as one rather than called a broken image."""
    head = data[:4096].removeprefix(b"\xef\xbb\xbf").lstrip()
    # No picture format we take starts with "<".
    return head.startswith(b"<") and b"<svg" in head.lower()


def _refused(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _external(reference: str) -> ValidationError:
    return _refused(
        _(
            "The SVG logo refers to another file or address (%(reference)s). Upload an SVG that "
            "holds everything it shows, or a PNG."
        ),
        "svg_external_reference",
        reference=reference[:60],
    )


def _too_complex() -> ValidationError:
    return _refused(
        _(
            "The SVG logo is too complex to draw here (at most %(limit)s elements, drawn within "
            "a few seconds). Upload a simpler version, or a PNG."
        ),
        "svg_too_complex",
        limit=MAX_ELEMENTS,
    )


def _bad_size() -> ValidationError:
    return _refused(
        _(
            "The SVG logo has no usable size: its width, height or viewBox is missing, zero or "
            "far too large. Export it again with a viewBox, or upload a PNG."
        ),
        "svg_size",
    )


def _parse(data: bytes) -> ET.Element:
    """The document, parsed without expanding entities; ValueError when it is no SVG."""
    try:
        root = fromstring(data, forbid_dtd=False, forbid_entities=True, forbid_external=True)
    except DefusedXmlException:
        raise _refused(
            _(
                "The SVG logo declares XML entities, which are not accepted. Export it again as "
                "plain SVG, or upload a PNG."
            ),
            "svg_entities",
        ) from None
    except ET.ParseError as error:
        raise ValueError("not well-formed XML") from error
    if root.tag != f"{{{SVG_NAMESPACE}}}svg":
        raise ValueError("not an SVG document")
    return root


def _check_structure(root: ET.Element) -> None:
    count = 0
    stack = [(root, 1)]
    while stack:
        element, depth = stack.pop()
        count += 1
        if count > MAX_ELEMENTS or depth > MAX_DEPTH:
            raise _too_complex()
        stack.extend((child, depth + 1) for child in element)


def _embedded_pixels(reference: str) -> int:
    """The pixels of the picture in a ``data:`` address; refused unless a raster format we take."""
    match = _DATA.match(reference.strip())
    if not match or match.group(1).lower() not in EMBEDDED_FORMATS:
        raise _external(reference)
    payload = match.group(4)
    try:
        raw = (
            base64.b64decode(re.sub(r"\s", "", payload), validate=True)
            if match.group(3)
            else unquote_to_bytes(payload)
        )
        with Image.open(
            io.BytesIO(raw), formats=[EMBEDDED_FORMATS[match.group(1).lower()]]
        ) as picture:
            width, height = picture.size  # from the header: nothing is decoded here
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_complex() from None
    except (binascii.Error, UnidentifiedImageError, OSError, ValueError, SyntaxError) as error:
        raise ValueError("an embedded picture cannot be read") from error
    return width * height


def _check_references(root: ET.Element) -> None:
    embedded = 0
    for element in root.iter():
        texts = [element.text or ""] if element.tag == f"{{{SVG_NAMESPACE}}}style" else []
        for name, value in element.attrib.items():
            if name == "href" or name.endswith("}href"):
                reference = value.strip()
                if reference.startswith("#"):
                    continue
                embedded += _embedded_pixels(reference)
                if embedded > MAX_EMBEDDED_PIXELS:
                    raise _too_complex()
            else:
                texts.append(value)
        for text in texts:
            if "@import" in text.lower():
                raise _external("@import")
            for _quote, target in _URL.findall(text):
                if not target.strip().startswith("#"):
                    raise _external(f"url({target.strip()})")


def _length(value: str | None) -> float | None:
    """A width or height in user units; None when it is absent or relative (100%)."""
    if value is None:
        return None
    match = _LENGTH.match(value)
    if not match:
        if value.strip().endswith("%") or value.strip() in ("", "auto"):
            return None
        raise _bad_size()
    return float(match.group(1))


def _check_size(root: ET.Element) -> None:
    sizes = [_length(root.get("width")), _length(root.get("height"))]
    view_box = root.get("viewBox")
    if view_box is not None:
        try:
            numbers = [float(number) for number in re.split(r"[\s,]+", view_box.strip())]
        except ValueError:
            raise _bad_size() from None
        if len(numbers) != 4 or not all(math.isfinite(number) for number in numbers):
            raise _bad_size()
        if any(abs(number) > MAX_DIMENSION for number in numbers[:2]):
            raise _bad_size()
        sizes += numbers[2:]
    known = [size for size in sizes if size is not None]
    if not known and view_box is None:
        raise _bad_size()  # nothing says how large it is
    if any(not math.isfinite(size) or size <= 0 or size > MAX_DIMENSION for size in known):
        raise _bad_size()
    width, height = (sizes[2], sizes[3]) if view_box is not None else (sizes[0], sizes[1])
    if width and height and max(width / height, height / width) > MAX_ASPECT:
        raise _bad_size()


@cache
def _font_files() -> list[str]:
    """The site's own faces (``coalition.images.fonts``), for text in a logo: the renderer reads
    no other font, which keeps it from scanning the system's on every logo."""
    face = fonts.face(16)
    paths = [loaded.font.path for loaded in face.text_faces]
    paths += [loaded.font.path for loaded in fonts.face(16, bold=True).text_faces]
    return sorted({str(path) for path in paths if isinstance(path, str)})


def rasterize(data: bytes) -> Image.Image:
    """``data``, an SVG document, drawn into an RGBA picture at most ``RENDER_SIDE`` pixels a
    side, its aspect kept.

    Raises ``ValidationError`` (codes ``svg_entities``, ``svg_external_reference``,
    ``svg_too_complex``, ``svg_size``) for what is refused, and ``ValueError`` for a document
    that cannot be read (the pipeline says so in its own words).
    """
    root = _parse(data)
    _check_structure(root)
    _check_references(root)
    _check_size(root)
    # Written out again: no DTD, comment or processing instruction reaches the renderer.
    png = _draw(ET.tostring(root, encoding="utf-8"))
    try:
        with Image.open(io.BytesIO(png), formats=["PNG"]) as picture:
            width, height = picture.size
            if width > RENDER_SIDE or height > RENDER_SIDE:
                raise ValueError("the renderer drew past its canvas")
            picture.load()
            return picture.convert("RGBA")
    except (OSError, UnidentifiedImageError) as error:
        raise ValueError("the SVG was drawn into no picture") from error


def _draw(document: bytes) -> bytes:
    """The PNG resvg draws of ``document``, by ``svg_worker.py`` in a process of its own."""
    font_files = _font_files()
    options = {
        "width": RENDER_SIDE,
        "height": RENDER_SIDE,
        "skip_system_fonts": bool(font_files),
        "font_files": font_files or None,
        "sans_serif_family": "DejaVu Sans",
        "memory_bytes": RENDER_MEMORY_BYTES,
        "cpu_seconds": RENDER_SECONDS,
    }
    try:
        finished = subprocess.run(  # noqa: S603 - our own script, the document on its input
            [sys.executable, "-I", str(_WORKER), json.dumps(options)],
            input=document,
            capture_output=True,
            timeout=RENDER_SECONDS + 1,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise _too_complex() from None
    if finished.returncode == 0 and finished.stdout:
        return finished.stdout
    error = "".join(finished.stderr.decode("utf-8", "replace").strip().splitlines()[-1:])
    if finished.returncode < 0 or "MemoryError" in error or "limit reached" in error:
        # Ended by the system (past its processor time or its memory), or by resvg's own limit
        # of elements (``<use>`` of ``<use>`` of …).
        logger.info("An SVG logo was refused: its drawing ended with %s", finished.returncode)
        raise _too_complex()
    raise ValueError(f"resvg could not draw the SVG: {error}")
