"""The logo pipeline: refuse what is unsafe or unusable, re-encode the rest.

An upload is never stored or served as it came. It is decoded in full (an SVG is drawn into
pixels first, by ``coalition.images.svg``), turned upright, stripped of every piece of metadata,
trimmed of its uniform border, scaled to the size the wall shows it at (and twice that, for
high-density screens) and written as PNG and WebP under names derived from its pixels, through
the default storage.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import math
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from typing import IO

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.signals import setting_changed
from django.db import IntegrityError, transaction
from django.dispatch import receiver
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageChops, ImageCms, ImageMath, ImageOps, UnidentifiedImageError

from coalition.images import svg
from coalition.models import Logo

MAX_BYTES = 5 * 1024 * 1024
# Far below Pillow's own limit (about 89 megapixels): no logo needs more, and decoding is what
# costs memory, so the header's claim is checked before anything is decoded.
MAX_PIXELS = 25_000_000
MIN_SIDE = 48
# The box a logo is shown in on the wall, in CSS pixels: `.ally img` in static/coalition/site.css
# (10rem × 5rem) and the tiles of the wall images. Within it every logo is scaled to cover about
# the same area (LOGO_FILL of the box), so that a wide wordmark and a square emblem look the same
# size. The 1x files are made at exactly that size and the 2x files at twice it.
LOGO_BOX = (160, 80)
LOGO_FILL = 0.55
# Folded into every name: a name, once served, is cached forever (see
# public_site/views/media.py), so whenever the files made from the same pixels change (their
# sizes, the encoders' settings) this changes too, and new files get new names. "2": sized to
# the wall's box rather than 240 × 120.
RENDITIONS_VERSION = 2
# Pillow's format names. Multi-picture JPEGs from cameras open as "MPO" through the JPEG plugin.
FORMATS = ("PNG", "JPEG", "WEBP", "GIF")
# And SVG, which is drawn into pixels before anything else (coalition/images/svg.py).
FORMAT_NAMES = "PNG, JPEG, WebP, GIF, SVG"
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
    return head[4:8] == b"ftyp"


def read_bounded(
    file: IO[bytes],
    *,
    limit: int = MAX_BYTES,
    too_large: Callable[[], ValidationError] = _too_large,
) -> bytes:
    """At most ``limit`` bytes of an upload; ``too_large()`` is raised past that."""
    # Django's uploads know their size; trust it only to refuse early, never to allow.
    size = getattr(file, "size", None)
    if isinstance(size, int) and size > limit:
        raise too_large()
    if hasattr(file, "seek"):
        # A stream that cannot seek is read from where it is.
        with contextlib.suppress(OSError, ValueError):
            file.seek(0)
    data = file.read(limit + 1)
    if len(data) > limit:
        raise too_large()
    return data


def validate_and_open(file: IO[bytes]) -> Image.Image:
    """Read ``file`` (at most ``MAX_BYTES``), check it and return its decoded first frame.

    Raises ``ValidationError`` with a message meant for the person who uploaded it and one of the
    codes ``file_too_large``, ``unsupported_format``, ``invalid_image``, ``too_many_pixels``,
    ``too_small``, or for an SVG those of ``svg.rasterize``.
    """
    data = read_bounded(file)
    if not data:
        raise _undecodable()
    if svg.looks_like_svg(data):
        try:
            image = svg.rasterize(data)
        except ValueError:
            raise _undecodable() from None
        if min(image.size) < MIN_SIDE:
            raise _too_small()
        return image
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


def validate_header(file: IO[bytes]) -> None:
    """The checks of ``validate_and_open`` that need no pixel decoded: the file's size, its
    format and its dimensions, with the same messages. For a report over a thousand files (an
    import's), where decoding each would keep a person waiting; the full pipeline runs when the
    logo is stored. An SVG passes here: its size is known only once drawn."""
    data = read_bounded(file)
    if not data:
        raise _undecodable()
    if svg.looks_like_svg(data):
        return
    try:
        image = Image.open(io.BytesIO(data), formats=FORMATS)
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise _too_many_pixels() from None
    except UnidentifiedImageError:
        raise (_unsupported() if _looks_like_other_image(data[:2048]) else _undecodable()) from None
    except _DECODE_ERRORS:
        raise _undecodable() from None
    width, height = image.size
    if width * height > MAX_PIXELS:
        raise _too_many_pixels()
    if min(width, height) < MIN_SIDE:
        raise _too_small()


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


# 16-bit greyscale modes and the raw layout their bytes are in. Pillow's own conversions of these
# clip to 8 bits instead of scaling ("I;16N" even on the way to "I"), which turns a mid-grey
# into white and a 16-bit logo into a flat image; unpacking the bytes into "I" is exact.
_SIXTEEN_BIT_LAYOUT = {"I;16": "I;16", "I;16L": "I;16", "I;16B": "I;16B", "I;16N": "I;16N"}
_WIDE_MODES = ("I", "F", *_SIXTEEN_BIT_LAYOUT)
# Premultiplied alpha, which Pillow converts to other modes only by way of its straight form.
_PREMULTIPLIED = {"La": "LA", "RGBa": "RGBA"}


def _full_scale(image: Image.Image) -> float:
    """The sample value that stands for white in a 16-bit, 32-bit integer or float image.

    16-bit modes say it themselves. "I" and "F" do not: an "I" image may hold 8-bit or 16-bit
    samples and an "F" image 0-1 or 0-255 ones, so the smallest usual range that holds the
    brightest sample is taken, and the brightest sample itself beyond those.
    """
    if image.mode in _SIXTEEN_BIT_LAYOUT:
        return 65535
    _darkest, brightest = image.getextrema()
    ranges = (1.0, 255, 65535) if image.mode == "F" else (255, 65535)
    for full in ranges:
        if brightest <= full:
            return full
    return brightest


def _wide_to_8_bit(image: Image.Image) -> Image.Image:
    """An "L" image (or "LA", when a transparent sample value is set) from an "I", "I;16*" or
    "F" one, its samples scaled to 0-255 rather than clipped."""
    if image.mode in _SIXTEEN_BIT_LAYOUT:
        wide = Image.frombytes(
            "I", image.size, image.tobytes(), "raw", _SIXTEEN_BIT_LAYOUT[image.mode]
        )
    else:
        wide = image
    scale = 255 / _full_scale(image)
    # In floats, and rounded: converting "F" to "L" truncates (and clips what is below 0).
    grey = wide.convert("F").point(lambda v: v * scale + 0.5).convert("L")
    # A PNG's transparent grey (tRNS) is a 16-bit sample value: compare before scaling, where
    # neighbouring values are still told apart.
    key = image.info.get("transparency")
    if isinstance(key, int | float) and not isinstance(key, bool):
        opaque = ImageMath.lambda_eval(lambda args: args["image"] != key, image=wide)
        grey.putalpha(opaque.convert("L").point(lambda v: 255 if v else 0))
    return grey


def _to_rgba(image: Image.Image) -> Image.Image:
    """RGBA pixels from an image in any mode Pillow decodes, its picture and alpha kept."""
    if image.mode == "RGBA":
        return image
    if image.mode in _PREMULTIPLIED:
        image = image.convert(_PREMULTIPLIED[image.mode])
    elif image.mode in _WIDE_MODES:
        image = _wide_to_8_bit(image)
    try:
        # Palette, "LA" and "PA" images, and "L", "RGB" or "P" ones with a transparent colour,
        # keep their transparency through this conversion; "CMYK", "YCbCr", "LAB" and "HSV"
        # ones are converted to RGB on the way.
        return image.convert("RGBA")
    except ValueError:
        # A mode Pillow decodes but cannot convert: no picture to show, and no reason for a 500.
        raise _undecodable() from None


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
    digest.update(f"r{RENDITIONS_VERSION}:{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def process(image: Image.Image) -> ProcessedLogo:
    """Upright, sRGB, trimmed, metadata-free pixels (RGBA, or RGB when nothing is transparent)
    and their digest, from an image in any mode Pillow decodes. Raises ``ValidationError``
    with the code ``blank_image`` for a flat image, ``invalid_image`` for one in a mode that
    cannot be turned into RGB."""
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


def _scaled_to_box(width: int, height: int, box: tuple[int, int]) -> tuple[int, int]:
    scale = math.sqrt(box[0] * box[1] * LOGO_FILL / (width * height))
    scale = min(scale, box[0] / width, box[1] / height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def fit_logo(width: int, height: int, box: tuple[int, int] = LOGO_BOX) -> tuple[int, int]:
    """Display size for a ``width`` × ``height`` logo: about the same area for every logo,
    never outside ``box``, and a size that gives itself back.

    The 1x files are made at this size and the wall computes the size to show a logo at from
    its 1x file's size, so both must agree. Rounding to whole pixels shifts the aspect a little,
    and with it, for a few sizes in a hundred, the size the next call would give (by a pixel):
    the scaling is repeated until it settles, which takes two or three steps at most
    (``tests/images/test_logos.py`` checks every size in the box).
    """
    if width <= 0 or height <= 0:
        return box
    size = _scaled_to_box(width, height, box)
    for _step in range(8):
        settled = _scaled_to_box(*size, box)
        if settled == size:
            break
        size = settled
    return size


def rendition_sizes(width: int, height: int) -> tuple[tuple[int, int], tuple[int, int]]:
    """Pixel sizes of the 1x and the 2x files for a processed logo of ``width`` × ``height``:
    the size the wall shows it at, and exactly twice that."""
    one_x = fit_logo(width, height)
    return one_x, (2 * one_x[0], 2 * one_x[1])


def _resized(image: Image.Image, size: tuple[int, int]) -> Image.Image:
    if image.size == size:
        return image.copy()
    # Up as well as down: a small logo is shown at the wall's size anyway, and files of exactly
    # the size they are shown at (and twice it) are what the srcset's 1x and 2x promise.
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


def file_url(name: str) -> str:
    """The storage's URL of the logo file ``name``, worked out once per process.

    A page of the wall or the API names hundreds of files, and a storage's ``url()`` costs
    some 10 µs each (``urljoin``); a logo file is named after its content and never changes,
    so neither does its address while the storage settings stay (the stored renderings already
    count on that for a week, so storages must give stable, unsigned URLs). A change of those
    settings (tests override them) forgets every address.
    """
    return _file_url(name)


@lru_cache(maxsize=16384)
def _file_url(name: str) -> str:
    return default_storage.url(name)


@receiver(setting_changed)
def _storage_settings_changed(*, setting: str, **kwargs: object) -> None:
    if setting in ("STORAGES", "MEDIA_URL", "MEDIA_ROOT"):
        _file_url.cache_clear()


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

    one_x_size, two_x_size = rendition_sizes(processed.image.width, processed.image.height)
    one_x = _resized(processed.image, one_x_size)
    two_x = _resized(processed.image, two_x_size)
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
