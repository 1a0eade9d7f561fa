"""The letter to deliver: a campaign's statement and every signatory, as a print-ready page and
as a PDF.

A cover (the organizer, the addressee, the title, the date, how many organizations from how
many countries), the statement, then the signatories grouped by country and then by sector,
each by name (with ``logos=1``, their logos too), in the language asked (``lang=``). The allies
are the wall's: the same ``AllyQuery`` parameters (``?country=DE`` is the letter of the German
members), read through ``coalition.wall.selectors``, so only approved allies and their public fields
ever reach it. Unlike the images, nothing is capped: a letter names every signatory.

The PDF is the same HTML and CSS laid out by WeasyPrint, which reads nothing from the network:
its only resources are the stylesheet, handed to it, and the logo files, read through the
storage API (``StorageFetcher``).
"""

from __future__ import annotations

import hashlib
import io
import logging
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from itertools import groupby
from typing import Any
from urllib.parse import urlencode

import qrcode
import qrcode.constants
import qrcode.image.svg
from django.contrib.staticfiles import finders
from django.contrib.staticfiles.storage import staticfiles_storage
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.html import escape
from django.utils.translation import gettext_lazy as _
from django_countries import countries
from PIL import ImageFile

from coalition.images import colours
from coalition.ledger import selectors as ledger
from coalition.ledger import signing
from coalition.models import Campaign, Endorsement, Sector
from coalition.proofs import public as public_proofs
from coalition.wall import picture
from coalition.wall.parameters import Parameter, QueryError, Reader
from coalition.wall.queries import SELECTION, AllyQuery
from coalition.web import languages, links

logger = logging.getLogger(__name__)

STYLESHEET = "coalition/letter.css"
# How the PDF's HTML names a logo file for ``_storage_fetcher``.
LOGO_SCHEME = "coalition-file"
# The accessible PDF (ISO 14289-1): WeasyPrint tags the structure and writes the metadata it asks.
PDF_VARIANT = "pdf/ua-1"
# The letter reads the wall's filters; its order is its own (by country, sector and name) and it
# has no pages.
QUERY_PARAMETERS = tuple(name for name in SELECTION if name != "campaign")

PARAMETERS: dict[str, Parameter] = {
    parameter.name: parameter
    for parameter in (
        Parameter("lang", _("Language")),
        Parameter("logos", _("Show the logos")),
    )
}


@dataclass(frozen=True)
class LetterLooks:
    """How the letter is made, not whom it lists: its language (``""``: the visitor's) and
    whether the signatories' logos are shown."""

    lang: str = ""
    logos: bool = False

    @classmethod
    def parse(cls, params: Any) -> LetterLooks:
        """Raises ``QueryError`` naming every parameter at fault."""
        reader = Reader(params, PARAMETERS)
        values: dict[str, Any] = {}
        language = reader.language("lang")
        if language is not None:
            values["lang"] = language
        logos = reader.shown_or_hidden("logos")
        if logos is not None:
            values["logos"] = logos
        reader.check()
        return cls(**values)

    def to_params(self) -> list[tuple[str, str]]:
        params = []
        if self.lang:
            params.append(("lang", self.lang))
        if self.logos:
            params.append(("logos", "1"))
        return params

    def cache_key(self) -> str:
        return f"{self.lang}|{int(self.logos)}"


@dataclass(frozen=True)
class LetterParameters:
    """What a request asks of the letter; with ``problems`` it cannot be made."""

    query: AllyQuery
    looks: LetterLooks
    problems: list[str] = field(default_factory=list)


def read_parameters(
    params: Any, slug: str | None, *, sectors: list[Sector] | None = None
) -> LetterParameters:
    """The allies (``slug``'s, filtered as the wall filters them) and the looks that the GET
    parameters ask for. Reads no database; the sectors named are checked against ``sectors``
    only when given."""
    defaults = AllyQuery(campaign=slug)
    query, looks = defaults, LetterLooks()
    errors = []
    try:
        query = AllyQuery.parse(
            params,
            campaign=slug,
            read=QUERY_PARAMETERS,
            known_sectors=None if sectors is None else [sector.slug for sector in sectors],
        )
    except QueryError as error:
        errors.append(error)
    try:
        looks = LetterLooks.parse(params)
    except QueryError as error:
        errors.append(error)
    if errors:
        return LetterParameters(defaults, LetterLooks(), QueryError.combine(errors).lines())
    return LetterParameters(query=query, looks=looks)


def link(query: AllyQuery, looks: LetterLooks) -> str:
    """The canonical query string of a letter (defaults left out), or ``""``."""
    params = query.to_params() + looks.to_params()
    return f"?{urlencode(params)}" if params else ""


# The signatories, grouped ------------------------------------------------------------------


@dataclass(frozen=True)
class Signatory:
    name: str
    logo_src: str  # "" without a logo
    logo_width: int
    logo_height: int
    proof_url: str = ""  # its proof page, absolute (a link in the PDF too)


@dataclass
class SectorGroup:
    name: str
    signatories: list[Signatory]


@dataclass
class CountryGroup:
    code: str
    name: str
    count: int
    sectors: list[SectorGroup]


def _logo_src(item: picture.WallItem, *, pdf: bool) -> str:
    if item.logo is None:
        return ""
    # The PDF is printed: twice the pixels the page shows, read from storage by the fetcher.
    return f"{LOGO_SCHEME}:{item.logo.png_2x.name}" if pdf else item.logo.png.url


def signatories_by_country(
    allies: Iterable[Endorsement], *, pdf: bool = False, slug: str | None = None
) -> list[CountryGroup]:
    """The allies by country, then by sector, each sorted as readers of the active language
    sort names (``languages.collation_key``), with ``slug``, each linking to its proof page.
    Reads nothing beyond ``allies``."""
    proof_path = public_proofs.proof_paths(slug) if slug else None
    site = links.site_url()
    items = picture.wall_items(allies)
    by_country: dict[str, list[picture.WallItem]] = {}
    for item in items:
        by_country.setdefault(item.country, []).append(item)
    groups = []
    for code, members in by_country.items():
        members.sort(key=lambda item: (languages.collation_key(item.sector), item.sector))
        sectors = []
        for sector, in_sector in groupby(members, key=lambda item: item.sector):
            ordered = sorted(in_sector, key=lambda item: languages.collation_key(item.name))
            sectors.append(
                SectorGroup(
                    name=sector,
                    signatories=[
                        Signatory(
                            name=item.name,
                            logo_src=_logo_src(item, pdf=pdf),
                            logo_width=item.display_width,
                            logo_height=item.display_height,
                            proof_url=f"{site}{proof_path(item.public_id)}" if proof_path else "",
                        )
                        for item in ordered
                    ],
                )
            )
        groups.append(
            CountryGroup(
                code=code,
                name=str(countries.name(code)) or code,
                count=len(members),
                sectors=sectors,
            )
        )
    return sorted(groups, key=lambda group: languages.collation_key(group.name))


def filter_labels(query: AllyQuery, sectors: list[Sector]) -> list[str]:
    """What a filtered letter is limited to, as a reader names it."""
    names = {sector.slug: sector.name for sector in sectors}
    labels = [str(countries.name(code)) or code for code in query.countries]
    labels += [names.get(slug, slug) for slug in query.sectors]
    if query.search:
        labels.append(str(_("names containing “%(search)s”") % {"search": query.search}))
    if query.verified is True:
        labels.append(str(_("verified domains only")))
    elif query.verified is False:
        labels.append(str(_("unverified domains only")))
    return labels


def letter_context(
    *,
    campaign: Campaign,
    asked: LetterParameters,
    allies: Iterable[Endorsement],
    sectors: list[Sector],
    today: date,
    language: str,
    pdf: bool = False,
) -> dict[str, Any]:
    """Everything the letter shows; the allies are read once, whatever their number."""
    groups = signatories_by_country(allies, pdf=pdf, slug=campaign.slug)
    organizer_logo = campaign.organizer_logo if campaign.organizer_logo_id else None
    slug = campaign.slug
    query_string = link(asked.query, asked.looks)
    toggled = LetterLooks(lang=asked.looks.lang, logos=not asked.looks.logos)
    return {
        "campaign": campaign,
        "language": language,
        "pdf": pdf,
        "logos": asked.looks.logos,
        "organizer": campaign.organizer_name,
        "organizer_logo_src": _organizer_logo_src(organizer_logo, pdf=pdf),
        "organizer_logo": organizer_logo,
        "addressee": campaign.addressee,
        "today": today,
        "ally_count": sum(group.count for group in groups),
        "country_count": len(groups),
        "groups": groups,
        "filters": filter_labels(asked.query, sectors),
        "theme_url": reverse("campaign-theme", args=[campaign.accent_hex])
        if campaign.accent_hex
        else "",
        "campaign_url": links.absolute(reverse("campaign-detail", args=[slug])),
        "pdf_url": reverse("letter-pdf", args=[slug]) + query_string,
        "toggle_logos_url": reverse("letter", args=[slug]) + link(asked.query, toggled),
        "verification": verification(campaign),
    }


# What makes the list checkable ---------------------------------------------------------------


@dataclass(frozen=True)
class Verification:
    """What the letter's end prints so that anyone can check the list without trusting the
    site (``coalition.ledger``): the SHA-256 of the signed list of signatories as served
    (``signatories.json``), the log's head it reflects, the signing key, and the verify page
    (as a link and a QR code)."""

    list_hash: str
    log_seq: int
    log_hash: str
    key_id: str
    public_key: str  # the key line of the minisign public key file
    verify_url: str
    qr_svg: str


def verification(campaign: Campaign) -> Verification | None:
    """The ``Verification`` of ``campaign``'s full list now; None where the site has no signing
    key (the letter is printed without it, and the log says why)."""
    try:
        signed = ledger.signatories_signed(campaign)
        public = signing.signing_key().public
    except signing.SigningKeyMissing as error:
        logger.warning("The letter is printed without its verification: %s", error)
        return None
    verify_url = links.absolute(reverse("campaign-verify", args=[campaign.slug]))
    return Verification(
        list_hash=hashlib.sha256(signed.document).hexdigest(),
        log_seq=signed.seq,
        log_hash=signed.head,
        key_id=public.key_id_text,
        public_key=public.base64,
        verify_url=verify_url,
        qr_svg=qr_svg(verify_url),
    )


def qr_svg(data: str) -> str:
    """``data`` (a URL) as a QR code: inline SVG, sized in millimetres for the PDF, an image
    named by its ``<title>`` (the page's accessible name, and the PDF figure's alternate text,
    which PDF/UA requires)."""
    image = qrcode.make(
        data,
        image_factory=qrcode.image.svg.SvgPathImage,
        box_size=10,
        border=2,
        error_correction=qrcode.constants.ERROR_CORRECT_M,
    )
    out = io.BytesIO()
    image.save(out)
    svg = out.getvalue().decode()
    # The XML declaration is not for inline SVG.
    svg = svg[svg.index("<svg") :]
    title = escape(_("QR code of %(url)s") % {"url": data})
    opening_end = svg.index(">") + 1
    return (
        svg[:opening_end].replace("<svg ", '<svg role="img" class="qr" ', 1)
        + f"<title>{title}</title>"
        + svg[opening_end:]
    )


def _organizer_logo_src(logo, *, pdf: bool) -> str:
    if logo is None:
        return ""
    return f"{LOGO_SCHEME}:{logo.png_2x.name}" if pdf else logo.png.url


# The PDF -----------------------------------------------------------------------------------


class PDFUnavailable(RuntimeError):
    """WeasyPrint, or the system libraries it needs (Pango), is not installed here."""


# The logo pipeline's file names, and nothing else: a letter never reads any other file.
_LOGO_NAME = re.compile(r"^logos/[0-9a-f]{2}/[0-9a-f]{64}-(?:1x|2x)\.png$")


def _stylesheet_text() -> str:
    path = finders.find(STYLESHEET)
    if path:
        with open(path, encoding="utf-8") as file:
            return file.read()
    with staticfiles_storage.open(STYLESHEET) as file:
        return file.read().decode("utf-8")


def _theme_css(campaign: Campaign) -> str:
    rgb = colours.parse_hex(campaign.accent_color or "")
    if rgb is None:
        return ""
    properties = "".join(
        f"{name}: {value};" for name, value in colours.theme_variables(rgb).items()
    )
    return f".theme-campaign {{ {properties} }}"


def render_pdf(html: str, *, campaign: Campaign) -> bytes:
    """The letter's HTML as a PDF. Raises ``PDFUnavailable`` where WeasyPrint cannot run."""
    try:
        # Imported here: it loads Pango as it is imported, and the rest of the site runs without.
        import weasyprint
    except (ImportError, OSError) as error:
        raise PDFUnavailable(str(error)) from error
    # WeasyPrint turns on Pillow's LOAD_TRUNCATED_IMAGES for the whole process as it is
    # imported; the logo pipeline must go on refusing truncated uploads in this worker.
    ImageFile.LOAD_TRUNCATED_IMAGES = False
    fetcher = _storage_fetcher()
    stylesheets = [weasyprint.CSS(string=_stylesheet_text(), url_fetcher=fetcher)]
    theme = _theme_css(campaign)
    if theme:
        stylesheets.append(weasyprint.CSS(string=theme, url_fetcher=fetcher))
    document = weasyprint.HTML(string=html, base_url=links.site_url() + "/", url_fetcher=fetcher)
    # PDF/UA-1: tagged (headings, lists, reading order), with its language and title, so that a
    # screen reader reads the letter as the page is read, not as loose text.
    return document.write_pdf(stylesheets=stylesheets, pdf_variant=PDF_VARIANT)


def _storage_fetcher() -> Any:
    """WeasyPrint's only way to read a resource: ``coalition-file:<name>`` for a processed logo,
    through the storage API. Anything else (http, file, a data URI) is refused, so a rendering
    never reaches the network, nor any file but the logos."""
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StorageFetcher(URLFetcher):
        def fetch(self, url: str, headers: Mapping[str, str] | None = None) -> Any:
            prefix = f"{LOGO_SCHEME}:"
            name = url[len(prefix) :] if url.startswith(prefix) else ""
            if not _LOGO_NAME.match(name):
                raise ValueError(f"The letter reads no resource but its logos: {url[:80]}")
            with default_storage.open(name, "rb") as file:
                body = file.read()
            return URLFetcherResponse(url, body=body, headers={"Content-Type": "image/png"})

    return StorageFetcher()
