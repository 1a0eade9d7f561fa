"""``logos.validate_header``: the pipeline's checks that need no pixel decoded (an import's
report of a thousand logos), with the same refusals as ``validate_and_open``."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import ValidationError

from coalition.images import logos
from tests.factories import image_bytes


def refusal(check, data: bytes) -> list[str]:
    with pytest.raises(ValidationError) as error:
        check(io.BytesIO(data))
    return error.value.messages


@pytest.mark.parametrize(
    "data",
    [
        image_bytes(size=(20, 20)),  # too small
        b"GIF87a" + b"\0" * 10,  # a header and nothing else
        b"not an image at all",
        b"",
        b"\x89PNG" + b"\0" * (logos.MAX_BYTES + 1),  # too large
    ],
)
def test_it_refuses_what_the_full_check_refuses_with_the_same_words(data):
    assert refusal(logos.validate_header, data) == refusal(logos.validate_and_open, data)


def test_a_sound_logo_and_an_svg_pass():
    logos.validate_header(io.BytesIO(image_bytes()))
    logos.validate_header(
        io.BytesIO(b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 200 100"></svg>')
    )
