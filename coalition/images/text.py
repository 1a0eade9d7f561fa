"""Names put into pictures and XML: cut to the room a PNG has, and stripped of what XML 1.0 cannot
carry (SVG, the map, the feed)."""

from __future__ import annotations

import re
import unicodedata
from typing import TYPE_CHECKING

from coalition.endorsements.characters import emoji_sequence_end, without_invisible

if TYPE_CHECKING:
    from coalition.images.fonts import Face

# XML 1.0 cannot carry these at all, not even escaped; a name that somehow holds one must not
# make the image or the feed fail.
_XML_INVALID = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")
# What belongs to the character before it: combining marks, and the formatting characters that
# shaping consumes (joiners, variation selectors are marks already).
_ATTACHED = frozenset({"Mn", "Mc", "Me", "Cf"})


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 does not allow (a name may hold them)."""
    return _XML_INVALID.sub("", text)


def plain(text: str) -> str:
    """``text`` as a picture draws it: without control or formatting characters outside emoji
    sequences (bidi overrides, a stray joiner, NUL…), white space runs made single spaces."""
    spaced = "".join(" " if character.isspace() else character for character in text)
    return " ".join(without_invisible(spaced).split())


def ignorable(character: str) -> bool:
    """Whether ``character`` is never drawn on its own (a joiner, a selector, a tag)."""
    return unicodedata.category(character) == "Cf" or 0xFE00 <= ord(character) <= 0xFE0F


def clusters(text: str) -> list[str]:
    """``text`` as the pieces a reader sees as one: a letter with its accents, an emoji
    sequence whole ("👨‍👩‍👧"), so that neither a font change nor a cut falls inside one."""
    pieces: list[str] = []
    index = 0
    while index < len(text):
        end = emoji_sequence_end(text, index)
        if end is None:
            end = index + 1
            while end < len(text) and unicodedata.category(text[end]) in _ATTACHED:
                end += 1
        pieces.append(text[index:end])
        index = end
    return pieces


def fit_text(text: str, face: Face, width: float) -> str:
    """``text`` as drawn in ``face`` within ``width`` pixels: whole when it fits, else cut
    (between clusters) and ended with "…"."""
    if face.length(text) <= width:
        return text
    pieces = clusters(text)
    # The most clusters that fit with the ellipsis: a search, as measuring shapes the text.
    low, high = 0, len(pieces)
    while low < high:
        middle = (low + high + 1) // 2
        if face.length("".join(pieces[:middle]) + "…") <= width:
            low = middle
        else:
            high = middle - 1
    return "".join(pieces[:low]).rstrip() + "…"
