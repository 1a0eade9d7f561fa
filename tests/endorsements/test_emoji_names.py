"""Emoji are text: a family, a flag or a heart in a name or a statement is accepted, while the
invisible characters that could reorder or hide text stay refused (issue 21, item 14)."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile

from coalition.endorsements import characters
from coalition.models import Organization
from coalition.reviewing import evidence
from public_site.forms import CleanCharField, SingleLineField
from tests.conftest import image_bytes
from tests.factories import application_form

EMOJI = {
    "family": "👨\u200d👩\u200d👧",
    "rainbow flag": "🏳\ufe0f\u200d🌈",
    "Scotland": "🏴\U000e0067\U000e0062\U000e0073\U000e0063\U000e0074\U000e007f",
    "red heart": "\u2764\ufe0f",
    "coder with a skin tone": "👩🏽\u200d💻",
    "keycap": "1\ufe0f\u20e3",
    "France": "🇫🇷",
    "text-style heart": "\u2764\ufe0e",
}
INVISIBLE = {
    "right-to-left override": "\u202eevil",
    "joiner between letters": "a\u200db",
    "non-joiner between Latin letters": "Uni\u200ccef",
    "non-joiner after an Arabic letter that does not join on": "دا\u200cر",
    "joiner after a Devanagari letter without virama": "क\u200dष",
    "left-to-right isolate": "\u2066name\u2069",
    "zero-width space": "a\u200bb",
    "joiner at the end of an emoji": "👨\u200d",
    "tags outside a flag": "Scotland\U000e0067\U000e0062\U000e007f",
    "unclosed tag sequence": "🏴\U000e0067\U000e0062",
    "NUL": "a\x00b",
    "private use": "a\ue000b",
}


@pytest.mark.parametrize("emoji", EMOJI.values(), ids=EMOJI.keys())
def test_emoji_sequences_are_accepted_in_names_and_statements(emoji):
    name = f"Familles {emoji} Europe"

    assert SingleLineField().clean(name) == name
    assert CleanCharField().clean(f"We stand together {emoji}\nwith children.") is not None
    assert characters.invisible_characters(name) == []


@pytest.mark.parametrize("text", INVISIBLE.values(), ids=INVISIBLE.keys())
def test_invisible_characters_outside_emoji_stay_refused(text):
    with pytest.raises(ValidationError) as refused:
        SingleLineField().clean(text)

    assert refused.value.code == "control"
    assert "invisible control characters" in refused.value.messages[0]


# Where a script writes a (non-)joiner, it is part of the word (RFC 5892's CONTEXTJ rule).
JOINED_WORDS = {
    "Persian: 'we want', the non-joiner between two joining letters": "بنیاد می\u200cخواهیم",
    "Kurdish: a plural with the non-joiner": "خانه\u200cها",
    "Hindi: an explicit half form, the joiner after a virama": "क्\u200dष संस्था",
    "Bengali: the non-joiner after a virama": "শিশু ক্\u200cষমা",
}


@pytest.mark.parametrize("name", JOINED_WORDS.values(), ids=JOINED_WORDS.keys())
def test_joiners_that_a_script_writes_are_kept_in_names_and_pictures(name):
    assert SingleLineField().clean(name) == name
    assert characters.invisible_characters(name) == []
    assert characters.without_invisible(name) == name


def test_a_joiner_in_a_name_does_not_hide_a_lookalike():
    assert evidence.normalize_name("بنیاد می\u200cخواهیم") == evidence.normalize_name(
        "بنیاد میخواهیم"
    )


def test_ordinary_white_space_is_no_control_character_in_a_statement():
    assert CleanCharField().clean("One line.\r\nAnother\tline.") == "One line.\r\nAnother\tline."


def test_an_emoji_sequence_ends_where_its_last_joined_emoji_does():
    family = EMOJI["family"]

    assert characters.emoji_sequence_end(f"{family}x", 0) == len(family)
    # A joiner followed by a letter is not part of the emoji before it.
    assert characters.emoji_sequence_end("👨\u200dx", 0) == 1
    assert characters.emoji_sequence_end("a", 0) is None
    assert characters.without_invisible(f"\u202e{family}\u200d") == family


def test_an_organization_named_with_an_emoji_family_can_apply(client, campaign, sector):
    name = f"Familles {EMOJI['family']} Europe"
    logo = SimpleUploadedFile("logo.png", image_bytes(), content_type="image/png")

    response = client.post(
        "/apply/",
        application_form(
            sector,
            name=name,
            website="familles.example.org",
            country="FR",
            statement=f"Nous {EMOJI['red heart']} les enfants {EMOJI['rainbow flag']}.",
            contact_name="Claire Martin",
            contact_role="Présidente",
            contact_email="claire@familles.example.org",
            preferred_language="fr",
            registry_id=None,
            logo=logo,
        ),
    )

    assert response.status_code in (200, 302, 303), response.content[:2000]
    organization = Organization.objects.get()
    assert organization.name == name
    assert EMOJI["rainbow flag"] in organization.statement
