from __future__ import annotations

from pathlib import Path

import polib
from django.conf import settings
from django.core.management.base import BaseCommand


def catalogs() -> list[Path]:
    return sorted(
        po for locale in settings.LOCALE_PATHS for po in Path(locale).glob("*/LC_MESSAGES/*.po")
    )


def compiled_matches(po_path: Path) -> bool:
    """True when the .mo beside ``po_path`` holds exactly the .po's translations."""
    mo_path = po_path.with_suffix(".mo")
    if not mo_path.exists():
        return False
    expected = {
        (entry.msgctxt, entry.msgid): entry.msgstr or tuple(sorted(entry.msgstr_plural.items()))
        for entry in polib.pofile(str(po_path)).translated_entries()
    }
    found = {
        (entry.msgctxt, entry.msgid): entry.msgstr or tuple(sorted(entry.msgstr_plural.items()))
        for entry in polib.mofile(str(mo_path))
        if entry.msgid
    }
    return expected == found


class Command(BaseCommand):
    help = (
        "Compile the translation catalogs (locale/*/LC_MESSAGES/*.po) with polib, so no GNU "
        "gettext is needed; only catalogs whose .mo is missing or out of date are written."
    )

    def handle(self, *args, **options) -> None:
        written = 0
        for po_path in catalogs():
            if compiled_matches(po_path):
                continue
            polib.pofile(str(po_path)).save_as_mofile(str(po_path.with_suffix(".mo")))
            written += 1
        self.stdout.write(f"Translations: {written} catalogs compiled, {len(catalogs())} in all")
