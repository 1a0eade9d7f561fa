"""What makes the letter checkable (page and PDF): each signatory links to its proof page, and
the end prints the signed list's SHA-256, the log's head, the signing key and a QR code of the
verify page; the same links from the wall's tiles and the API's ``proof_url``."""

from __future__ import annotations

import hashlib
import io
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from pypdf import PdfReader

from coalition import services
from coalition.ledger import signing
from coalition.models import Endorsement
from tests.ledger.helpers import approve

Status = Endorsement.Status
SLUG = "keep-detection"
LETTER = f"/campaigns/{SLUG}/letter/"
PDF = f"/campaigns/{SLUG}/letter.pdf"
SITE = "http://testserver"


@pytest.fixture
def allies(campaign, make_endorsement, reviewer) -> list[Endorsement]:
    greek = approve(make_endorsement(name="Ελληνικό Δίκτυο 🌍", country="GR"), reviewer)
    harbour = approve(make_endorsement(name="Harbour Light", country="DE"), reviewer)
    gone = approve(make_endorsement(name="Gone Away Ltd", country="FR"), reviewer)
    services.endorsement_withdraw(endorsement=gone)
    make_endorsement(status=Status.PENDING, name="Pending Padding Ltd")
    return [greek, harbour]


def _proof_url(ally: Endorsement, language: str = "") -> str:
    prefix = f"/{language}" if language else ""
    return f"{SITE}{prefix}/campaigns/{SLUG}/allies/{ally.public_id}/"


def _head(client) -> dict:
    log = json.loads(client.get(f"/campaigns/{SLUG}/log.json").content)
    return log["entries"][-1]


def test_each_signatory_on_the_letter_links_to_its_proof_page(client, allies):
    text = client.get(LETTER).content.decode()

    for ally in allies:
        assert f'<a href="{_proof_url(ally)}">{ally.organization.name}</a>' in text
    assert "Gone Away Ltd" not in text
    assert "Pending Padding" not in text


def test_the_letter_in_french_links_to_the_french_proof_pages(client, allies):
    text = client.get(f"{LETTER}?lang=fr").content.decode()

    assert f'href="{_proof_url(allies[0], "fr")}"' in text


def test_the_letters_end_prints_the_lists_hash_the_log_head_and_the_key(client, allies):
    text = client.get(LETTER).content.decode()
    served = client.get(f"/campaigns/{SLUG}/signatories.json").content
    head = _head(client)

    assert f"<code>{hashlib.sha256(served).hexdigest()}</code>" in text
    assert f"Entry {head['seq']}: <code>{head['hash']}</code>" in text
    assert head["seq"] == 4  # three joined, one left
    public = signing.signing_key().public
    assert f"ID {public.key_id_text}: <code>{public.base64}</code>" in text
    verify = f"{SITE}/campaigns/{SLUG}/verify/"
    assert f'<a href="{verify}">{verify}</a>' in text


def test_the_qr_code_is_inline_svg_named_by_its_title(client, allies):
    text = client.get(LETTER).content.decode()

    svg = re.search(r"<svg [^>]*class=\"qr\"[^>]*>.*?</svg>", text, re.S).group(0)
    assert 'role="img"' in svg
    assert f"<title>QR code of {SITE}/campaigns/{SLUG}/verify/</title>" in svg
    assert "<?xml" not in text


def test_a_new_approval_changes_the_printed_hash_and_head(
    client, allies, make_endorsement, django_capture_on_commit_callbacks
):
    before = client.get(LETTER).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        approve(make_endorsement(name="Late Joiner"), None)

    after = client.get(LETTER).content.decode()
    served = client.get(f"/campaigns/{SLUG}/signatories.json").content

    assert hashlib.sha256(served).hexdigest() in after
    assert hashlib.sha256(served).hexdigest() not in before
    assert f"Entry {_head(client)['seq']}:" in after


def test_without_a_signing_key_the_letter_is_printed_without_its_verification(
    client, allies, settings, tmp_path
):
    settings.SIGNING_KEY_FILE = tmp_path / "missing.key"

    response = client.get(LETTER)

    assert response.status_code == 200
    assert "Check this list" not in response.content.decode()
    assert _proof_url(allies[0]) in response.content.decode()


# The PDF ------------------------------------------------------------------------------------


def _pdf(client) -> bytes:
    response = client.get(PDF)
    assert response.status_code == 200
    return response.content


def test_the_pdf_links_each_signatory_to_its_proof_page(client, allies):
    reader = PdfReader(io.BytesIO(_pdf(client)))

    uris = {
        annotation.get_object()["/A"]["/URI"]
        for page in reader.pages
        for annotation in page.get("/Annots", [])
        if annotation.get_object().get("/Subtype") == "/Link"
        and "/URI" in annotation.get_object().get("/A", {})
    }

    assert {_proof_url(ally) for ally in allies} <= uris
    assert f"{SITE}/campaigns/{SLUG}/verify/" in uris


def test_the_pdf_text_carries_the_hash_the_head_and_the_key(client, allies, tmp_path: Path):
    pdftotext = shutil.which("pdftotext")
    if pdftotext is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils)")
    path = tmp_path / "letter.pdf"
    path.write_bytes(_pdf(client))
    served = client.get(f"/campaigns/{SLUG}/signatories.json").content

    text = subprocess.run(
        [pdftotext, "-layout", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    # Long hashes wrap: compare without the layout's spaces and line breaks.
    flat = re.sub(r"\s+", "", text)

    assert hashlib.sha256(served).hexdigest() in flat
    assert _head(client)["hash"] in flat
    assert signing.key_id() in flat
    assert "Check this list" in text


def test_the_pdfs_qr_code_reads_as_the_verify_page(client, allies, tmp_path: Path):
    pdftoppm, zbarimg = shutil.which("pdftoppm"), shutil.which("zbarimg")
    if pdftoppm is None or zbarimg is None:
        pytest.skip("pdftoppm or zbarimg is missing (apt-get install poppler-utils zbar-tools)")
    path = tmp_path / "letter.pdf"
    path.write_bytes(_pdf(client))
    reader = PdfReader(io.BytesIO(path.read_bytes()))
    last = len(reader.pages)

    subprocess.run(
        [pdftoppm, "-r", "150", "-png", "-f", str(last), "-l", str(last), str(path), "page"],
        cwd=tmp_path,
        check=True,
        timeout=60,
    )
    image = next(tmp_path.glob("page*.png"))
    read = subprocess.run(
        [zbarimg, "--quiet", "--raw", str(image)], capture_output=True, text=True, timeout=60
    )

    assert read.stdout.strip() == f"{SITE}/campaigns/{SLUG}/verify/"


# The wall and the API -----------------------------------------------------------------------


def test_each_tile_of_the_wall_links_to_its_proof_page(client, allies):
    text = client.get("/").content.decode()

    for ally in allies:
        path = f"/campaigns/{SLUG}/allies/{ally.public_id}/"
        assert f'<a class="ally-proof" href="{path}">How we know' in text
        assert client.get(path).status_code == 200


def test_the_embeds_tiles_open_the_proof_page_in_a_new_tab(client, allies):
    text = client.get(f"/embed/{SLUG}/").content.decode()

    path = f"/campaigns/{SLUG}/allies/{allies[0].public_id}/"
    assert f'<a class="ally-proof" href="{path}" target="_blank" rel="noopener">' in text


def test_the_api_gives_each_ally_its_proof_url(client, allies):
    listed = json.loads(client.get("/api/v1/allies/").content)["results"]
    french = json.loads(client.get("/api/v1/allies/?lang=fr").content)["results"]
    one = json.loads(client.get(f"/api/v1/allies/{allies[1].public_id}/").content)

    assert {ally["proof_url"] for ally in listed} == {_proof_url(ally) for ally in allies}
    assert {ally["proof_url"] for ally in french} == {_proof_url(ally, "fr") for ally in allies}
    assert one["proof_url"] == _proof_url(allies[1])
    for ally in listed:
        assert client.get(ally["proof_url"].removeprefix(SITE)).status_code == 200


def test_the_api_schema_documents_proof_url(client):
    schema = client.get("/api/schema/?format=json")
    if schema.status_code == 404:
        schema = client.get("/api/v1/schema/?format=json")
    text = schema.content.decode()

    assert '"proof_url"' in text
    assert "proof page" in text
