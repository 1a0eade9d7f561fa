"""The one stack of faces every picture the site draws uses (the wall as PNG, the share card), so
that a name is drawn alike in each: accented, Greek, Cyrillic, Arabic or Chinese letters and emoji
included.

Each character is drawn in the first face of the stack that has it (read from the face's own
character map), emoji in Noto Color Emoji, laid out by Pillow's Raqm where it has it (joined
emoji such as "👨‍👩‍👧" become one picture, right-to-left text is put in order). The faces are
Debian's fonts-dejavu-core, fonts-noto-core, fonts-droid-fallback and fonts-noto-color-emoji
(``make system-deps``), and fonts-liberation where it is installed.

A character that no face has is never drawn as an empty box (which tells a reader nothing): it
is drawn as its code point ("U+0F40" for Tibetan's ka, where fonts-noto-core has no face) in the
text face, so that the name can still be looked up.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from functools import cache

from fontTools.ttLib import TTFont, TTLibError
from PIL import Image, ImageDraw, ImageFont, features

from coalition.images.text import clusters, ignorable

logger = logging.getLogger(__name__)

# The scripts of South and South-East Asia, Georgia and Ethiopia that DejaVu lacks, in Noto
# (Debian's fonts-noto-core): Hindi, Bengali, Punjabi, Gujarati, Odia, Tamil, Telugu, Kannada,
# Malayalam, Sinhala, Thai, Lao, Khmer, Burmese, Georgian, Amharic names.
_NOTO_SCRIPTS = (
    "Devanagari",
    "Bengali",
    "Gurmukhi",
    "Gujarati",
    "Oriya",
    "Tamil",
    "Telugu",
    "Kannada",
    "Malayalam",
    "Sinhala",
    "Thai",
    "Lao",
    "Khmer",
    "Myanmar",
    "Georgian",
    "Ethiopic",
)
# Faces that cover the Latin, Greek, Cyrillic, Armenian, Hebrew and Arabic alphabets (DejaVu),
# then Liberation, then the scripts above (Noto), then Chinese, Japanese and Korean (Droid Sans
# Fallback, which has no bold); Pillow's own (ASCII and a little more) where none is installed.
REGULAR_FACES = (
    "DejaVuSans.ttf",
    "LiberationSans-Regular.ttf",
    *(f"NotoSans{script}-Regular.ttf" for script in _NOTO_SCRIPTS),
    "DroidSansFallbackFull.ttf",
)
BOLD_FACES = (
    "DejaVuSans-Bold.ttf",
    "LiberationSans-Bold.ttf",
    *(f"NotoSans{script}-Bold.ttf" for script in _NOTO_SCRIPTS),
    "DroidSansFallbackFull.ttf",
)
EMOJI_FACES = ("NotoColorEmoji.ttf",)
# Noto Color Emoji holds bitmaps of one size only: drawn at it, then scaled to the text's size.
EMOJI_STRIKE = 109
# Below this code point a symbol (©, ™, ☀, ♥) has text presentation unless U+FE0F asks for the
# emoji; the pictographs above it are emoji by default.
_EMOJI_BY_DEFAULT = 0x1F000
_EMOJI_PRESENTATION = "\ufe0f"
_TEXT_PRESENTATION = "\ufe0e"


def _layout() -> ImageFont.Layout:
    # Raqm shapes joined emoji and right-to-left text; the basic layout still draws each
    # character, just not those two.
    return ImageFont.Layout.RAQM if features.check("raqm") else ImageFont.Layout.BASIC


@dataclass(frozen=True)
class _Loaded:
    font: ImageFont.FreeTypeFont
    characters: frozenset[int] | None  # None: unknown (Pillow's own face), taken as everything

    def has(self, cluster: str) -> bool:
        if self.characters is None:
            return True
        return all(ord(character) in self.characters for character in _drawn(cluster))


def _drawn(cluster: str) -> str:
    """The characters of ``cluster`` that a face must have: not the invisible ones, which shaping
    consumes (joiners, selectors, tags)."""
    return "".join(character for character in cluster if not ignorable(character)) or cluster


@cache
def _character_map(path: str) -> frozenset[int]:
    try:
        with TTFont(path, lazy=True, fontNumber=0) as face:
            return frozenset(face.getBestCmap() or ())
    except (OSError, TTLibError, AssertionError, KeyError):
        logger.warning("The character map of %s could not be read", path, exc_info=True)
        return frozenset()


def _open(name: str, size: int) -> _Loaded | None:
    try:
        font = ImageFont.truetype(name, size, layout_engine=_layout())
    except OSError:
        return None
    return _Loaded(font, _character_map(str(font.path)))


@dataclass(frozen=True)
class Run:
    """Consecutive clusters drawn the same way: in ``loaded``'s face, as emoji, or (``loaded``
    None) as code points."""

    text: str
    loaded: _Loaded | None
    emoji: bool = False


class Face:
    """The stack at one size, regular or bold: measures and draws text."""

    def __init__(self, size: int, *, bold: bool = False) -> None:
        self.size = size
        faces = [_open(name, size) for name in (BOLD_FACES if bold else REGULAR_FACES)]
        self.text_faces = [face for face in faces if face is not None]
        if not self.text_faces:
            logger.warning(
                "None of %s is installed: pictures are drawn in Pillow's own face, which has "
                "ASCII only (make system-deps installs them)",
                ", ".join(REGULAR_FACES),
            )
            self.text_faces = [_Loaded(ImageFont.load_default(size=size), None)]
        self.primary = self.text_faces[0].font
        self.emoji = next(
            (face for face in (_open(name, EMOJI_STRIKE) for name in EMOJI_FACES) if face),
            None,
        )

    def _choose(self, cluster: str) -> tuple[_Loaded | None, bool]:
        """The face for ``cluster`` and whether it is the emoji one."""
        wants_emoji = _TEXT_PRESENTATION not in cluster and (
            _EMOJI_PRESENTATION in cluster or ord(cluster[0]) >= _EMOJI_BY_DEFAULT
        )
        text_face = next((face for face in self.text_faces if face.has(cluster)), None)
        has_emoji = self.emoji is not None and self.emoji.has(cluster)
        if has_emoji and (wants_emoji or text_face is None):
            return self.emoji, True
        return text_face, False

    def runs(self, text: str) -> list[Run]:
        runs: list[Run] = []
        for cluster in clusters(text):
            loaded, emoji = self._choose(cluster)
            if runs and runs[-1].loaded is loaded:
                runs[-1] = Run(runs[-1].text + cluster, loaded, emoji)
            else:
                runs.append(Run(cluster, loaded, emoji))
        return runs

    def _fallback(self, text: str) -> str:
        return " ".join(f"U+{ord(character):04X}" for character in _drawn(text))

    def _run_length(self, run: Run) -> float:
        if run.loaded is None:
            return self.primary.getlength(f" {self._fallback(run.text)} ")
        length = run.loaded.font.getlength(run.text)
        return length * self.size / EMOJI_STRIKE if run.emoji else length

    def length(self, text: str) -> float:
        """How wide ``text`` is drawn, in pixels."""
        return sum(self._run_length(run) for run in self.runs(text))

    def draw(
        self,
        image: Image.Image,
        xy: tuple[float, float],
        text: str,
        *,
        fill: object,
        anchor: str = "la",
    ) -> None:
        """Draw ``text`` on ``image`` (RGB or RGBA) at ``xy``: ``anchor`` as Pillow's, horizontal
        "l" or "m", vertical "a" (the top of the text face's ascender), "m" or "s" (baseline)."""
        runs = self.runs(text)
        x, y = xy
        if anchor[0] == "m":
            x -= sum(self._run_length(run) for run in runs) / 2
        ascent, descent = self.primary.getmetrics()
        baseline = {"a": y + ascent, "m": y + (ascent - descent) / 2, "s": y}[anchor[1]]
        draw = ImageDraw.Draw(image)
        for run in runs:
            if run.loaded is None:
                label = f" {self._fallback(run.text)} "
                draw.text((x, baseline), label, fill=fill, font=self.primary, anchor="ls")
            elif run.emoji:
                self._paste_emoji(image, (x, baseline), run)
            else:
                draw.text((x, baseline), run.text, fill=fill, font=run.loaded.font, anchor="ls")
            x += self._run_length(run)

    def _paste_emoji(self, image: Image.Image, at: tuple[float, float], run: Run) -> None:
        font = run.loaded.font  # type: ignore[union-attr] - an emoji run has its face
        ascent, descent = font.getmetrics()
        width = max(1, math.ceil(font.getlength(run.text)))
        strike = Image.new("RGBA", (width, ascent + descent), (0, 0, 0, 0))
        ImageDraw.Draw(strike).text(
            (0, ascent), run.text, font=font, anchor="ls", embedded_color=True
        )
        scale = self.size / EMOJI_STRIKE
        scaled = strike.resize(
            (max(1, round(strike.width * scale)), max(1, round(strike.height * scale))),
            Image.Resampling.LANCZOS,
        )
        x, baseline = at
        image.paste(scaled, (round(x), round(baseline - ascent * scale)), scaled)


@cache
def face(size: int, *, bold: bool = False) -> Face:
    """The stack at ``size`` pixels, kept per process (opening a face reads its file)."""
    return Face(size, bold=bold)
