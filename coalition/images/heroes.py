"""The hero image pipeline: a campaign's banner, re-encoded like the logos
(``coalition.images.logos``).

An upload is never stored or served as it came. It is read up to a bound, decoded in full, turned
upright, converted to sRGB, cropped to the banner's shape when it is taller or wider than that,
stripped of every piece of metadata and written as JPEG and WebP at a few widths (for
``srcset``), under names derived from its pixels, through the default storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
from dataclasses import dataclass
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageCms, ImageOps, UnidentifiedImageError

from coalition.images import logos
from coalition.models import HeroImage

MAX_BYTES = 10 * 1024 * 1024
MAX_PIXELS = 40_000_000
MIN_WIDTH = 960
MIN_HEIGHT = 300
# The banner's shape: wider images are cut at the sides, taller ones at the top and bottom.
MIN_RATIO = 2.0
MAX_RATIO = 3.2
WIDTHS = (640, 960, 1280, 1920)
FORMATS = ("PNG", "JPEG", "WEBP")
FORMAT_NAMES = "JPEG, PNG, WebP"
# Folded into every name, as in coalition.images.logos: when the files made from the same pixels
# change,
# their names change too.
RENDITIONS_VERSION = 1
_DECODE_ERRORS = (OSError, SyntaxError, ValueError, EOFError, IndexError, TypeError)


def _error(message, code: str, **params) -> ValidationError:
    return ValidationError(message, code=code, params=params or None)


def _too_large() -> ValidationError:
    return _error(
        _("The image file is too large. Upload a file of at most %(limit)s MB."),
        "file_too_large",
        limit=MAX_BYTES // (1024 * 1024),
    )


def _undecodable() -> ValidationError:
    return _error(
        _(
            "The image could not be read: the file is damaged or is not an image. "
            "Upload it as %(formats)s."
        ),
        "invalid_image",
        formats=FORMAT_NAMES,
    )


def validate_and_open(file: IO[bytes]) -> Image.Image:
    """Read ``file`` (at most ``MAX_BYTES``), check it and return it decoded.

    Raises ``ValidationError`` with a message for the person who uploaded it and one of the codes
    ``file_too_large``, ``invalid_image``, ``too_many_pixels``, ``too_small``.
    """
    data = logos.read_bounded(file, limit=MAX_BYTES, too_large=_too_large)
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _error(
            _("The image is too large (more than %(megapixels)s megapixels)."),
            "too_many_pixels",
            megapixels=MAX_PIXELS // 1_000_000,
        ) from None
    except (UnidentifiedImageError, *_DECODE_ERRORS):
        raise _undecodable() from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _error(
            _("The image is too large (more than %(megapixels)s megapixels)."),
            "too_many_pixels",
            megapixels=MAX_PIXELS // 1_000_000,
        )
    if width < MIN_WIDTH or height < MIN_HEIGHT:
        raise _error(
            _(
                "The image is too small for a banner. Upload one at least %(width)s pixels wide "
                "and %(height)s pixels high."
            ),
            "too_small",
            width=MIN_WIDTH,
            height=MIN_HEIGHT,
        )
    try:
        image.seek(0)
        image.load()
    except Image.DecompressionBombError:
        raise _undecodable() from None
    except _DECODE_ERRORS:
        raise _undecodable() from None
    return image


@dataclass(frozen=True)
class ProcessedHero:
    digest: str
    image: Image.Image  # Upright, sRGB, in the banner's shape, metadata-free; RGB.


def _to_srgb_rgb(image: Image.Image) -> Image.Image:
    icc = image.info.get("icc_profile")
    if icc and image.mode in ("RGB", "RGBA", "CMYK"):
        try:
            source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
            converted = ImageCms.profileToProfile(
                image, source, ImageCms.createProfile("sRGB"), outputMode="RGB"
            )
            if converted is not None:
                image = converted
        except (ImageCms.PyCMSError, OSError, ValueError, TypeError):
            pass  # a broken profile costs the colours' accuracy, never the image
    if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
        # A banner has no see-through parts: they become white, like the page under it.
        rgba = image.convert("RGBA")
        flat = Image.new("RGB", rgba.size, (255, 255, 255))
        flat.paste(rgba, mask=rgba.getchannel("A"))
        return flat
    try:
        return image.convert("RGB")
    except ValueError:
        raise _undecodable() from None


def _cropped(image: Image.Image) -> Image.Image:
    width, height = image.size
    ratio = width / height
    if ratio > MAX_RATIO:
        keep = round(height * MAX_RATIO)
        left = (width - keep) // 2
        return image.crop((left, 0, left + keep, height))
    if ratio < MIN_RATIO:
        keep = round(width / MIN_RATIO)
        top = (height - keep) // 2
        return image.crop((0, top, width, top + keep))
    return image


def process(image: Image.Image) -> ProcessedHero:
    with contextlib.suppress(*_DECODE_ERRORS):
        image = ImageOps.exif_transpose(image)
    image = _cropped(_to_srgb_rgb(image))
    # A fresh image carries no ``info``: no EXIF, XMP, ICC profile or comment reaches a file.
    image = Image.frombytes("RGB", image.size, image.tobytes())
    digest = hashlib.sha256(
        f"h{RENDITIONS_VERSION}:{image.width}x{image.height}:".encode() + image.tobytes()
    ).hexdigest()
    return ProcessedHero(digest=digest, image=image)


def rendition_widths(width: int) -> list[int]:
    """The widths made for an image ``width`` pixels wide: never wider than it."""
    return [w for w in WIDTHS if w <= width] or [width]


def _encode(image: Image.Image, extension: str) -> bytes:
    buffer = io.BytesIO()
    if extension == "jpg":
        image.save(buffer, "JPEG", quality=82, optimize=True, progressive=True)
    else:
        image.save(buffer, "WEBP", quality=80, method=4)
    return buffer.getvalue()


def _store(name: str, content: bytes) -> None:
    if default_storage.exists(name):
        return
    saved = default_storage.save(name, ContentFile(content))
    if saved != name:  # written meanwhile by another process: keep theirs, the same bytes
        default_storage.delete(saved)


def hero_store(processed: ProcessedHero) -> HeroImage:
    """Write every width as JPEG and WebP and return the ``HeroImage``, reusing an existing one."""
    existing = HeroImage.objects.filter(digest=processed.digest).first()
    if existing is not None:
        return existing
    image = processed.image
    widths = rendition_widths(image.width)
    hero = HeroImage(digest=processed.digest, width=image.width, height=image.height, widths=widths)
    for width in widths:
        size = (width, round(image.height * width / image.width))
        scaled = image if size == image.size else image.resize(size, Image.Resampling.LANCZOS)
        for extension in ("jpg", "webp"):
            _store(hero.file_name(width, extension), _encode(scaled, extension))
    try:
        with transaction.atomic():
            hero.save()
    except IntegrityError:
        hero = HeroImage.objects.get(digest=processed.digest)
    return hero
