"""What the API shows: explicit allowlists of public fields, nothing else."""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from django.core.files.storage import Storage
from django.db.models.fields.files import FieldFile
from django.utils import translation
from django_countries import countries
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from coalition import links
from coalition.i18n import collation_key
from coalition.models import Campaign, Endorsement, Logo, Sector
from coalition.models.proof import Method
from coalition.selectors import Facets

# The values of an ally's ``verification`` (``Endorsement.verification``).
VERIFICATIONS = [method.value for method in Method]


def absolute_url(url: str) -> str:
    """``url`` as an absolute URL: storage URLs are often paths, which embeds cannot use."""
    if url.startswith(("http://", "https://")):
        return url
    if url.startswith("//"):
        return f"https:{url}"
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
    """``file.url``, worked out once per process for each logo file."""
    if not file:
        return file.url  # no file: Django's own error
    return _storage_url(file.storage, file.name)


# A storage's url() costs some 10 µs (FileSystemStorage's urljoin), and a page of 500 allies
# has 2,000 logo files. Logo files are named after their content and never change, so neither
# do their URLs; the bound holds every file of some 4,000 logos.
@lru_cache(maxsize=16384)
def _storage_url(storage: Storage, name: str) -> str:
    return storage.url(name)


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

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A page names the same few sectors over and over: each is worked out once per
        # rendering (by language, since a name is translated).
        self._shown: dict[tuple[str | None, int], dict[str, Any]] = {}

    def to_representation(self, instance: Sector) -> dict[str, Any]:
        key = (translation.get_language(), instance.pk)
        shown = self._shown.get(key)
        if shown is None:
            shown = self._shown[key] = {
                "slug": instance.slug,
                "name": instance.name,
                "parent": _sector_parent(instance, self.context.get("sectors")),
            }
        return dict(shown)


class LogoSerializer(serializers.ModelSerializer):
    png = serializers.SerializerMethodField()
    webp = serializers.SerializerMethodField()
    png_2x = serializers.SerializerMethodField()
    webp_2x = serializers.SerializerMethodField()

    class Meta:
        model = Logo
        fields = ["png", "webp", "png_2x", "webp_2x", "width", "height"]

    def to_representation(self, logo: Logo) -> dict[str, Any]:
        # The fields of Meta.fields, written out: see AllySerializer.to_representation.
        return {
            "png": self.get_png(logo),
            "webp": self.get_webp(logo),
            "png_2x": self.get_png_2x(logo),
            "webp_2x": self.get_webp_2x(logo),
            "width": logo.width,
            "height": logo.height,
        }

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
        ]
        read_only_fields = fields

    def to_representation(self, ally: Endorsement) -> dict[str, Any]:
        # The fields of Meta.fields in their order, written out: DRF's generic walk over them
        # (each source looked up, checked for None, converted) cost more than the data itself
        # on a page of 500 allies (issue 13). The declared fields stay the schema, and the
        # nested serializers and the date's field still say how their values are shown.
        fields = self.fields
        organization = ally.organization
        # Every sector by id, when the caller has read them (the list has, and reads the
        # allies without their sectors).
        sectors = self.context.get("sectors") or {}
        sector = sectors.get(organization.sector_id) or organization.sector
        logo = organization.logo
        return {
            "id": ally.public_id,
            "name": organization.name,
            "website": organization.website,
            "country": fields["country"].to_representation(organization.country),
            "sector": fields["sector"].to_representation(sector),
            "logo": None if logo is None else fields["logo"].to_representation(logo),
            "statement": organization.statement,
            "verified": self.get_verified(ally),
            "verification": ally.verification,
            "approved_at": fields["approved_at"].to_representation(ally.approved_at),
        }

    def get_verified(self, ally: Endorsement) -> bool:
        return ally.verification is not None


class OrganizerSerializer(serializers.Serializer):
    name = serializers.CharField(
        source="organizer_name", help_text="Who runs the campaign, in the response's language."
    )
    website = serializers.CharField(
        source="organizer_website", help_text="The organizer's website, or an empty string."
    )
    logo = LogoSerializer(source="organizer_logo", allow_null=True)


class CampaignSerializer(serializers.ModelSerializer):
    lead = serializers.CharField(help_text="One or two sentences under the title, or empty.")
    organizer = OrganizerSerializer(
        source="*", allow_null=True, help_text="Who runs the campaign; null when not given."
    )
    ally_count = serializers.IntegerField(help_text="How many allies are approved.")

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
        ]
        read_only_fields = fields

    def to_representation(self, instance: Campaign) -> dict[str, Any]:
        data = super().to_representation(instance)
        if not instance.organizer_name:
            data["organizer"] = None
        return data


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
