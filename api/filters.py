"""The allies' filters: read and checked here, applied by ``coalition.selectors``.

Checking a parameter's form needs no database, so a request is validated, and its cache variant
named, before anything else: a malformed value is a 400. Whether a campaign or a sector exists is
checked only when a response is built (an error is never stored): one that names nothing is a
400 too, saying where the valid values are listed. 404 is for paths only (an unknown ally, a page
past the last): the list asked for exists, the filter's value is what is wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import django_filters
from django.core.exceptions import ValidationError
from django.core.validators import validate_slug
from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries
from django_filters.rest_framework import DjangoFilterBackend
from django_filters.utils import translate_validation
from drf_spectacular.utils import extend_schema_field

from api.errors import ParameterError
from coalition import selectors
from coalition.models import Campaign, Endorsement, Sector

COUNTRY_CODES = tuple(code for code, _name in countries)
MAX_VALUES = 50
SEARCH_MAX_LENGTH = 100
_SLUG = re.compile(r"^[-a-zA-Z0-9_]{1,64}$")
SLUG_SCHEMA = {"type": "string", "pattern": _SLUG.pattern}
# Orderings the API offers, and the selectors' names for them.
ORDERINGS = {"name": "name", "-approved_at": "newest"}


class ValueListField(django_filters.fields.MultipleChoiceField):
    """Values given repeated (``?x=a&x=b``), comma-separated (``?x=a,b``) or both."""

    def normalize(self, value: str) -> str:
        return value

    def to_python(self, value: Any) -> list[str]:
        values: list[str] = []
        for item in super().to_python(value):
            values.extend(self.normalize(part.strip()) for part in item.split(","))
        values = list(dict.fromkeys(value for value in values if value))
        if len(values) > MAX_VALUES:
            raise ValidationError(
                _("Give at most %(max)d values."), code="max_values", params={"max": MAX_VALUES}
            )
        return values


class CountryListField(ValueListField):
    default_error_messages = {
        "invalid_choice": _(
            "“%(value)s” is not an ISO 3166-1 alpha-2 country code (such as DE or FR); "
            "/api/v1/facets/ lists the countries of the allies."
        ),
    }

    def normalize(self, value: str) -> str:
        return value.upper()


class SlugListField(ValueListField):
    default_error_messages = {"invalid_choice": _("“%(value)s” is not a sector slug.")}

    def valid_value(self, value: str) -> bool:
        return bool(_SLUG.match(value))


class CountryFilter(django_filters.MultipleChoiceFilter):
    field_class = CountryListField


class SectorFilter(django_filters.MultipleChoiceFilter):
    field_class = SlugListField


def _with_schema(schema: dict[str, Any], filter_: django_filters.Filter) -> django_filters.Filter:
    """``filter_`` with its schema written by hand, its help text kept as the parameter's
    description (drf-spectacular describes an overridden filter only from the schema given)."""
    return extend_schema_field({**schema, "description": filter_.extra["help_text"]})(filter_)


@dataclass(frozen=True)
class Selection:
    """What a valid set of parameters selects, in the selectors' terms."""

    campaign: Campaign
    filters: selectors.AllyFilters
    sectors: dict[int, Sector]  # every sector by id, to name them in responses


class AllySelectionFilterSet(django_filters.FilterSet):
    """The parameters that select allies; the allies list and the facets share them."""

    campaign = _with_schema(
        SLUG_SCHEMA,
        django_filters.CharFilter(
            validators=[validate_slug],
            max_length=64,
            help_text=_(
                "Campaign slug, as listed at /api/v1/campaigns/; the default campaign when "
                "omitted. A slug that names no campaign is a 400."
            ),
        ),
    )
    country = CountryFilter(
        choices=[(code, code) for code in COUNTRY_CODES],
        help_text=_(
            "ISO 3166-1 alpha-2 codes, repeated or comma-separated; any other value is a 400."
        ),
    )
    sector = _with_schema(
        SLUG_SCHEMA,
        SectorFilter(
            help_text=_(
                "Sector slugs, repeated or comma-separated; a parent sector includes its "
                "children. A slug that names no sector is a 400; /api/v1/facets/ lists the "
                "sectors of the allies."
            ),
        ),
    )
    search = _with_schema(
        {"type": "string", "maxLength": SEARCH_MAX_LENGTH, "pattern": r"^[^\x00]*$"},
        django_filters.CharFilter(
            max_length=SEARCH_MAX_LENGTH, help_text=_("Part of the organization's name.")
        ),
    )
    verified = django_filters.ChoiceFilter(
        choices=[("true", "true"), ("false", "false")],
        help_text=_("Whether the contact's email address is on the organization's domain."),
    )

    class Meta:
        model = Endorsement
        fields = ["campaign", "country", "sector", "search", "verified"]

    def variant(self) -> str:
        """The validated parameters in a canonical form, naming a cached rendering."""
        data = self.form.cleaned_data
        return "|".join(
            [
                data.get("campaign") or "",
                self.ally_filters().cache_key(),
            ]
        )

    def ally_filters(self) -> selectors.AllyFilters:
        data = self.form.cleaned_data
        verified = data.get("verified") or None
        return selectors.AllyFilters(
            countries=tuple(data.get("country") or ()),
            sectors=tuple(data.get("sector") or ()),
            q=(data.get("search") or "").strip(),
            verified=None if verified is None else verified == "true",
            order=ORDERINGS.get(data.get("ordering") or "name", "name"),
        )

    def validate(self) -> None:
        """Check the parameters' form (no database); a 400 naming each one at fault."""
        if not self.is_valid():
            raise translate_validation(self.errors)

    @cached_property
    def selected(self) -> Selection:
        """Resolve the campaign and the sectors named; a 400 naming the parameter, and where its
        values are listed, if one names nothing."""
        slug = self.form.cleaned_data.get("campaign") or None
        try:
            campaign = selectors.campaign_get(slug=slug)
        except Http404:
            raise ParameterError(
                "campaign",
                _("No campaign has the slug “%(slug)s”; /api/v1/campaigns/ lists the campaigns.")
                % {"slug": slug},
            ) from None
        except Campaign.DoesNotExist:
            raise Http404(_("No campaign has been set up yet.")) from None
        sectors = {sector.pk: sector for sector in selectors.sectors_all()}
        filters = self.ally_filters()
        known = {sector.slug for sector in sectors.values()}
        unknown = [slug for slug in filters.sectors if slug not in known]
        if unknown:
            # Every sector, not only those /api/v1/facets/ counts (the ones with allies).
            raise ParameterError(
                "sector",
                ngettext(
                    "No sector has the slug %(slugs)s; see /api/v1/facets/ or the sector list: "
                    "%(known)s.",
                    "No sector has the slugs %(slugs)s; see /api/v1/facets/ or the sector list: "
                    "%(known)s.",
                    len(unknown),
                )
                % {
                    "slugs": ", ".join(f"“{slug}”" for slug in unknown),
                    "known": ", ".join(sorted(known)),
                },
            )
        return Selection(campaign=campaign, filters=filters, sectors=sectors)

    def filter_queryset(self, queryset: QuerySet[Endorsement]) -> QuerySet[Endorsement]:
        # The selectors own public filtering, so the wall, the facets and the API select exactly
        # the same allies; the queryset handed in only names the model.
        return selectors.ally_list(campaign=self.selected.campaign, filters=self.selected.filters)


class AllyFilterSet(AllySelectionFilterSet):
    ordering = django_filters.ChoiceFilter(
        choices=[(value, value) for value in ORDERINGS],
        help_text=_("name (the default) or -approved_at (the newest first)."),
    )

    class Meta(AllySelectionFilterSet.Meta):
        fields = [*AllySelectionFilterSet.Meta.fields, "ordering"]


class AllyFilterBackend(DjangoFilterBackend):
    """django-filter's backend, keeping the filterset on the view: the view names its cache
    variant after it, and names the sectors it resolved in responses."""

    def get_filterset(self, request, queryset, view):
        if getattr(view, "filterset", None) is None:
            view.filterset = super().get_filterset(request, queryset, view)
        return view.filterset
