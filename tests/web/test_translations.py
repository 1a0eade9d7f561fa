"""French and German everywhere: complete catalogs, compiled, and pages without English left."""

from __future__ import annotations

import functools
import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.core.management import call_command
from django.utils import translation

from coalition import services
from coalition.endorsements import tokens
from coalition.jobs import outbox
from coalition.management.commands.compile_catalogs import catalogs, compiled_matches
from coalition.models import Endorsement, Organization

ROOT = Path(__file__).resolve().parent.parent.parent
LANGUAGES = ["fr", "de"]
Status = Endorsement.Status


def _po(language: str) -> polib.POFile:
    return polib.pofile(str(ROOT / "locale" / language / "LC_MESSAGES" / "django.po"))


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_message_is_translated_and_none_is_fuzzy(language):
    catalog = _po(language)

    untranslated = [entry.msgid for entry in catalog.untranslated_entries()]
    fuzzy = [entry.msgid for entry in catalog.fuzzy_entries()]

    assert untranslated == []
    assert fuzzy == []
    assert "fuzzy" not in catalog.metadata_as_entry().flags


@pytest.mark.parametrize("po_path", catalogs(), ids=lambda p: p.parts[-3])
def test_every_compiled_catalog_matches_its_source(po_path):
    assert compiled_matches(po_path), f"{po_path.with_suffix('.mo')} is older than its .po"


def test_every_message_in_the_project_is_in_the_catalogs(tmp_path):
    if not shutil.which("xgettext"):
        pytest.skip("GNU gettext (xgettext) is needed to extract messages; apt-get install gettext")
    copy = tmp_path / "project"
    shutil.copytree(
        ROOT,
        copy,
        ignore=shutil.ignore_patterns(
            ".venv", "node_modules", ".git", "media", "staticfiles", "*.sqlite3", ".*_cache"
        ),
    )
    subprocess.run(
        [
            sys.executable,
            "manage.py",
            "makemessages",
            *("-l", "fr", "-l", "de"),
            *("-e", "html,txt,py"),
            *("--ignore", "tests", "--ignore", "bench"),
            "--no-obsolete",
        ],
        cwd=copy,
        check=True,
        capture_output=True,
    )
    for language in LANGUAGES:
        extracted = polib.pofile(str(copy / "locale" / language / "LC_MESSAGES" / "django.po"))
        missing = [e.msgid for e in extracted if not e.obsolete and not e.translated()]
        assert missing == [], f"{language}: run makemessages and translate these"


@functools.cache
def _english_phrases(language: str) -> frozenset[str]:
    """Phrases of the project's own English messages that a page in ``language`` must not
    contain.

    Placeholders split a message into its literal parts; short parts, and messages the
    translation keeps as they are on purpose (a brand name), are left out.
    """
    phrases = set()
    for entry in _po(language).translated_entries():
        translations = [entry.msgstr, *entry.msgstr_plural.values()]
        if entry.msgid in translations:
            continue
        for part in re.split(r"%\(\w+\)s|%s|<[^>]+>|\{\w+\}|\n", entry.msgid):
            part = part.strip(" .,:;!?()“”\"'")
            if len(part) >= 16 and " " in part and not any(part in t for t in translations):
                phrases.add(part)
    return frozenset(phrases)


def _assert_no_english(text: str, where: str, language: str) -> None:
    visible = html.unescape(re.sub(r"<script.*?</script>", " ", text, flags=re.S))
    visible = " ".join(visible.split())
    leftovers = sorted(phrase for phrase in _english_phrases(language) if phrase in visible)
    assert leftovers == [], f"English left in {where}: {leftovers[:5]}"


@pytest.fixture
def reference_data(db):
    call_command("load_reference_data")
    from coalition.wall import selectors

    return selectors.campaign_default()


@pytest.fixture
def ally(reference_data):
    from coalition.models import Sector

    organization = Organization.objects.create(
        name="Harbour Light Trust",
        website="https://harbourlight.example.org",
        country="IE",
        sector=Sector.objects.get(slug="child-helpline"),
        statement_en="We stand together.",
    )
    return Endorsement.objects.create(
        organization=organization,
        campaign=reference_data,
        status=Status.APPROVED,
        contact_name="Aoife",
        contact_email="aoife@harbourlight.example.org",
        preferred_language="de",
        consent_authority=True,
        consent_publish=True,
        domain_verified=True,
    )


@pytest.mark.parametrize("language", LANGUAGES)
def test_public_pages_have_no_english_left(client, ally, language):
    slug = ally.campaign.slug
    manage = tokens.manage_token(ally)
    pages = [
        f"/{language}/",
        f"/{language}/campaigns/{slug}/",
        f"/{language}/campaigns/{slug}/?country=ZZ",
        f"/{language}/apply/",
        f"/{language}/resend/",
        f"/{language}/campaigns/{slug}/embed/",
        f"/embed/{slug}/?lang={language}",
        f"/{language}/manage/{manage}/",
        f"/{language}/confirm/not-a-token/",
        f"/{language}/not-us/{tokens.not_us_token(ally)}/",
    ]
    for page in pages:
        response = client.get(page)
        assert response.status_code in (200, 400), page
        assert f'lang="{language}"' in response.content.decode()
        _assert_no_english(response.content.decode(), page, language)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_form_errors_have_no_english_left(client, reference_data, language):
    response = client.post(
        f"/{language}/apply/",
        {"name": "x" * 300, "website": "javascript:alert(1)", "contact_email": "nope"},
    )

    assert response.status_code == 400
    _assert_no_english(response.content.decode(), f"/{language}/apply/ with errors", language)


EMAIL_TEMPLATES = [
    "confirm",
    "received",
    "approved",
    "rejected",
    "withdrawn",
    "removed",
    "manage-link",
    "review-needed",
    "changes-to-review",
    "proof-missing",
]


@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("template", EMAIL_TEMPLATES)
def test_every_email_has_no_english_left(ally, language, template):
    from coalition.models import DomainProof, RejectionReason
    from coalition.proofs.models import Method

    ally.rejection_reason = RejectionReason.objects.get(code="duplicate")
    ally.preferred_language = language
    with translation.override(language):
        context = {
            "endorsement": ally,
            "organization": ally.organization,
            "campaign": ally.campaign,
            **services.applicant_links(ally),
            "proof": DomainProof(method="dns", domain=ally.organization.domain),
            "method": Method.DNS.label,
        }
    subject, text, body_html = outbox.render(template, context, language)

    for part, content in (("subject", subject), ("text", text), ("html", body_html)):
        _assert_no_english(content, f"{template} ({part}, {language})", language)
    assert ally.campaign.title_en not in text
    if template == "rejected":
        assert ally.rejection_reason.text_en not in text
