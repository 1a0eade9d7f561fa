from __future__ import annotations

import hashlib
import io
import re
import struct
import zlib
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.utils import timezone
from PIL import Image, ImageFile

from coalition.images import logos
from coalition.models import Endorsement, Logo
from tests.conftest import image_bytes

FILE_FIELDS = ("png", "webp", "png_2x", "webp_2x")


def upload(data: bytes, name: str = "logo.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="application/octet-stream")


def refusal(data: bytes) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        logos.validate_and_open(upload(data))
    return caught.value


def stored_images(logo: Logo) -> dict[str, Image.Image]:
    images = {}
    for field in FILE_FIELDS:
        with default_storage.open(getattr(logo, field).name) as stream:
            image = Image.open(io.BytesIO(stream.read()))
            image.load()
        images[field] = image
    return images


def png_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header says it is ``width`` × ``height``: decoding it would be costly."""
    data = image_bytes((64, 64), mode="L")
    ihdr_at = 8  # after the signature: length (4), b"IHDR" (4), data (13), CRC (4)
    header = bytearray(data[ihdr_at + 8 : ihdr_at + 8 + 13])
    header[0:8] = struct.pack(">II", width, height)
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return data[: ihdr_at + 8] + bytes(header) + crc + data[ihdr_at + 8 + 13 + 4 :]


@pytest.mark.parametrize("fmt", ["PNG", "JPEG", "WEBP", "GIF"])
def test_it_accepts_each_supported_format(db, fmt):
    logo = logos.logo_from_upload(upload(image_bytes((400, 200), fmt=fmt)))

    assert logo.pk is not None
    images = stored_images(logo)
    assert images["png"].format == "PNG"
    assert images["webp"].format == "WEBP"
    assert (logo.width, logo.height) == images["png"].size


def test_it_takes_the_first_frame_of_an_animated_gif(db):
    frames = [Image.new("RGB", (200, 100), "white") for _ in range(2)]
    for frame, colour in zip(frames, ("red", "blue"), strict=True):
        frame.paste(Image.new("RGB", (100, 50), colour), (50, 25))
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100)

    logo = logos.logo_from_upload(upload(buffer.getvalue(), "anim.gif"))

    red, _green, blue, _alpha = stored_images(logo)["png"].convert("RGBA").getpixel((50, 25))
    assert red > 200
    assert blue < 50


def test_it_refuses_a_file_over_the_size_limit(db):
    data = image_bytes((100, 100)) + b"\0" * logos.MAX_BYTES

    error = refusal(data)

    assert error.code == "file_too_large"
    assert "5 MB" in error.messages[0]


def test_it_reads_no_more_than_the_limit_from_a_stream(db):
    class EndlessStream(io.RawIOBase):
        requested = 0

        def readable(self) -> bool:
            return True

        def read(self, size: int = -1) -> bytes:
            assert size != -1, "the stream was read without a limit"
            self.requested += size
            return b"\0" * size

    stream = EndlessStream()

    with pytest.raises(ValidationError) as caught:
        logos.validate_and_open(stream)

    assert caught.value.code == "file_too_large"
    assert stream.requested == logos.MAX_BYTES + 1


def test_it_refuses_a_decompression_bomb_before_decoding_it(db, monkeypatch):
    def no_decoding(self):
        raise AssertionError("the image was decoded")

    monkeypatch.setattr(ImageFile.ImageFile, "load", no_decoding)
    bomb = png_claiming(10_000, 5_000)  # 50 megapixels, under Pillow's own limit
    assert len(bomb) < 1000

    error = refusal(bomb)

    assert error.code == "too_many_pixels"
    assert str(logos.MAX_PIXELS // 1_000_000) in error.messages[0]


def test_it_refuses_a_bomb_beyond_pillows_own_limit(db):
    error = refusal(png_claiming(30_000, 30_000))

    assert error.code == "too_many_pixels"


def test_it_does_not_change_pillows_global_pixel_limit(db):
    before = Image.MAX_IMAGE_PIXELS

    refusal(png_claiming(10_000, 5_000))
    logos.logo_from_upload(upload(image_bytes()))

    assert before == Image.MAX_IMAGE_PIXELS


@pytest.mark.parametrize("size", [(47, 200), (200, 40), (30, 30)])
def test_it_refuses_an_image_too_small_to_be_a_logo(db, size):
    error = refusal(image_bytes(size))

    assert error.code == "too_small"
    assert f"{logos.MIN_SIDE}×{logos.MIN_SIDE}" in error.messages[0]


def test_it_accepts_an_image_at_the_minimum_size(db):
    image = logos.validate_and_open(upload(image_bytes((logos.MIN_SIDE, logos.MIN_SIDE))))

    assert image.size == (logos.MIN_SIDE, logos.MIN_SIDE)


def test_an_svg_is_drawn_into_pixels_rather_than_refused(db):
    # Refused until issue 21 (item 18); tests/images/test_svg_logos.py has the rest.
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    svg += b'<rect width="100" height="100" fill="red"/></svg>'

    image = logos.validate_and_open(upload(svg, "logo.svg"))

    assert image.mode == "RGBA"
    assert image.getpixel((image.width // 2, image.height // 2)) == (255, 0, 0, 255)


@pytest.mark.parametrize("fmt", ["BMP", "TIFF"])
def test_it_refuses_other_image_formats(db, fmt):
    error = refusal(image_bytes((200, 100), fmt=fmt))

    assert error.code == "unsupported_format"


def test_it_refuses_random_bytes(db):
    error = refusal(bytes(range(256)) * 20)

    assert error.code == "invalid_image"
    assert "PNG" in error.messages[0]


def test_it_refuses_an_empty_file(db):
    assert refusal(b"").code == "invalid_image"


@pytest.mark.parametrize("fmt", ["PNG", "JPEG"])
def test_it_refuses_a_truncated_image(db, fmt):
    data = image_bytes((400, 300), fmt=fmt)

    error = refusal(data[: len(data) // 2])

    assert error.code == "invalid_image"


def test_its_messages_are_translatable():
    assert type(logos._too_small().message).__name__ == "__proxy__"


def jpeg_with_gps_and_orientation() -> bytes:
    image = Image.new("RGB", (400, 200), "white")
    image.paste(Image.new("RGB", (200, 100), (20, 90, 160)), (100, 50))
    exif = Image.Exif()
    exif[0x0112] = 6  # Orientation: rotate 90° clockwise to display
    exif[0x010F] = "Camera Maker"
    gps = exif.get_ifd(0x8825)
    gps[1] = "N"
    gps[2] = (52.0, 22.0, 0.0)
    gps[3] = "E"
    gps[4] = (4.0, 53.0, 0.0)
    buffer = io.BytesIO()
    xmp = b'<x:xmpmeta xmlns:x="adobe:ns:meta/">Photographer Secret</x:xmpmeta>'
    image.save(buffer, "JPEG", exif=exif, comment=b"taken at home", xmp=xmp)
    return buffer.getvalue()


def test_the_test_jpeg_carries_gps_and_orientation():
    image = Image.open(io.BytesIO(jpeg_with_gps_and_orientation()))

    assert image.getexif()[0x0112] == 6
    assert image.getexif().get_ifd(0x8825)
    assert image.info.get("comment")
    assert image.info.get("xmp")


def test_it_drops_all_metadata_from_every_stored_file(db):
    logo = logos.logo_from_upload(upload(jpeg_with_gps_and_orientation(), "photo.jpg"))

    for field, image in stored_images(logo).items():
        assert not dict(image.getexif()), field
        for key in ("exif", "xmp", "XML:com.adobe.xmp", "comment", "icc_profile"):
            assert key not in image.info, (field, key)
        with default_storage.open(getattr(logo, field).name) as stream:
            data = stream.read()
        assert b"Camera Maker" not in data, field
        assert b"taken at home" not in data, field
        assert b"Photographer Secret" not in data, field


def test_it_applies_the_exif_orientation(db):
    logo = logos.logo_from_upload(upload(jpeg_with_gps_and_orientation(), "photo.jpg"))

    assert logo.height > logo.width
    for image in stored_images(logo).values():
        assert image.height > image.width


def test_it_drops_an_icc_profile_after_converting_to_srgb(db):
    from PIL import ImageCms

    profile = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    data = image_bytes((200, 100), icc_profile=profile)

    logo = logos.logo_from_upload(upload(data))

    assert all("icc_profile" not in image.info for image in stored_images(logo).values())


def test_it_trims_a_uniform_border(db):
    image = Image.new("RGB", (600, 600), (250, 250, 250))
    image.paste(Image.new("RGB", (200, 100), (10, 120, 40)), (100, 300))

    processed = logos.process(logos.validate_and_open(upload(_png(image))))
    logo = logos.logo_store(processed)

    assert processed.image.size == (200, 100)
    assert (logo.width, logo.height) == logos.fit_logo(200, 100)


def test_it_trims_a_transparent_border_and_keeps_transparency(db):
    image = Image.new("RGBA", (500, 500), (255, 255, 255, 0))
    shape = Image.new("RGBA", (120, 60), (200, 20, 20, 255))
    shape.paste(Image.new("RGBA", (40, 20), (0, 0, 0, 0)), (40, 20))
    image.paste(shape, (50, 400))

    processed = logos.process(logos.validate_and_open(upload(_png(image))))
    logo = logos.logo_store(processed)

    assert processed.image.size == (120, 60)
    assert (logo.width, logo.height) == logos.fit_logo(120, 60)
    stored = stored_images(logo)["png"]
    assert stored.mode == "RGBA"
    assert stored.getpixel((60, 30))[3] == 0
    assert stored.getpixel((5, 5))[3] == 255


def test_it_keeps_a_palette_images_transparency(db):
    image = Image.new("P", (200, 100), 0)
    image.putpalette([255, 255, 255, 200, 0, 0] + [0] * 762)
    image.paste(1, (20, 20, 180, 80))
    buffer = io.BytesIO()
    image.save(buffer, "PNG", transparency=0)

    processed = logos.process(logos.validate_and_open(upload(buffer.getvalue())))
    logo = logos.logo_store(processed)

    assert processed.image.size == (160, 60)
    assert stored_images(logo)["png"].convert("RGBA").getpixel((10, 10)) == (200, 0, 0, 255)


def test_it_refuses_an_image_of_one_flat_colour(db):
    image = Image.new("RGB", (300, 200), (40, 40, 200))

    with pytest.raises(ValidationError) as caught:
        logos.logo_from_upload(upload(_png(image)))

    assert caught.value.code == "blank_image"


def test_it_makes_the_1x_files_at_the_walls_size_and_the_2x_at_twice_it(db):
    logo = logos.logo_from_upload(upload(image_bytes((2000, 400), color=(1, 2, 3))))

    images = stored_images(logo)
    # image_bytes draws a shape half the size, which is what remains after trimming: 1000 × 200,
    # as wide as the wall's box allows (160 px) and the aspect kept.
    assert images["png"].size == images["webp"].size == (160, 32)
    assert images["png_2x"].size == images["webp_2x"].size == (320, 64)
    assert (logo.width, logo.height) == (160, 32)


def test_a_small_logo_is_made_at_the_walls_size_too(db):
    logo = logos.logo_from_upload(upload(image_bytes((200, 120))))

    images = stored_images(logo)
    # 100 × 60 after trimming, which the wall shows at 108 × 65: files of any other size would
    # be scaled by the browser anyway, and the srcset's "1x" and "2x" would not hold.
    assert images["png"].size == (108, 65)
    assert images["png_2x"].size == (216, 130)


def test_it_names_files_by_content_hash(db):
    logo = logos.logo_from_upload(upload(image_bytes()))

    assert len(logo.digest) == 64
    prefix = f"logos/{logo.digest[:2]}/{logo.digest}"
    assert logo.png.name == f"{prefix}-1x.png"
    assert logo.webp.name == f"{prefix}-1x.webp"
    assert logo.png_2x.name == f"{prefix}-2x.png"
    assert logo.webp_2x.name == f"{prefix}-2x.webp"


def test_it_never_stores_the_uploads_name_or_the_original(db, settings):
    data = image_bytes()

    logos.logo_from_upload(upload(data, "secret-board-minutes.png"))

    stored = [path for path in settings.MEDIA_ROOT.rglob("*") if path.is_file()]
    assert len(stored) == 4
    for path in stored:
        assert "secret" not in str(path)
        assert path.read_bytes() != data


def test_the_same_image_twice_gives_the_same_logo(db):
    first = logos.logo_from_upload(upload(image_bytes(), "a.png"))
    second = logos.logo_from_upload(upload(image_bytes(), "b.png"))

    assert first.pk == second.pk
    assert Logo.objects.count() == 1


def test_the_same_pixels_in_another_lossless_format_give_the_same_logo(db):
    first = logos.logo_from_upload(upload(image_bytes(fmt="PNG")))
    second = logos.logo_from_upload(upload(image_bytes(fmt="WEBP", lossless=True)))

    assert first.pk == second.pk


def test_it_reuses_the_row_another_upload_created_meanwhile(db, monkeypatch):
    data = image_bytes()
    existing = logos.logo_from_upload(upload(data))
    real_filter = Logo.objects.filter

    # As if the other upload's row appeared after our lookup: the insert meets the constraint.
    def lost_race(**kwargs):
        raise IntegrityError("UNIQUE constraint failed: coalition_logo.digest")

    monkeypatch.setattr(Logo.objects, "filter", lambda **kw: real_filter(pk=-1))
    monkeypatch.setattr(Logo.objects, "get_or_create", lost_race)

    logo = logos.logo_from_upload(upload(data))

    assert logo.pk == existing.pk


def test_it_writes_through_the_default_storage(db, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {
            "BACKEND": "django.core.files.storage.InMemoryStorage",
        },
    }

    logo = logos.logo_from_upload(upload(image_bytes()))

    assert default_storage.exists(logo.webp_2x.name)
    assert not any(path.is_file() for path in tmp_path.rglob("*"))


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def test_validating_and_processing_write_nothing_until_stored(db, settings):
    processed = logos.process(logos.validate_and_open(upload(image_bytes())))

    assert not any(path.is_file() for path in settings.MEDIA_ROOT.rglob("*"))
    assert not Logo.objects.exists()

    logo = logos.logo_store(processed)

    assert logo.digest == processed.digest
    assert default_storage.exists(logo.png.name)


# --- Every mode Pillow decodes keeps its picture ----------------------------------------------

# The test picture: a mid-grey rectangle on black, with a transparent hole in the middle where
# the mode has alpha. What the pipeline keeps of it is the rectangle, hole included.
PICTURE_SIZE = (200, 100)
SQUARE = (50, 25, 150, 75)
HOLE = (90, 45, 110, 55)


def picture(mode: str, background, square, hole=None, palette: list[int] | None = None):
    image = Image.new(mode, PICTURE_SIZE, background)
    if palette is not None:
        image.putpalette(palette)
    for colour, box in ((square, SQUARE), (hole, HOLE)):
        if colour is not None:
            # An image, not a colour, is pasted: Pillow fills 16-bit modes with 0 whatever
            # colour it is given.
            size = (box[2] - box[0], box[3] - box[1])
            image.paste(Image.new(mode, size, colour), box[:2])
    return image


GREY_PALETTE = [0, 0, 0, 128, 128, 128]
# mode: (background, square, hole or None, expected grey of the square)
PICTURES_BY_MODE = {
    "1": (0, 1, None, 255),
    "L": (0, 128, None, 128),
    "LA": ((0, 255), (128, 255), (0, 0), 128),
    "La": ((0, 255), (128, 255), (0, 0), 128),
    "I": (0, 32768, None, 128),
    "I;16": (0, 32768, None, 128),
    "I;16L": (0, 32768, None, 128),
    "I;16B": (0, 32768, None, 128),
    "I;16N": (0, 32768, None, 128),
    "F": (0.0, 0.5, None, 128),
    "P": (0, 1, None, 128),
    "PA": ((0, 255), (1, 255), (1, 0), 128),
    "RGB": ((0, 0, 0), (128, 128, 128), None, 128),
    "RGBA": ((0, 0, 0, 255), (128, 128, 128, 255), (0, 0, 0, 0), 128),
    "RGBa": ((0, 0, 0, 255), (128, 128, 128, 255), (0, 0, 0, 0), 128),
    "RGBX": ((0, 0, 0, 0), (128, 128, 128, 0), None, 128),
    "CMYK": ((0, 0, 0, 255), (0, 0, 0, 127), None, 128),
    "YCbCr": ((0, 128, 128), (128, 128, 128), None, 128),
    "LAB": ((0, 128, 128), (137, 128, 128), None, 128),  # L* 53.7: sRGB mid-grey
    "HSV": ((0, 0, 0), (0, 0, 128), None, 128),
}


def assert_same_picture(image: Image.Image, *, grey: int, hole: bool, tolerance: int = 3) -> None:
    """``image`` (processed or stored, at any scale) is the rectangle: grey, hole or not."""
    rgba = image.convert("RGBA")
    width, height = rgba.size
    red, green, blue, alpha = rgba.getpixel((width // 5, height // 2))
    assert abs(red - grey) <= tolerance, (red, grey)
    assert abs(green - grey) <= tolerance, (green, grey)
    assert abs(blue - grey) <= tolerance, (blue, grey)
    assert alpha == 255
    centre_alpha = rgba.getpixel((width // 2, height // 2))[3]
    if hole:
        assert centre_alpha == 0
    else:
        assert image.mode == "RGB"
        assert centre_alpha == 255


@pytest.mark.parametrize("mode", list(PICTURES_BY_MODE))
def test_every_mode_pillow_decodes_keeps_its_picture(db, mode):
    background, square, hole, grey = PICTURES_BY_MODE[mode]
    palette = GREY_PALETTE if mode in ("P", "PA") else None

    processed = logos.process(picture(mode, background, square, hole, palette))

    # The black border is trimmed away, the rectangle stays, in its own grey.
    assert processed.image.size == (100, 50)
    assert_same_picture(processed.image, grey=grey, hole=hole is not None)
    logo = logos.logo_store(processed)
    one_x, two_x = logos.rendition_sizes(100, 50)
    for field, image in stored_images(logo).items():
        assert image.size == (one_x if field in ("png", "webp") else two_x), field
        lossy = field.startswith("webp")
        assert_same_picture(image, grey=grey, hole=hole is not None, tolerance=8 if lossy else 3)


@pytest.mark.parametrize("mode", ["I;16", "I", "F"])
def test_a_flat_high_bit_depth_image_is_still_refused(db, mode):
    value = 0.5 if mode == "F" else 32768

    with pytest.raises(ValidationError) as caught:
        logos.process(Image.new(mode, PICTURE_SIZE, value))

    assert caught.value.code == "blank_image"


def test_a_16_bit_image_is_scaled_to_8_bits_not_clipped(db):
    # Pillow's own conversion would make anything above 255 white.
    image = Image.new("I;16", PICTURE_SIZE, 0)
    image.paste(Image.new("I;16", (50, 50), 16384), (50, 25))  # a quarter of full scale
    image.paste(Image.new("I;16", (50, 50), 65535), (100, 25))

    processed = logos.process(image)

    assert processed.image.getpixel((10, 25)) == (64, 64, 64)
    assert processed.image.getpixel((90, 25)) == (255, 255, 255)


def _png_chunk(kind: bytes, data: bytes) -> bytes:
    return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))


def png_16_bit(colour_type: int, samples, *, transparent: tuple[int, ...] | None = None) -> bytes:
    """A PNG of 16 bits a sample, which Pillow cannot write: ``samples(x, y)`` gives a pixel's
    samples (grey, grey+alpha, RGB or RGBA for colour types 0, 4, 2, 6)."""
    width, height = PICTURE_SIZE
    rows = b"".join(
        b"\0"
        + b"".join(
            struct.pack(">" + "H" * len(s), *s) for s in map(samples, range(width), [y] * width)
        )
        for y in range(height)
    )
    header = struct.pack(">IIBBBBB", width, height, 16, colour_type, 0, 0, 0)
    chunks = [_png_chunk(b"IHDR", header)]
    if transparent is not None:
        chunks.append(_png_chunk(b"tRNS", struct.pack(">" + "H" * len(transparent), *transparent)))
    chunks += [_png_chunk(b"IDAT", zlib.compress(rows)), _png_chunk(b"IEND", b"")]
    return b"\x89PNG\r\n\x1a\n" + b"".join(chunks)


def inside(box: tuple[int, int, int, int], x: int, y: int) -> bool:
    return box[0] <= x < box[2] and box[1] <= y < box[3]


def region(background, square, hole=None):
    """``samples(x, y)`` for the test picture."""

    def samples(x: int, y: int):
        if hole is not None and inside(HOLE, x, y):
            return hole
        return square if inside(SQUARE, x, y) else background

    return samples


MID = 0x8000
FULL = 0xFFFF


def saved(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def palette_png_with_transparency() -> bytes:
    image = picture("P", 0, 1, 2, [0, 0, 0, 128, 128, 128, 255, 255, 255])
    return saved(image, "PNG", transparency=bytes([255, 255, 0]))


# name: (the file, expected grey, has a hole, exact: a lossless format)
UPLOADS = {
    "16-bit greyscale PNG": (lambda: png_16_bit(0, region((0,), (MID,))), 128, False, True),
    "16-bit greyscale PNG with a transparent grey": (
        lambda: png_16_bit(0, region((7,), (MID,), (7,)), transparent=(7,)),
        128,
        True,
        True,
    ),
    "16-bit greyscale and alpha PNG": (
        lambda: png_16_bit(4, region((0, FULL), (MID, FULL), (0, 0))),
        128,
        True,
        True,
    ),
    "16-bit RGB PNG": (
        lambda: png_16_bit(2, region((0, 0, 0), (MID, MID, MID))),
        128,
        False,
        True,
    ),
    "16-bit RGBA PNG": (
        lambda: png_16_bit(6, region((0, 0, 0, FULL), (MID, MID, MID, FULL), (0, 0, 0, 0))),
        128,
        True,
        True,
    ),
    "1-bit PNG": (lambda: saved(picture("1", 0, 1), "PNG"), 255, False, True),
    "greyscale PNG": (lambda: saved(picture("L", 0, 128), "PNG"), 128, False, True),
    "greyscale and alpha PNG": (
        lambda: saved(picture("LA", (0, 255), (128, 255), (0, 0)), "PNG"),
        128,
        True,
        True,
    ),
    "palette PNG": (lambda: saved(picture("P", 0, 1, None, GREY_PALETTE), "PNG"), 128, False, True),
    "palette PNG with transparency": (palette_png_with_transparency, 128, True, True),
    "palette GIF with transparency": (
        lambda: saved(picture("P", 0, 1, 2, GREY_PALETTE + [255] * 3), "GIF", transparency=2),
        128,
        True,
        True,
    ),
    "CMYK JPEG": (
        lambda: saved(picture("CMYK", (0, 0, 0, 255), (0, 0, 0, 127)), "JPEG", quality=95),
        128,
        False,
        False,
    ),
    "greyscale JPEG": (lambda: saved(picture("L", 0, 128), "JPEG", quality=95), 128, False, False),
}


@pytest.mark.parametrize("name", list(UPLOADS))
def test_every_kind_of_file_an_accepted_format_carries_keeps_its_picture(db, name):
    make, grey, hole, exact = UPLOADS[name]

    image = logos.validate_and_open(upload(make()))
    processed = logos.process(image)

    width, height = processed.image.size
    if exact:
        assert (width, height) == (100, 50)
    else:  # JPEG rings a pixel or two beyond the edges
        assert abs(width - 100) <= 4
        assert abs(height - 50) <= 4
    assert_same_picture(processed.image, grey=grey, hole=hole, tolerance=3 if exact else 8)
    logo = logos.logo_store(processed)
    for field, stored in stored_images(logo).items():
        tolerance = 3 if exact and field.startswith("png") else 10
        assert_same_picture(stored, grey=grey, hole=hole, tolerance=tolerance)


def test_the_transparent_grey_of_a_16_bit_png_is_told_apart_from_its_neighbours(db):
    # 7 is transparent; 8, one part in 65535 brighter and the same once in 8 bits, is not. The
    # hole is 7 on its left half and 8 on its right half.
    def samples(x: int, y: int) -> tuple[int]:
        if inside(HOLE, x, y):
            return (7,) if x < 100 else (8,)
        return (MID,) if inside(SQUARE, x, y) else (7,)

    data = png_16_bit(0, samples, transparent=(7,))

    processed = logos.process(logos.validate_and_open(upload(data)))

    assert processed.image.size == (100, 50)
    assert processed.image.getpixel((45, 25))[3] == 0
    assert processed.image.getpixel((55, 25)) == (0, 0, 0, 255)
    assert processed.image.getpixel((10, 25)) == (128, 128, 128, 255)


# --- Renditions sized to the box the wall shows them in ---------------------------------------

SITE_CSS = Path(__file__).resolve().parent.parent.parent / "static" / "coalition" / "site.css"
REM = 16  # CSS pixels: the stylesheet never changes the root font size


def css_declarations(selector: str) -> dict[str, str]:
    """The declarations of the stylesheet's top-level rule for ``selector`` (not in @media)."""
    css = SITE_CSS.read_text()
    assert ":root { font-size" not in css
    assert "html { font-size" not in css
    match = re.search(rf"^{re.escape(selector)} \{{([^}}]*)\}}", css, re.MULTILINE)
    assert match, selector
    declarations = {}
    for declaration in match[1].split(";"):
        if declaration.strip():
            name, value = declaration.split(":", 1)
            declarations[name.strip()] = value.strip()
    return declarations


def rem_in_px(value: str) -> int:
    """The rem length in a CSS value such as ``5rem`` or ``min(100%, 10rem)``, in CSS pixels."""
    match = re.search(r"([\d.]+)rem", value)
    assert match, value
    return round(float(match[1]) * REM)


def test_the_pipelines_box_is_the_one_the_wall_stylesheet_gives_a_logo():
    logo = css_declarations(".ally img")

    assert (rem_in_px(logo["max-width"]), rem_in_px(logo["max-height"])) == logos.LOGO_BOX
    # The tile's logo area holds that height: 6.5rem less .75rem of padding above and below.
    tile = css_declarations(".ally .logo")
    assert rem_in_px(tile["height"]) - 2 * rem_in_px(tile["padding"]) == logos.LOGO_BOX[1]


def test_every_display_size_gives_itself_back():
    # The wall computes the size it shows a logo at from its 1x file's size; the 1x files are
    # made at that size. Every size lands in the box after one step, so checking the whole box
    # checks all of them.
    for width in range(1, logos.LOGO_BOX[0] + 1):
        for height in range(1, logos.LOGO_BOX[1] + 1):
            size = logos.fit_logo(width, height)
            assert size[0] <= logos.LOGO_BOX[0]
            assert size[1] <= logos.LOGO_BOX[1]
            assert logos.fit_logo(*size) == size, (width, height)


def image_tag(body: str) -> dict[str, str]:
    match = re.search(r"<img ([^>]*)>", body)
    assert match
    return dict(re.findall(r'([\w-]+)="([^"]*)"', match[1]))


def stored_size(url: str) -> tuple[int, int]:
    name = url.removeprefix(settings.MEDIA_URL)
    with default_storage.open(name) as stream:
        return Image.open(io.BytesIO(stream.read())).size


# Source sizes (the logo is half of each after trimming): the one from the report (240 × 115
# after trimming, whose files were 240 × 115 and 480 × 230 for a tile showing it at 121 × 58),
# a wide wordmark, a square, a tall one, and one smaller than the box.
@pytest.mark.parametrize("size", [(480, 230), (2000, 300), (600, 600), (200, 900), (120, 100)])
def test_the_wall_shows_each_file_at_its_own_size(client, make_endorsement, size):
    endorsement = make_endorsement(status=Endorsement.Status.APPROVED)
    Endorsement.objects.filter(pk=endorsement.pk).update(approved_at=timezone.now())
    organization = endorsement.organization
    organization.logo = logos.logo_from_upload(upload(image_bytes(size)))
    organization.save()
    logo = organization.logo

    one_x = stored_size(logo.png.url)
    assert one_x[0] <= logos.LOGO_BOX[0]
    assert one_x[1] <= logos.LOGO_BOX[1]
    assert one_x == stored_size(logo.webp.url) == (logo.width, logo.height)
    two_x = (2 * one_x[0], 2 * one_x[1])
    assert stored_size(logo.png_2x.url) == stored_size(logo.webp_2x.url) == two_x
    # Aspect kept, to the pixel the rounding allows.
    assert abs(one_x[0] / one_x[1] - size[0] / size[1]) <= size[0] / size[1] / min(one_x)

    for page in ("/", f"/embed/{endorsement.campaign.slug}/"):
        body = client.get(page).content.decode()
        tag = image_tag(body)
        assert (int(tag["width"]), int(tag["height"])) == one_x, page
        assert tag["src"] == logo.png.url
        assert tag["srcset"] == f"{logo.png.url} 1x, {logo.png_2x.url} 2x"
        assert f'srcset="{logo.webp.url} 1x, {logo.webp_2x.url} 2x"' in body


def digest_before_the_resizing(image: Image.Image) -> str:
    """The name the pipeline gave these pixels when its 1x files were fitted to 240 × 120."""
    digest = hashlib.sha256()
    digest.update(f"{image.mode}:{image.width}x{image.height}:".encode())
    digest.update(image.tobytes())
    return digest.hexdigest()


def test_files_made_at_the_new_sizes_never_take_an_old_files_name(db):
    # Logo files are cached forever under their names: a picture stored before the resizing
    # (its files at the old sizes) gets new files under new names when it is uploaded again.
    processed = logos.process(logos.validate_and_open(upload(image_bytes())))

    assert processed.digest != digest_before_the_resizing(processed.image)


def test_a_truncated_upload_is_refused_even_after_a_letter_was_rendered(db, campaign):
    from coalition.campaigns import letter

    try:
        letter.render_pdf("<p>x</p>", campaign=campaign)
    except letter.PDFUnavailable:
        pytest.skip("WeasyPrint cannot run here")
    data = image_bytes((400, 300), fmt="PNG")

    error = refusal(data[: len(data) // 2])

    assert error.code == "invalid_image"
