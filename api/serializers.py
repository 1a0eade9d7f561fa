"""What the API shows: explicit allowlists of public fields, nothing else."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.db.models import QuerySet
from django.db.models.fields.files import FieldFile
from django.utils import translation
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from modeltranslation import utils as translation_utils
from modeltranslation.translator import translator
from rest_framework import serializers

from coalition.images import logos
from coalition.models import Campaign, Endorsement, Logo, Organization, Sector
from coalition.proofs import public as public_proofs
from coalition.proofs.models import Method, verification_expression
from coalition.wall.selectors import Facets
from coalition.web import links
from coalition.web.languages import collation_key

# The values of an ally's ``verification`` (``Endorsement.verification``).
VERIFICATIONS = [method.value for method in Method]


def absolute_url(url: str, site: str | None = None) -> str:
    """``url`` as an absolute URL: storage URLs are often paths, which embeds cannot use.
    ``site``: the site's address (``links.site_url()``), when the caller has it already."""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return f"https:{url}"
    if site is not None and url.startswith("/"):
        return f"{site}{url}"
    return links.absolute(url)


def country_name(code: str) -> str:
    """The name of the country ``code`` in the active language."""
    return _country_name(translation.get_language(), code)


# django-countries looks a name up afresh on every call (some 15 µs), and a page of 500 allies
# names each country many times; the names are reference data, kept here per language.
@lru_cache(maxsize=4096)
def _country_name(language: str | None, code: str) -> str:
    return str(countries.name(code))


def _logo_file_url(file: FieldFile) -> str:
    """``file.url``, through the one memo of logo file URLs (``logos.file_url``)."""
    if not file:
        return file.url  # no file: Django's own error
    return logos.file_url(file.name)


def _sector_parent(sector: Sector, sectors: dict[int, Sector] | None) -> str | None:
    if sector.parent_id is None:
        return None
    if sectors and sector.parent_id in sectors:
        return sectors[sector.parent_id].slug
    return sector.parent.slug


class CountrySerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    name = serializers.CharField(help_text="The country's name in the response's language.")

    def to_representation(self, instance: Any) -> dict[str, str]:
        code = str(getattr(instance, "code", instance))
        return {"code": code, "name": country_name(code)}


class SectorSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(
        allow_null=True, help_text="The parent sector's slug, or null for a top-level sector."
    )

    def to_representation(self, instance: Sector) -> dict[str, Any]:
        # A page of allies names each sector once (AllySerializer keeps it in RowsShared).
        return {
            "slug": instance.slug,
            "name": instance.name,
            "parent": _sector_parent(instance, self.context.get("sectors")),
        }


def logo_data(
    *,
    png: str,
    webp: str,
    png_2x: str,
    webp_2x: str,
    width: int,
    height: int,
    site: str | None = None,
) -> dict[str, Any]:
    """A logo as the API shows it (``LogoSerializer``), from its files' storage URLs."""
    # The fields of LogoSerializer's Meta.fields, written out: see AllySerializer.
    return {
        "png": absolute_url(png, site),
        "webp": absolute_url(webp, site),
        "png_2x": absolute_url(png_2x, site),
        "webp_2x": absolute_url(webp_2x, site),
        "width": width,
        "height": height,
    }


class LogoSerializer(serializers.ModelSerializer):
    png = serializers.SerializerMethodField()
    webp = serializers.SerializerMethodField()
    png_2x = serializers.SerializerMethodField()
    webp_2x = serializers.SerializerMethodField()

    class Meta:
        model = Logo
        fields = ["png", "webp", "png_2x", "webp_2x", "width", "height"]

    def to_representation(self, logo: Logo) -> dict[str, Any]:
        return logo_data(
            png=_logo_file_url(logo.png),
            webp=_logo_file_url(logo.webp),
            png_2x=_logo_file_url(logo.png_2x),
            webp_2x=_logo_file_url(logo.webp_2x),
            width=logo.width,
            height=logo.height,
        )

    @staticmethod
    def _url(file: FieldFile) -> str:
        return absolute_url(_logo_file_url(file))

    @extend_schema_field(serializers.URLField())
    def get_png(self, logo: Logo) -> str:
        return self._url(logo.png)

    @extend_schema_field(serializers.URLField())
    def get_webp(self, logo: Logo) -> str:
        return self._url(logo.webp)

    @extend_schema_field(serializers.URLField())
    def get_png_2x(self, logo: Logo) -> str:
        return self._url(logo.png_2x)

    @extend_schema_field(serializers.URLField())
    def get_webp_2x(self, logo: Logo) -> str:
        return self._url(logo.webp_2x)


@dataclass
class RowsShared:
    """What the rows of one rendering of allies share: the site's address, the statement's
    columns in the order of the response's language, the countries and sectors named so far
    (each shown as a copy: no ally's value is another's)."""

    site: str
    statement_columns: tuple[str, ...]
    countries: dict[str, dict[str, str]] = field(default_factory=dict)
    sectors: dict[int, dict[str, Any]] = field(default_factory=dict)
    # Each campaign's ``proof_paths``, made at its first ally.
    proof_paths: dict[str, Callable[[str], str]] = field(default_factory=dict)

    def proof_url(self, slug: str, public_id: str) -> str:
        paths = self.proof_paths.get(slug)
        if paths is None:
            paths = self.proof_paths[slug] = public_proofs.proof_paths(slug)
        return f"{self.site}{paths(public_id)}"


class AllySerializer(serializers.ModelSerializer):
    id = serializers.CharField(source="public_id", help_text="A stable public id.")
    name = serializers.CharField(source="organization.name")
    website = serializers.URLField(source="organization.website")
    country = CountrySerializer(source="organization.country")
    sector = SectorSerializer(source="organization.sector")
    logo = LogoSerializer(source="organization.logo", allow_null=True)
    statement = serializers.CharField(source="organization.statement")
    verified = serializers.SerializerMethodField(
        help_text="The organization proved that it controls its website's domain (see "
        "`verification`)."
    )
    verification = serializers.ChoiceField(
        choices=VERIFICATIONS,
        allow_null=True,
        read_only=True,
        help_text="How it proved it: `email` (the contact's confirmed address is at the domain), "
        "`dns` (a TXT record holds its token), `well-known` (a file on its website does), or "
        "null when it has not (or the proof has gone missing).",
    )

    proof_url = serializers.URLField(
        read_only=True,
        help_text="The ally's proof page (absolute URL, in the response's language): when it "
        "joined and how its participation was established, with the dates of the last checks.",
    )

    class Meta:
        model = Endorsement
        fields = [
            "id",
            "name",
            "website",
            "country",
            "sector",
            "logo",
            "statement",
            "verified",
            "verification",
            "approved_at",
            "proof_url",
        ]
        read_only_fields = fields

    # Set at the first row of a rendering (one serializer, as the list's child, shows them all).
    _shared: RowsShared | None = None

    def to_representation(self, ally: dict[str, Any]) -> dict[str, Any]:
        """``ally``, a row of ``ally_rows``, as the API shows it."""
        # The fields of Meta.fields in their order, written out from a row: DRF's generic walk
        # over them, and Django building the endorsement, its organization and its logo, cost
        # more than the data itself on a page of 500 allies (issue 13). The declared fields
        # stay the schema, and the nested serializers and the date's field still say how their
        # values are shown.
        fields = self.fields
        # Every sector by id: the caller has read them (``filters.select`` does).
        sectors = self.context["sectors"]
        if self._shared is None:
            # What every row of one rendering has in common, worked out at its first.
            self._shared = RowsShared(
                site=links.site_url(),
                statement_columns=_statement_columns(translation_utils.get_language()),
            )
        shared = self._shared
        code = ally["organization__country"]
        country = shared.countries.get(code)
        if country is None:
            country = shared.countries[code] = fields["country"].to_representation(code)
        sector_id = ally["organization__sector"]
        sector = shared.sectors.get(sector_id)
        if sector is None:
            sector = shared.sectors[sector_id] = fields["sector"].to_representation(
                sectors[sector_id]
            )
        verification = ally["verified_by"]
        return {
            "id": ally["public_id"],
            "name": ally["organization__name"],
            "website": ally["organization__website"],
            "country": dict(country),
            "sector": dict(sector),
            "logo": None
            if ally["organization__logo"] is None
            else _row_logo(ally, site=shared.site),
            "statement": _row_statement(ally, shared.statement_columns),
            "verified": verification is not None,
            "verification": verification,
            "approved_at": fields["approved_at"].to_representation(ally["approved_at"]),
            "proof_url": shared.proof_url(ally["campaign__slug"], ally["public_id"]),
        }

    def get_verified(self, ally: dict[str, Any]) -> bool:
        # For the schema (a SerializerMethodField); to_representation writes it out.
        return ally["verified_by"] is not None


_LOGO_FILES = ("png", "webp", "png_2x", "webp_2x")
_STATEMENT = "organization__statement"

# What AllySerializer reads of each ally, and nothing else.
ALLY_COLUMNS = (
    "public_id",
    "approved_at",
    "verified_by",
    "campaign__slug",
    "organization__name",
    "organization__website",
    "organization__country",
    "organization__sector",
    "organization__logo",
    *(f"organization__logo__{name}" for name in _LOGO_FILES),
    "organization__logo__width",
    "organization__logo__height",
    *(
        translation_utils.build_localized_fieldname(_STATEMENT, code)
        for code, _name in settings.LANGUAGES
    ),
)


def ally_rows(allies: QuerySet[Endorsement]) -> QuerySet[Endorsement]:
    """``allies`` (a ``selectors.ally_list`` or a page of it, its filters, order and slice
    kept) as the rows ``AllySerializer`` shows: dicts of ``ALLY_COLUMNS``, how the domain was
    proven worked out by the database (``verification_expression``, the rule of
    ``Endorsement.verification``). No model is built: for a page of 500 allies, building them
    took about as long as showing them."""
    return allies.annotate(verified_by=verification_expression()).values(*ALLY_COLUMNS)


def _row_logo(ally: dict[str, Any], *, site: str) -> dict[str, Any]:
    files = {name: logos.file_url(ally[f"organization__logo__{name}"]) for name in _LOGO_FILES}
    return logo_data(
        **files,
        width=ally["organization__logo__width"],
        height=ally["organization__logo__height"],
        site=site,
    )


# What reading ``organization.statement`` gives when no language has a statement: the field's
# default, which also counts as "none in this language" (the options register no
# fallback_values or fallback_undefined for Organization).
_STATEMENT_DEFAULT = Organization._meta.get_field("statement").get_default()
_STATEMENT_FALLBACKS = getattr(
    translator.get_options_for_model(Organization), "fallback_languages", None
)


def _row_statement(ally: dict[str, Any], columns: tuple[str, ...]) -> str:
    """The statement in the active language, falling back as ``organization.statement`` does
    (django-modeltranslation's resolution order, ``MODELTRANSLATION_FALLBACK_LANGUAGES``):
    ``columns``, from ``_statement_columns``."""
    for column in columns:
        value = ally[column]
        if value is not None and value != _STATEMENT_DEFAULT:
            return value
    return _STATEMENT_DEFAULT


# The languages to try are the same for every row of a rendering.
@lru_cache(maxsize=16)
def _statement_columns(language: str) -> tuple[str, ...]:
    return tuple(
        translation_utils.build_localized_fieldname(_STATEMENT, code)
        for code in translation_utils.resolution_order(language, _STATEMENT_FALLBACKS)
    )


class OrganizerSerializer(serializers.Serializer):
    name = serializers.CharField(
        source="organizer_name", help_text="Who runs the campaign, in the response's language."
    )
    website = serializers.CharField(
        source="organizer_website", help_text="The organizer's website, or an empty string."
    )
    logo = LogoSerializer(source="organizer_logo", allow_null=True)


class MilestoneSerializer(serializers.Serializer):
    date = serializers.DateField(help_text="The day of the step (YYYY-MM-DD).")
    title = serializers.CharField(help_text="What happens, in the response's language.")
    link = serializers.CharField(
        allow_null=True,
        help_text="A page about it, in the response's language; null when there is none.",
    )

    def to_representation(self, instance: Any) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["link"] = data["link"] or None
        return data


class CampaignSerializer(serializers.ModelSerializer):
    lead = serializers.CharField(help_text="One or two sentences under the title, or empty.")
    organizer = OrganizerSerializer(
        source="*", allow_null=True, help_text="Who runs the campaign; null when not given."
    )
    ally_count = serializers.IntegerField(help_text="How many allies are approved.")
    accepts_applications = serializers.SerializerMethodField(
        help_text="Whether its form takes applications now: false once closed by its organizers "
        "or past closes_at."
    )
    goal = serializers.IntegerField(
        allow_null=True,
        help_text="How many organizations the campaign hopes to gather; null when it set none.",
    )
    closes_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When applications close (UTC; shown to visitors in time_zone); null: never.",
    )
    publish_at = serializers.SerializerMethodField(
        help_text="When the campaign goes public (UTC), while it is not yet; null once public."
    )
    time_zone = serializers.CharField(
        help_text="The IANA time zone its dates are shown in, such as Europe/Brussels."
    )
    timeline = MilestoneSerializer(
        source="milestones",
        many=True,
        help_text="Its dated milestones, oldest first; titles and links in the response's "
        "language.",
    )

    class Meta:
        model = Campaign
        fields = [
            "slug",
            "title",
            "lead",
            "statement",
            "organizer",
            "is_default",
            "accepts_applications",
            "ally_count",
            "goal",
            "closes_at",
            "publish_at",
            "time_zone",
            "timeline",
        ]
        read_only_fields = fields

    def to_representation(self, instance: Campaign) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not instance.organizer_name:
            data["organizer"] = None
        return data

    @extend_schema_field(serializers.BooleanField())
    def get_accepts_applications(self, instance: Campaign) -> bool:
        return instance.accepts_applications and not instance.is_closed()

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_publish_at(self, instance: Campaign) -> str | None:
        if instance.is_public():
            return None
        return serializers.DateTimeField().to_representation(instance.publish_at)


class CountryCountSerializer(serializers.Serializer):
    code = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    name = serializers.CharField()
    count = serializers.IntegerField()


class SectorCountSerializer(serializers.Serializer):
    slug = serializers.CharField()
    name = serializers.CharField()
    parent = serializers.CharField(allow_null=True)
    count = serializers.IntegerField(help_text="Allies in exactly this sector.")


class CountrySectorCountSerializer(serializers.Serializer):
    country = serializers.CharField(help_text="ISO 3166-1 alpha-2 code.")
    sector = serializers.CharField(help_text="Sector slug.")
    count = serializers.IntegerField()


class FacetsSerializer(serializers.Serializer):
    campaign = serializers.CharField(help_text="The campaign's slug.")
    total = serializers.IntegerField(
        help_text="Allies selected; each list of counts adds up to it."
    )
    countries = CountryCountSerializer(many=True)
    sectors = SectorCountSerializer(many=True)
    country_sector = CountrySectorCountSerializer(many=True)


def facets_data(*, campaign: Campaign, facets: Facets, sectors: dict[int, Sector]) -> dict:
    """The facets with ISO codes, slugs and names (in the active language), largest first."""
    return {
        "campaign": campaign.slug,
        "total": facets.total,
        "countries": [
            {"code": code, "name": country_name(code), "count": count}
            # Equal counts in the reader's alphabetical order.
            for code, count in sorted(
                facets.countries.items(),
                key=lambda item: (-item[1], collation_key(country_name(item[0]))),
            )
        ],
        "sectors": [
            {
                "slug": sectors[sector_id].slug,
                "name": sectors[sector_id].name,
                "parent": _sector_parent(sectors[sector_id], sectors),
                "count": count,
            }
            for sector_id, count in sorted(
                facets.sectors.items(), key=lambda item: (-item[1], sectors[item[0]].slug)
            )
        ],
        "country_sector": [
            {"country": code, "sector": sectors[sector_id].slug, "count": count}
            for (code, sector_id), count in sorted(
                facets.country_sector.items(),
                key=lambda item: (item[0][0], sectors[item[0][1]].slug),
            )
        ],
    }


class ParameterErrorSerializer(serializers.Serializer):
    parameter = serializers.CharField(help_text="The parameter at fault.")
    message = serializers.CharField(help_text="What is wrong with it.")
    accepts = serializers.CharField(help_text="What the parameter accepts.")


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    errors = ParameterErrorSerializer(many=True)


class UnavailableSerializer(serializers.Serializer):
    detail = serializers.CharField()
