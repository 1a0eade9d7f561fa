from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from PIL import Image, ImageFile

from coalition import logos
from coalition.models import Logo
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


def test_it_refuses_svg_naming_the_formats_that_work(db):
    svg = b'<?xml version="1.0"?><svg xmlns="http://www.w3.org/2000/svg" width="100" height="100">'
    svg += b'<rect width="100" height="100" fill="red"/></svg>'

    error = refusal(svg)

    assert error.code == "unsupported_format"
    for name in ("PNG", "JPEG", "WebP", "GIF"):
        assert name in error.messages[0]


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

    logo = logos.logo_from_upload(upload(_png(image)))

    assert (logo.width, logo.height) == (200, 100)


def test_it_trims_a_transparent_border_and_keeps_transparency(db):
    image = Image.new("RGBA", (500, 500), (255, 255, 255, 0))
    shape = Image.new("RGBA", (120, 60), (200, 20, 20, 255))
    shape.paste(Image.new("RGBA", (40, 20), (0, 0, 0, 0)), (40, 20))
    image.paste(shape, (50, 400))

    logo = logos.logo_from_upload(upload(_png(image)))

    assert (logo.width, logo.height) == (120, 60)
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

    logo = logos.logo_from_upload(upload(buffer.getvalue()))

    assert (logo.width, logo.height) == (160, 60)
    assert stored_images(logo)["png"].convert("RGBA").getpixel((10, 10)) == (200, 0, 0, 255)


def test_it_refuses_an_image_of_one_flat_colour(db):
    image = Image.new("RGB", (300, 200), (40, 40, 200))

    with pytest.raises(ValidationError) as caught:
        logos.logo_from_upload(upload(_png(image)))

    assert caught.value.code == "blank_image"


def test_it_fits_both_sizes_in_their_boxes_keeping_the_aspect(db):
    logo = logos.logo_from_upload(upload(image_bytes((2000, 400), color=(1, 2, 3))))

    images = stored_images(logo)
    # image_bytes draws a shape half the size, which is what remains after trimming.
    assert images["png"].size == images["webp"].size == (240, 48)
    assert images["png_2x"].size == images["webp_2x"].size == (480, 96)


def test_it_never_scales_up_a_small_logo(db):
    logo = logos.logo_from_upload(upload(image_bytes((200, 120))))

    images = stored_images(logo)
    assert images["png"].size == (100, 60)
    assert images["png_2x"].size == (100, 60)


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
