"""The letter to deliver: /campaigns/<slug>/letter/ and letter.pdf, through the public surface."""

from __future__ import annotations

import io
import re

import pytest
from django.utils.html import escape
from pypdf import PdfReader

from coalition import services
from coalition.campaigns import letter
from coalition.models import Endorsement
from tests.wall_helpers import HOSTILE_NAMES, bulk_allies, make_logo, sector_tree

Status = Endorsement.Status
LETTER = "/campaigns/keep-detection/letter/"
PDF = "/campaigns/keep-detection/letter.pdf"
OTHER_SCRIPTS = {
    "Ελληνική Ένωση Προστασίας": "GR",
    "Фонд защиты детей": "BG",
    "جمعية حماية الطفل": "EG",
}


@pytest.fixture
def sectors(db):
    return sector_tree()


@pytest.fixture
def branded(campaign):
    campaign.organizer_name = "Alliance for Child Safety"
    campaign.addressee = "To the Members of the European Parliament"
    campaign.save()
    return campaign


def _text(response) -> str:
    return response.content.decode()


def _pdf_text(content: bytes) -> str:
    reader = PdfReader(io.BytesIO(content))
    # Layout breaks lines and may space letters: compare without any whitespace.
    return re.sub(r"\s+", "", "".join(page.extract_text() for page in reader.pages))


def _squeezed(text: str) -> str:
    return re.sub(r"\s+", "", text)


def test_the_letter_lists_every_approved_signatory_by_country_then_sector(
    client, make_endorsement, branded, sectors
):
    make_endorsement(status=Status.APPROVED, name="Zeta Hotline", sector=sectors["hotline"])
    make_endorsement(status=Status.APPROVED, name="Alpha Hotline", sector=sectors["hotline"])
    make_endorsement(status=Status.APPROVED, name="Beta Tech", sector=sectors["tech"])
    make_endorsement(
        status=Status.APPROVED, name="Paris Tech", country="FR", sector=sectors["tech"]
    )
    for status in (Status.PENDING, Status.UNCONFIRMED, Status.REJECTED, Status.WITHDRAWN):
        make_endorsement(status=status, name=f"Not public {status}", sector=sectors["tech"])

    response = client.get(LETTER)

    assert response.status_code == 200
    page = _text(response)
    # France before Germany, then within Germany: Hotline (Alpha, Zeta) before Technology.
    order = [page.index(text) for text in ("France", "Germany", "Alpha Hotline", "Zeta Hotline")]
    assert order == sorted(order)
    assert page.index("Zeta Hotline") < page.index("Beta Tech")
    assert "Not public" not in page
    # The contacts (``make_endorsement`` names them "Contact N", at orgN.example.org) never.
    assert "Contact 1" not in page
    assert "@org" not in page


def test_the_cover_names_the_organizer_the_addressee_the_date_and_the_counts(
    client, make_endorsement, branded, sectors
):
    make_endorsement(status=Status.APPROVED, country="DE", sector=sectors["tech"])
    make_endorsement(status=Status.APPROVED, country="FR", sector=sectors["tech"])
    make_endorsement(status=Status.APPROVED, country="FR", sector=sectors["tech"])

    page = _text(client.get(LETTER))

    assert "Alliance for Child Safety" in page
    assert "To the Members of the European Parliament" in page
    assert "Keep detection legal" in page
    assert re.search(r'<time datetime="\d{4}-\d{2}-\d{2}">', page)
    assert "<strong>3</strong> organizations have signed" in page
    assert "in <strong>2</strong> countries" in page
    assert branded.statement in page


def test_the_organizer_logo_is_sharp_on_a_high_density_screen(client, campaign, sectors):
    campaign.organizer_name = "Alliance for Child Safety"
    campaign.organizer_logo = make_logo(color=(20, 60, 200))
    campaign.save()

    page = _text(client.get(LETTER))

    [tag] = re.findall(r'<img class="organizer-logo"[^>]*>', page)
    logo = campaign.organizer_logo
    # Lighthouse (image-size-responsive) found the letter's the only one drawn at 1x.
    assert f'srcset="{logo.png.url} 1x, {logo.png_2x.url} 2x"' in tag
    assert f'width="{logo.width}" height="{logo.height}"' in tag


def test_the_letter_takes_the_wall_filters(client, make_endorsement, campaign, sectors):
    make_endorsement(
        status=Status.APPROVED, name="Berlin Org", country="DE", sector=sectors["tech"]
    )
    make_endorsement(status=Status.APPROVED, name="Lyon Org", country="FR", sector=sectors["tech"])
    make_endorsement(status=Status.APPROVED, name="Bonn Help", country="DE", sector=sectors["ngo"])

    german = _text(client.get(f"{LETTER}?country=DE"))
    ngo = _text(client.get(f"{LETTER}?sector=ngo"))
    pdf = client.get(f"{PDF}?country=FR")

    assert "Berlin Org" in german
    assert "Bonn Help" in german
    assert "Lyon Org" not in german
    assert "only the signatories matching" in german
    assert "Bonn Help" in ngo
    assert "Berlin Org" not in ngo
    text = _pdf_text(pdf.content)
    assert "LyonOrg" in text
    assert "BerlinOrg" not in text


def test_the_letter_is_in_the_language_asked(client, make_endorsement, campaign, sectors):
    make_endorsement(status=Status.APPROVED, country="DE", sector=sectors["tech"])

    response = client.get(f"{LETTER}?lang=fr")
    pdf = client.get(f"{PDF}?lang=de")

    assert response["Content-Language"] == "fr"
    assert '<html lang="fr"' in _text(response)
    assert "Allemagne" in _text(response)
    assert pdf["Content-Language"] == "de"
    assert "Deutschland" in _pdf_text(pdf.content)


def test_the_pdf_holds_every_approved_name_in_any_script(
    client, make_endorsement, branded, sectors
):
    for name, country in OTHER_SCRIPTS.items():
        make_endorsement(status=Status.APPROVED, name=name, country=country, sector=sectors["tech"])
    approved = bulk_allies(branded, sectors["hotline"], 30, country="IT")
    make_endorsement(status=Status.PENDING, name="Waiting Org", sector=sectors["tech"])

    response = client.get(PDF)

    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == 'inline; filename="keep-detection-letter.pdf"'
    text = _pdf_text(response.content)
    for ally in approved:
        assert _squeezed(ally.organization.name) in text
    # Arabic is stored in logical order and laid out right to left; text extraction gives it
    # back either way round.
    for name in OTHER_SCRIPTS:
        assert _squeezed(name) in text or _squeezed(name)[::-1] in text
    assert "WaitingOrg" not in text
    assert "allianceforchildsafety" in text.lower()  # the cover sets it in capitals
    assert "private" not in text.lower()
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title.startswith("Keep detection legal")
    # Numbered pages: "2 / N" at the foot of the second.
    assert f"2/{len(reader.pages)}" in _squeezed(reader.pages[1].extract_text())


def test_the_fonts_embedded_cover_greek_cyrillic_and_arabic(
    client, make_endorsement, campaign, sectors
):
    for name, country in OTHER_SCRIPTS.items():
        make_endorsement(status=Status.APPROVED, name=name, country=country, sector=sectors["tech"])

    reader = PdfReader(io.BytesIO(client.get(PDF).content))

    fonts = set()
    for page in reader.pages:
        for font in page["/Resources"]["/Font"].values():
            fonts.add(str(font.get_object()["/BaseFont"]))
    # One font with every letter: no missing glyph drawn as a box, nor a fallback per script.
    assert all("DejaVu-Sans" in font for font in fonts), fonts


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_names_stay_text_in_the_letter_and_its_pdf(
    client, make_endorsement, campaign, sectors, name
):
    make_endorsement(status=Status.APPROVED, name=name, sector=sectors["tech"])

    page = _text(client.get(LETTER))
    pdf = client.get(PDF)

    assert escape(name) in page
    assert "<script>alert" not in page
    assert "<img src=x" not in page
    assert pdf.status_code == 200
    # A right-to-left override stays within the name (its list item), drawn as it asks.
    shown = _squeezed(name.replace("\u202eevil\u202c", "live"))
    assert shown in _pdf_text(pdf.content)


def test_logos_are_shown_only_when_asked(client, make_endorsement, campaign, sectors):
    ally = make_endorsement(status=Status.APPROVED, name="Logo Trust", sector=sectors["tech"])
    ally.organization.logo = make_logo()
    ally.organization.save()

    plain = _text(client.get(LETTER))
    with_logos = _text(client.get(f"{LETTER}?logos=1"))
    pdf = PdfReader(io.BytesIO(client.get(f"{PDF}?logos=1").content))
    plain_pdf = PdfReader(io.BytesIO(client.get(PDF).content))

    assert ally.organization.logo.png.url not in plain
    assert ally.organization.logo.png.url in with_logos
    # WeasyPrint names its images in resources every page shares: count them once.
    assert len({image.name for page in pdf.pages for image in page.images}) == 1
    assert [image for page in plain_pdf.pages for image in page.images] == []


def test_the_pdf_reads_no_resource_but_the_logos(settings):
    fetcher = letter._storage_fetcher()

    for url in (
        "file:///etc/passwd",
        "http://127.0.0.1/",
        "data:image/png;base64,AAAA",
        "coalition-file:../settings.py",
        "coalition-file:logos/00/secret.png",
    ):
        with pytest.raises(ValueError, match="no resource but its logos"):
            fetcher.fetch(url)


def test_the_letter_and_its_pdf_are_cached_and_revalidated(
    client, make_endorsement, campaign, sectors
):
    make_endorsement(status=Status.APPROVED, sector=sectors["tech"])

    for url in (LETTER, PDF, f"{PDF}?country=DE&logos=1"):
        first = client.get(url)
        assert first["Cache-Control"].startswith("public")
        assert f"campaign-{campaign.pk}" in first["xkey"].split()
        assert client.get(url, headers={"if-none-match": first["ETag"]}).status_code == 304
        assert client.get(url)["X-Cache"] == "hit"


def test_an_approval_makes_a_new_letter(
    client, make_endorsement, campaign, sectors, django_capture_on_commit_callbacks
):
    first = client.get(PDF)
    pending = make_endorsement(status=Status.PENDING, name="Late Signer", sector=sectors["tech"])
    with django_capture_on_commit_callbacks(execute=True):
        services.endorsement_approve(
            endorsement=pending, by=None, acknowledged=True, note="Checked by hand."
        )

    second = client.get(PDF, headers={"if-none-match": first["ETag"]})

    assert second.status_code == 200
    assert "LateSigner" in _pdf_text(second.content)


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("?lang=xx", "is not a language of this site"),
        ("?logos=maybe", "Use 1 to show or 0 to hide"),
        ("?country=ZZ", "is not a country we know"),
        ("?sector=nowhere", "is not a sector we know"),
    ],
)
def test_bad_letter_parameters_are_a_400_with_the_reason(client, campaign, sectors, query, message):
    page = client.get(f"{LETTER}{query}")
    pdf = client.get(f"{PDF}{query}")

    assert page.status_code == 400
    assert message in _text(page)
    assert pdf.status_code == 400
    assert pdf["Content-Type"] == "text/plain; charset=utf-8"
    assert message in pdf.content.decode()


def test_an_unknown_campaign_has_no_letter(client, campaign):
    assert client.get("/campaigns/nowhere/letter/").status_code == 404
    assert client.get("/campaigns/nowhere/letter.pdf").status_code == 404


def test_a_server_without_weasyprint_says_so_and_stores_nothing(
    client, make_endorsement, campaign, sectors, monkeypatch
):
    make_endorsement(status=Status.APPROVED, sector=sectors["tech"])

    def unavailable(*args, **kwargs):
        raise letter.PDFUnavailable("cannot load library 'libpango-1.0-0'")

    monkeypatch.setattr(letter, "render_pdf", unavailable)
    refused = client.get(PDF)
    monkeypatch.undo()
    served = client.get(PDF)

    assert refused.status_code == 503
    assert "can be printed instead" in refused.content.decode()
    assert served.status_code == 200
    assert served["X-Cache"] == "miss"


def test_the_letter_reads_the_same_number_of_queries_for_5_and_50_allies(
    client, campaign, sectors, django_assert_max_num_queries
):
    logo = make_logo()
    bulk_allies(campaign, sectors["tech"], 5, logo=logo)
    # Three for the letter, seven for the signed list whose fingerprint it prints
    # (coalition.ledger.selectors.signatories_signed: its allies, the log, and the first time
    # a list's content is seen, when it was made).
    with django_assert_max_num_queries(10):
        assert client.get(f"{LETTER}?logos=1").status_code == 200
    bulk_allies(campaign, sectors["hotline"], 45, country="FR", logo=logo)
    with django_assert_max_num_queries(10):
        assert client.get(f"{LETTER}?logos=1&lang=de").status_code == 200
