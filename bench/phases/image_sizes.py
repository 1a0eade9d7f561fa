"""7. The sizes of ``wall.svg`` and ``wall.png`` with every ally the images draw."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from bench.client import get
from bench.modes import Mode
from bench.stack import Stack

# What newsletters and README image proxies carry well (issue 16).
IMAGE_MAX_BYTES = 1_000_000


@dataclass
class ImageSizes:
    """The sizes of ``wall.svg`` and ``wall.png`` with every ally the images draw."""

    drawn: int  # allies drawn (the images stop at their cap)
    bytes: dict[str, int]  # path -> body size


def image_sizes(stack: Stack, mode: Mode) -> ImageSizes:
    sizes: dict[str, int] = {}
    drawn = 0
    for path in (
        "/campaigns/{slug}/wall.svg",
        "/campaigns/{slug}/wall.png",
        "/campaigns/{slug}/wall.svg?theme=dark",
        "/campaigns/{slug}/wall.png?theme=campaign",
    ):
        answer = get(stack.site.port, path.format(slug=stack.slug), timeout=60)
        assert answer.status == 200, (path, answer.status)
        sizes[path.format(slug="<slug>")] = len(answer.body)
        if path.endswith("wall.svg"):
            # One group a tile: what the image draws, up to its cap.
            tree = ET.fromstring(answer.body)  # noqa: S314 - our own application's output
            drawn = len(tree.findall("{http://www.w3.org/2000/svg}g"))
    return ImageSizes(drawn=drawn, bytes=sizes)
