"""Which characters a name or a statement may hold: text, emoji included, but nothing invisible that
could reorder or hide what people read.

Joiners (U+200D), variation selectors (U+FE0E, U+FE0F) and tag characters (U+E0020–E007F) are
part of the text inside an emoji sequence (Unicode's UTS #51): a family is "👨‍👩‍👧", the rainbow
flag "🏳️‍🌈", Scotland's "🏴󠁧󠁢󠁳󠁣󠁴󠁿". The zero-width non-joiner and joiner (U+200C, U+200D) are
also part of the word where the scripts that use them put them: after a virama (Devanagari,
Bengali, Tamil…) or between two Arabic-script letters that would otherwise join (Persian
"می‌خواهیم", Kurdish, Urdu). Where that is so is the rule IDNA2008 gives for domain names
(RFC 5892, CONTEXTJ), read from the ``idna`` package's Unicode data. Anywhere else the
formatting and control characters (bidi overrides and isolates, a joiner between two Latin
letters, NUL…) are refused by the forms and dropped from the pictures.

Python's ``unicodedata`` has no emoji properties, so what counts as an emoji is approximated
from the general category and the emoji blocks (see ``_pictographic``); the grammar of the
sequences is Unicode's.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterator

import idna

ZWNJ = "\u200c"
ZWJ = "\u200d"
TEXT_PRESENTATION = "\ufe0e"
EMOJI_PRESENTATION = "\ufe0f"
KEYCAP = "\u20e3"
TAG_END = "\U000e007f"
_KEYCAP_BASES = frozenset("0123456789#*")
# Categories of characters that are not drawn: controls, formatting (bidi, joiners, tags),
# surrogates and private use.
INVISIBLE_CATEGORIES = frozenset({"Cc", "Cf", "Cs", "Co"})
# Ordinary white space, which a statement may hold.
_WHITE_SPACE = frozenset("\n\r\t")
# The punctuation among the emoji (‼ ⁉ 〰 〽), which their category does not tell.
_PICTOGRAPHIC_PUNCTUATION = frozenset("\u203c\u2049\u3030\u303d")
# Blocks that Unicode reserves for pictographs (Extended_Pictographic), including code points
# newer than this Python's Unicode data, so that next year's emoji join sequences too.
_PICTOGRAPHIC_BLOCKS = ((0x1F000, 0x1FAFF), (0x1FC00, 0x1FFFD))


def _pictographic(character: str) -> bool:
    code = ord(character)
    if any(first <= code <= last for first, last in _PICTOGRAPHIC_BLOCKS):
        return not _modifier(character) and not _regional_indicator(character)
    if code < 0x80:
        return False  # "+" or "<" joined to an emoji is no sequence
    return unicodedata.category(character) in {"So", "Sm"} or (
        character in _PICTOGRAPHIC_PUNCTUATION
    )


def _modifier(character: str) -> bool:
    """A skin tone (U+1F3FB–1F3FF)."""
    return 0x1F3FB <= ord(character) <= 0x1F3FF


def _regional_indicator(character: str) -> bool:
    return 0x1F1E6 <= ord(character) <= 0x1F1FF


def _tag(character: str) -> bool:
    return 0xE0020 <= ord(character) <= 0xE007E


def _element_end(text: str, start: int) -> int | None:
    """Where the emoji at ``start`` ends (a character with its presentation selector, skin tone
    or tag sequence; a keycap; a flag), or None when no emoji starts there."""
    length = len(text)
    first = text[start]
    after = start + 1
    if first in _KEYCAP_BASES:
        # "1️⃣" is 1, U+FE0F, U+20E3; a digit alone is no emoji.
        if after < length and text[after] == EMOJI_PRESENTATION:
            after += 1
        return after + 1 if after < length and text[after] == KEYCAP else None
    if _regional_indicator(first):
        # A flag is a pair of regional indicators ("🇫🇷"); one alone is still a symbol.
        return after + 1 if after < length and _regional_indicator(text[after]) else after
    if not _pictographic(first):
        return None
    if after < length and (
        text[after] in (TEXT_PRESENTATION, EMOJI_PRESENTATION) or _modifier(text[after])
    ):
        after += 1
    if after < length and _tag(text[after]):
        # A tag sequence (a subdivision's flag) counts only when it is closed by U+E007F.
        end = after
        while end < length and _tag(text[end]):
            end += 1
        if end < length and text[end] == TAG_END:
            after = end + 1
    return after


def emoji_sequence_end(text: str, start: int) -> int | None:
    """Where the emoji sequence that starts at ``start`` ends, joined elements included
    ("👨‍👩‍👧" is one), or None when none starts there."""
    end = _element_end(text, start)
    if end is None:
        return None
    while end + 1 < len(text) and text[end] == ZWJ:
        joined = _element_end(text, end + 1)
        if joined is None:
            break  # a joiner before a letter is not part of the emoji
        end = joined
    return end


def _stray(text: str) -> Iterator[tuple[str, bool]]:
    """Each character of ``text`` with whether it is an invisible one out of place: outside
    every emoji sequence, and not a joiner where its script writes one."""
    index = 0
    while index < len(text):
        end = emoji_sequence_end(text, index)
        if end is None:
            character = text[index]
            yield character, invisible(character) and not _joiner_in_word(text, index)
            index += 1
        else:
            for character in text[index:end]:
                yield character, False
            index = end


def _joiner_in_word(text: str, index: int) -> bool:
    """Whether ``text[index]`` is a non-joiner or joiner that its script asks for there."""
    return text[index] in (ZWNJ, ZWJ) and idna.valid_contextj(text, index)


def invisible(character: str) -> bool:
    """Whether ``character`` is a control or formatting character (ordinary white space is not);
    outside an emoji sequence or a word that needs it, such a character is refused."""
    return unicodedata.category(character) in INVISIBLE_CATEGORIES and character not in _WHITE_SPACE


def invisible_characters(text: str) -> list[str]:
    """The control and formatting characters of ``text`` that neither an emoji sequence nor a
    word of a script that writes joiners holds."""
    return [character for character, stray in _stray(text) if stray]


def without_invisible(text: str) -> str:
    """``text`` less its control and formatting characters out of place."""
    return "".join(character for character, stray in _stray(text) if not stray)
