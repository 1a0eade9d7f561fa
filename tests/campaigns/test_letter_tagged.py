"""The letter's PDF is tagged (PDF/UA-1), so that a screen reader gets its headings, lists and
language: read with pypdf, and judged by Debian's poppler-utils (``pdfinfo``) and ``qpdf``.

Where ``pdfinfo`` or ``qpdf`` is missing their tests skip, saying so, except under CI
(``CI=true``), where that is a failure: ``.ci/run`` installs both.
"""

from __future__ import annotations

import io
import shutil
import subprocess
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from pypdf import PdfReader

from coalition.models import Endorsement
from tests.browser import in_ci
from tests.wall_helpers import make_logo, sector_tree

Status = Endorsement.Status
PDF = "/campaigns/keep-detection/letter.pdf"


@pytest.fixture
def letter_pdf(client, make_endorsement, campaign) -> bytes:
    """The letter of three allies in two countries, one with a logo, in German."""
    sectors = sector_tree()
    ally = make_endorsement(status=Status.APPROVED, name="Logo Trust", sector=sectors["tech"])
    ally.organization.logo = make_logo()
    ally.organization.save()
    make_endorsement(status=Status.APPROVED, name="Hafenlicht e.V.", sector=sectors["hotline"])
    make_endorsement(
        status=Status.APPROVED, name="Porte Ouverte", country="FR", sector=sectors["hotline"]
    )
    response = client.get(f"{PDF}?logos=1&lang=de")
    assert response.status_code == 200
    return response.content


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        message = f"{name} is missing (apt-get install {_PACKAGES[name]})"
        if in_ci():
            pytest.fail(f"CI: {message}", pytrace=False)
        pytest.skip(message)
    return path


_PACKAGES = {"pdfinfo": "poppler-utils", "qpdf": "qpdf"}


def _elements(node: Any) -> list[Any]:
    """Every structure element under ``node`` (an element or the tree's root), in order."""
    node = node.get_object()
    found = [node] if "/S" in node else []
    kids = node.get("/K")
    for kid in kids if isinstance(kids, list) else [kids]:
        kid = kid.get_object() if hasattr(kid, "get_object") else kid
        if isinstance(kid, dict) and kid.get("/Type", "/StructElem") == "/StructElem":
            found.extend(_elements(kid))
    return found


def test_the_letter_pdf_is_tagged_with_its_structure_and_language(letter_pdf):
    catalog = PdfReader(io.BytesIO(letter_pdf)).trailer["/Root"]

    assert catalog["/MarkInfo"]["/Marked"].value is True
    assert catalog["/Lang"] == "de"
    # A reader announces the letter by its title, not by its file name.
    assert catalog["/ViewerPreferences"]["/DisplayDocTitle"].value is True
    elements = _elements(catalog["/StructTreeRoot"])
    structure = Counter(str(element["/S"]) for element in elements)
    assert structure["/H1"] == 1
    assert structure["/H2"] >= 1
    # The signatories as lists: three names, each an item.
    assert structure["/LI"] >= 3
    figures = [element for element in elements if element["/S"] == "/Figure"]
    # The logo, and the QR code of the verify page at the end (coalition.campaigns.letter).
    alternates = [str(figure["/Alt"]) for figure in figures]
    assert alternates[0] == "Logo von Logo Trust"
    assert alternates[1:] == ["QR-Code von http://testserver/de/campaigns/keep-detection/verify/"]
    metadata = catalog["/Metadata"].get_object().get_data().decode()
    assert "pdfuaid:part" in metadata


def test_weasyprint_finds_nothing_missing_for_pdf_ua(letter_pdf, caplog):
    # The fixture rendered the letter; WeasyPrint logs what PDF/UA needs and the HTML lacks
    # (a figure's text, the language).
    logged = caplog.get_records("setup")
    assert [record.getMessage() for record in logged if record.name == "weasyprint"] == []


def test_pdfinfo_says_the_letter_is_tagged(letter_pdf, tmp_path: Path):
    pdfinfo = _tool("pdfinfo")
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter_pdf)

    result = subprocess.run(
        [pdfinfo, str(path)], capture_output=True, text=True, check=True, timeout=30
    )

    fields = {
        name.strip(): value.strip()
        for name, _colon, value in (line.partition(":") for line in result.stdout.splitlines())
    }
    assert fields["Tagged"] == "yes"
    assert fields["Metadata Stream"] == "yes"
    assert fields["Title"].startswith("Keep detection legal")


def test_qpdf_finds_nothing_wrong_in_the_letter(letter_pdf, tmp_path: Path):
    qpdf = _tool("qpdf")
    path = tmp_path / "letter.pdf"
    path.write_bytes(letter_pdf)

    result = subprocess.run(
        [qpdf, "--check", str(path)], capture_output=True, text=True, timeout=30
    )

    # 0: no problem; 3: warnings, which qpdf prints to stderr. Both would let a reader down.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "No syntax or stream encoding errors found" in result.stdout
    assert result.stderr == ""
