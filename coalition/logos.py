"""The logo pipeline: refuse what is unsafe or unusable, re-encode the rest.

An upload is never stored or served as it came. It is decoded in full, turned upright, stripped of
every piece of metadata, trimmed of its uniform border, fitted into a fixed box at two densities
and written as PNG and WebP under names derived from its pixels, through the default storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from collections import Counter
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageChops, ImageCms, ImageOps, UnidentifiedImageError

from coalition.models import Logo

MAX_BYTES = 5 * 1024 * 1024
# Far below Pillow's own limit (about 89 megapixels): no logo needs more, and decoding is what
# costs memory, so the header's claim is checked before anything is decoded.
MAX_PIXELS = 25_000_000
MIN_SIDE = 48
BOX_1X = (240, 120)
BOX_2X = (480, 240)
# Pillow's format names. Multi-picture JPEGs from cameras open as "MPO" through the JPEG plugin.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
FORMAT_NAMES = "PNG, JPEG, WebP, GIF"
STORAGE_DIR = "logos"

# How far a pixel may differ from the border colour and still count as border: JPEG noise and
# anti-aliasing would otherwise leave a frame of almost-white around every logo.
_TRIM_TOLERANCE = 24
# Errors Pillow raises for data it cannot decode; anything else is a bug and should surface.
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)

# Signatures of image formats people try that we do not take, so they hear "wrong format"
# rather than "broken file".
_OTHER_IMAGE_SIGNATURES = (
    b"BM",  # BMP
    b"II*\x00",  # TIFF
    b"MM\x00*",  # TIFF
    b"\x00\x00\x01\x00",  # ICO
    b"%PDF",
    b"8BPS",  # Photoshop
)


def _error(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _too_large() -> ValidationError:
    return _error(
        _("The logo file is too large. Upload a file of at most %(limit)s MB."),
        "file_too_large",
        limit=MAX_BYTES // (1024 * 1024),
    )


def _unsupported() -> ValidationError:
    return _error(
        _("This file type is not accepted. Upload the logo as %(formats)s."),
        "unsupported_format",
        formats=FORMAT_NAMES,
    )


def _undecodable() -> ValidationError:
    return _error(
        _(
            "The logo could not be read: the file is damaged or is not an image. "
            "Upload the logo as %(formats)s."
        ),
        "invalid_image",
        formats=FORMAT_NAMES,
    )


def _too_many_pixels() -> ValidationError:
    return _error(
        _(
            "The logo image is too large (more than %(megapixels)s megapixels). "
            "Upload a smaller version."
        ),
        "too_many_pixels",
        megapixels=MAX_PIXELS // 1_000_000,
    )


def _too_small() -> ValidationError:
    return _error(
        _(
            "The logo image is too small to be shown clearly. "
            "Upload one at least %(min)s×%(min)s pixels."
        ),
        "too_small",
        min=MIN_SIDE,
    )


def _blank() -> ValidationError:
    return _error(
        _("The logo image is a single flat colour. Upload the logo itself."),
        "blank_image",
    )


def _looks_like_other_image(head: bytes) -> bool:
    if head.startswith(_OTHER_IMAGE_SIGNATURES):
        return True
    # HEIC and AVIF (what phones save) are ISO media files: "ftyp" at offset 4.
    if head[4:8] == b"ftyp":
        return True
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return text.startswith((b"<?xml", b"<svg", b"<!doctype svg")) or b"<svg" in text[:1024]


def _read_bounded(file: IO[bytes]) -> bytes:
    # Django's uploads know their size; trust it only to refuse early, never to allow.
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > MAX_BYTES:
        raise _too_large()
    if hasattr(file, "seek"):
        # A stream that cannot seek is read from where it is.
        with contextlib.suppress(OSError, ValueError):
            file.seek(0)
    data = file.read(MAX_BYTES + 1)
    if len(data) > MAX_BYTES:
        raise _too_large()
    return data


def validate_and_open(file: IO[bytes]) -> Image.Image:
    """Read ``file`` (at most ``MAX_BYTES``), check it and return its decoded first frame.

    Raises ``ValidationError`` with a message meant for the person who uploaded it and one of the
    codes ``file_too_large``, ``unsupported_format``, ``invalid_image``, ``too_many_pixels``,
    ``too_small``.
    """
    data = _read_bounded(file)
    if not data:
        raise _undecodable()
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        # Pillow's own check, for headers far beyond even its limit. The warning is only an
        # exception where warnings are made errors (the tests); elsewhere our check below acts.
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        raise (_unsupported() if _looks_like_other_image(data[:2048]) else _undecodable()) from None
    except _DECODE_ERRORS:
        raise _undecodable() from None

    # The header's size, read before a single pixel is decoded.
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if min(width, height) < MIN_SIDE:
        raise _too_small()

    try:
        image.seek(0)  # The first frame of an animation.
        image.load()
    except Image.DecompressionBombError:
        raise _too_many_pixels() from None
    except _DECODE_ERRORS:
        raise _undecodable() from None
    return image


@dataclass(frozen=True)
class ProcessedLogo:
    digest: str
    image: Image.Image  # Upright, trimmed, metadata-free; RGB or RGBA.


def _to_srgb(image: Image.Image) -> Image.Image:
    """Convert colours from an embedded ICC profile to sRGB, so they survive dropping it."""
    icc = image.info.get("icc_profile")
    if not icc or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        target = ImageCms.createProfile("sRGB")
        mode = "RGBA" if image.mode == "RGBA" else "RGB"
        return ImageCms.profileToProfile(image, source, target, outputMode=mode) or image
    except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
        # A broken profile is not worth refusing a logo for: the colours stay as they are.
        return image


def _to_rgba(image: Image.Image) -> Image.Image:
    if image.mode == "RGBA":
        return image
    if image.mode in ("I", "I;16", "I;16B", "I;16L", "F"):
        # Pillow cannot go straight from these to RGBA; scale to 8 bits first.
        image = image.convert("L") if image.mode == "F" else image.point(lambda v: v / 256)
        image = image.convert("L")
    # Palette and "LA"/"PA" images keep their transparency through this conversion.
    return image.convert("RGBA")


def _trim(image: Image.Image) -> Image.Image:
    """Cut the uniform border, whose colour is the one most corners share (transparent too)."""
    width, height = image.size
    corners = [
        image.getpixel((0, 0)),
        image.getpixel((width - 1, 0)),
        image.getpixel((0, height - 1)),
        image.getpixel((width - 1, height - 1)),
    ]
    # Fully transparent pixels are the same whatever colour they carry.
    corners = [(0, 0, 0, 0) if pixel[3] == 0 else pixel for pixel in corners]
    border = Counter(corners).most_common(1)[0][0]
    if border[3] == 0:
        mask = image.getchannel("A").point(lambda a: 255 if a > _TRIM_TOLERANCE else 0)
    else:
        difference = ImageChops.difference(image, Image.new("RGBA", image.size, border))
        channels = difference.split()
        strongest = channels[0]
        for channel in channels[1:]:
            strongest = ImageChops.lighter(strongest, channel)
        mask = strongest.point(lambda v: 255 if v > _TRIM_TOLERANCE else 0)
    box = mask.getbbox()
    if box is None:
        raise _blank()
    return image.crop(box)


def _pixel_digest(image: Image.Image) -> str:
    digest = hashlib.sha256()
    digest.update(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def process(image: Image.Image) -> ProcessedLogo:
    """Upright, sRGB, trimmed, metadata-free pixels (RGBA, or RGB when nothing is transparent)
    and their digest. Raises ``ValidationError`` (code ``blank_image``) for a flat image."""
    # Unreadable EXIF: keep the image as stored rather than refuse it.
    with contextlib.suppress(*_DECODE_ERRORS):
        image = ImageOps.exif_transpose(image)
    image = _to_rgba(_to_srgb(image))
    image = _trim(image)
    if image.getchannel("A").getextrema() == (255, 255):
        image = image.convert("RGB")
    # A fresh image carries no ``info``: no EXIF, XMP, ICC profile or comment can reach a file.
    image = Image.frombytes(image.mode, image.size, image.tobytes())
    return ProcessedLogo(digest=_pixel_digest(image), image=image)


def fit(image: Image.Image, box: tuple[int, int]) -> Image.Image:
    """Scale ``image`` down to fit ``box``, keeping its aspect; never scale up."""
    scale = min(box[0] / image.width, box[1] / image.height, 1.0)
    if scale == 1.0:
        return image.copy()
    size = (max(1, round(image.width * scale)), max(1, round(image.height * scale)))
    # Pillow premultiplies alpha while resampling RGBA, so edges get no dark fringe.
    return image.resize(size, Image.Resampling.LANCZOS)


def _encode(image: Image.Image, fmt: str) -> bytes:
    clean = Image.frombytes(image.mode, image.size, image.tobytes())
    buffer = io.BytesIO()
    if fmt == "PNG":
        clean.save(buffer, "PNG", optimize=True)
    else:
        clean.save(buffer, "WEBP", quality=90, method=4)
    return buffer.getvalue()


def storage_name(digest: str, density: str, extension: str) -> str:
    return f"{STORAGE_DIR}/{digest[:2]}/{digest}-{density}.{extension}"


def _store(name: str, content: bytes) -> str:
    # Names come from the content, so a file already there is this very file.
    if default_storage.exists(name):
        return name
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:
        # Another process wrote the same file in the meantime and the storage picked a new
        # name for ours: keep theirs, which has the same bytes.
        default_storage.delete(saved)
    return name


def logo_from_upload(file: IO[bytes]) -> Logo:
    """Validate, process and store an uploaded logo; return its ``Logo`` row.

    The same picture uploaded twice (in any of the accepted formats) gives the same row.
    Raises ``ValidationError`` as ``validate_and_open`` and ``process`` do.
    """
    return logo_store(process(validate_and_open(file)))


def logo_store(processed: ProcessedLogo) -> Logo:
    """Write both sizes as PNG and WebP and return the ``Logo`` row, reusing an existing one.

    Forms call ``validate_and_open`` and ``process`` while validating, so that nothing is written
    for a form that fails; the service that saves the application calls this.
    """
    existing = Logo.objects.filter(digest=processed.digest).first()
    if existing is not None:
        return existing

    one_x = fit(processed.image, BOX_1X)
    two_x = fit(processed.image, BOX_2X)
    digest = processed.digest
    fields = {
        "width": one_x.width,
        "height": one_x.height,
        "png": _store(storage_name(digest, "1x", "png"), _encode(one_x, "PNG")),
        "webp": _store(storage_name(digest, "1x", "webp"), _encode(one_x, "WEBP")),
        "png_2x": _store(storage_name(digest, "2x", "png"), _encode(two_x, "PNG")),
        "webp_2x": _store(storage_name(digest, "2x", "webp"), _encode(two_x, "WEBP")),
    }
    try:
        with transaction.atomic():
            logo, _created = Logo.objects.get_or_create(digest=digest, defaults=fields)
    except IntegrityError:
        # Two uploads of the same picture at once: the other one made the row first.
        logo = Logo.objects.get(digest=digest)
    return logo
