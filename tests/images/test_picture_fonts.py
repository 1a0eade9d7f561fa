"""Every picture draws every name: accented, Greek and emoji names are never boxes (issue 21, item
12). The wall's PNG and the share card draw with one stack of faces (coalition/images/fonts.py)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from PIL import Image, ImageChops, ImageDraw, ImageFont, features

from coalition.campaigns import share_card
from coalition.images import fonts
from coalition.images.text import clusters, fit_text, plain
from coalition.models import Endorsement
from coalition.wall import picture

NAMES = ("Enfance Numérique Sûre", "Ελληνική Ένωση", "Kinder unterstützen")
FAMILY = "👨\u200d👩\u200d👧"
# Unassigned: no face has it, so every face draws its .notdef glyph (the box) for it.
NO_SUCH_CHARACTER = "\u0378"
INK = (31, 41, 51)
NAME_SIZE = 13
LAYOUT = picture.Layout(columns=1, rows=1, names=True, count=False, more=0)


def _wall_of(name: str) -> Image.Image:
    item = picture.WallItem(
        public_id="a",
        name=name,
        website="https://example.org",
        verified=False,
        country="FR",
        country_name="France",
        sector="NGO",
        logo=None,
        display_width=160,
        display_height=80,
    )
    png = picture.wall_png(title="T", items=[item], total=1, columns=1, count=False)
    return Image.open(io.BytesIO(png)).convert("RGB")


def _name_band(wall: Image.Image) -> Image.Image:
    """The strip of the one tile where its name is drawn, inside the tile's border."""
    x, y = LAYOUT.tile_origin(0)
    top = y + LAYOUT.logo_area_height
    return wall.crop((x + 4, top, x + LAYOUT.tile_width - 4, y + LAYOUT.tile_height - 4))


def _ink(image: Image.Image) -> Image.Image | None:
    """What is drawn on the white tile, as a mask cut to its bounds; None when nothing is."""
    white = Image.new("RGB", image.size, (255, 255, 255))
    mask = ImageChops.difference(image, white).convert("L").point(lambda v: 255 if v > 40 else 0)
    bounds = mask.getbbox()
    return mask.crop(bounds) if bounds else None


def _notdef_glyphs() -> list[Image.Image]:
    """The .notdef glyph of each face a picture could draw in at the names' size: Pillow's own
    and each face of the stack that is installed."""
    candidates = [ImageFont.load_default(size=NAME_SIZE)]
    for name in fonts.REGULAR_FACES:
        try:
            candidates.append(ImageFont.truetype(name, NAME_SIZE))
        except OSError:
            continue
    glyphs = []
    for font in candidates:
        canvas = Image.new("RGB", (60, 40), (255, 255, 255))
        ImageDraw.Draw(canvas).text((30, 20), NO_SUCH_CHARACTER, font=font, fill=INK, anchor="mm")
        glyphs.append(_ink(canvas))
    return glyphs


def _same_glyph(one: Image.Image, other: Image.Image) -> bool:
    # Drawn at other positions, anti-aliasing may move the mask's edge by a pixel.
    if abs(one.width - other.width) > 1 or abs(one.height - other.height) > 1:
        return False
    size = (min(one.width, other.width), min(one.height, other.height))
    difference = ImageChops.difference(one.crop((0, 0, *size)), other.crop((0, 0, *size)))
    differing = sum(1 for value in difference.getdata() if value)
    return differing <= 0.1 * size[0] * size[1]


@pytest.mark.parametrize("name", NAMES)
def test_the_wall_png_draws_each_letter_of_a_name_never_as_a_box(name):
    boxes = _notdef_glyphs()
    letters = sorted({character for character in name if not character.isspace()})

    for letter in letters:
        drawn = _ink(_name_band(_wall_of(letter)))
        assert drawn is not None, letter
        assert not any(_same_glyph(drawn, box) for box in boxes), f"{letter!r} is drawn as a box"


def test_a_box_is_what_the_check_above_would_find():
    """The check is sound: Pillow's own face draws "é" as its box, which the test above sees."""
    font = ImageFont.load_default(size=NAME_SIZE)
    canvas = Image.new("RGB", (60, 40), (255, 255, 255))
    ImageDraw.Draw(canvas).text((30, 20), "é", font=font, fill=INK, anchor="mm")

    assert any(_same_glyph(_ink(canvas), box) for box in _notdef_glyphs())


def test_emoji_are_drawn_in_their_own_colours_and_a_family_as_one_picture():
    heart = _name_band(_wall_of("Nous \u2764\ufe0f les enfants"))
    family = _ink(_name_band(_wall_of(FAMILY)))

    assert [pixel for pixel in heart.getdata() if pixel[0] > 180 and pixel[1] < 90]  # red
    assert not any(_same_glyph(family, box) for box in _notdef_glyphs())
    if features.check("raqm"):
        # Raqm joins the three people into the family's one picture: about one emoji wide.
        assert family.width < 1.5 * family.height


def test_a_character_no_face_has_is_drawn_as_its_code_point():
    face = fonts.face(NAME_SIZE)

    runs = face.runs(f"a{NO_SUCH_CHARACTER}b")

    assert [run.loaded is None for run in runs] == [False, True, False]
    drawn = _ink(_name_band(_wall_of(NO_SUCH_CHARACTER)))
    assert drawn.width > 3 * drawn.height  # "U+0378", not a box
    assert not any(_same_glyph(drawn, box) for box in _notdef_glyphs())


# Real organizations' names in the scripts DejaVu lacks, each drawn in its own Noto face.
SCRIPT_NAMES = {
    "Hindi": ("बचपन बचाओ आंदोलन", "NotoSansDevanagari"),
    "Bengali": ("শিশু সুরক্ষা জোট", "NotoSansBengali"),
    "Tamil": ("குழந்தைகள் நல அமைப்பு", "NotoSansTamil"),
    "Kannada": ("ಮಕ್ಕಳ ಹಕ್ಕುಗಳ ಟ್ರಸ್ಟ್", "NotoSansKannada"),
    "Thai": ("มูลนิธิเพื่อเด็ก", "NotoSansThai"),
    "Burmese": ("ကလေးသူငယ် ကာကွယ်ရေး", "NotoSansMyanmar"),
    "Amharic": ("የሕፃናት ጥበቃ ማኅበር", "NotoSansEthiopic"),
}


@pytest.mark.parametrize("bold", [False, True], ids=["regular", "bold"])
@pytest.mark.parametrize("script", SCRIPT_NAMES)
def test_names_in_indic_thai_burmese_and_ethiopic_script_are_drawn_as_letters(script, bold):
    name, face_name = SCRIPT_NAMES[script]
    face = fonts.face(NAME_SIZE, bold=bold)

    runs = face.runs(name)

    # Every word in its script's face (spaces may come from the text face): no code points.
    assert all(run.loaded is not None for run in runs), [run.text for run in runs]
    words = [run for run in runs if run.text.strip()]
    assert all(Path(run.loaded.font.path).name.startswith(face_name) for run in words)
    drawn = _ink(_name_band(_wall_of(name)))
    assert drawn is not None
    assert not any(_same_glyph(drawn, box) for box in _notdef_glyphs())


def test_names_are_cut_between_clusters_never_inside_an_emoji():
    face = fonts.face(NAME_SIZE)
    name = "Familles " + FAMILY * 12

    cut = fit_text(name, face, 120)

    assert cut.endswith("…")
    assert face.length(cut) <= 120
    assert cut[:-1].rstrip().removeprefix("Familles ").replace(FAMILY, "") == ""
    assert clusters(FAMILY + "é") == [FAMILY, "é"]
    assert clusters("e\u0301x") == ["e\u0301", "x"]


def test_pictures_drop_bidi_overrides_but_keep_emoji_joiners():
    assert plain("\u202eevil\u202c  name\n") == "evil name"
    assert plain(f"{FAMILY} a\u200db") == f"{FAMILY} ab"


def test_the_wall_png_serves_accented_greek_and_emoji_names(client, make_endorsement):
    for name in (*NAMES, FAMILY):
        make_endorsement(status=Endorsement.Status.APPROVED, name=name)

    response = client.get("/campaigns/keep-detection/wall.png")

    assert response.status_code == 200
    description = Image.open(io.BytesIO(response.content)).info["Description"]
    assert all(name in description for name in (*NAMES, FAMILY))


def test_the_share_card_draws_with_the_same_faces():
    card = share_card.Card(
        title="Enfance Numérique Sûre \u2764\ufe0f",
        organizer="Ελληνική Ένωση",
        total=0,
        countries=0,
        items=[],
        accent=(29, 78, 216),
    )

    image = Image.open(io.BytesIO(share_card.render(card))).convert("RGB")

    # The heart in its own red on the blue ground, where the text is white.
    assert [pixel for pixel in image.getdata() if pixel[0] > 180 and pixel[2] < 90]
