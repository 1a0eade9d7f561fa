"""A public query of a campaign's allies: which campaign, which filters, which order, which page.

The wall, the embeds and their builder, the images, the feed and the API (its list, its CSV and
its facets) all name the allies they show with an ``AllyQuery``, read from GET parameters here
and nowhere else: one definition per parameter (its names, its values, its messages), from which
the API's OpenAPI parameters are generated too. Two parameters have two spellings, each the one a
surface has always used: ``search`` (also ``q``) and ``order`` (also ``ordering``).

Reading needs no database, so a request is checked, and its cache variant named, before
anything else. Whether the sectors named exist is a separate check (``check_sectors``) against
the sectors the caller has read; the campaign's slug is resolved by whoever shows the allies.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable
from dataclasses import dataclass, replace
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django_countries import countries

from coalition.wall.parameters import Parameter, QueryError, Reader, flag, shown, whole_number

COUNTRY_CODES = frozenset(code for code, _name in countries)
SLUG_PATTERN = r"^[-a-zA-Z0-9_]{1,64}$"
_SLUG = re.compile(SLUG_PATTERN)
# Control characters (line breaks, tabs, NUL, which PostgreSQL refuses) have no place in a
# search; written once for the check and for the API's schema.
_CONTROL_CHARACTERS = r"\x00-\x1f\x7f-\x9f"
_CONTROL = re.compile(f"[{_CONTROL_CHARACTERS}]")
SEARCH_MAX_LENGTH = 100
# A parameter that takes several values takes this many at most: enough for any real choice,
# and a bound on the query a single URL can ask of the database.
MAX_VALUES = 50

# The orders, in the words of each spelling of the parameter: ``order`` takes names for people,
# ``ordering`` the field names APIs conventionally take. Either spelling accepts all of them.
ORDER_CHOICES = (("name", _("Name")), ("newest", _("Newest first")))
ORDER_VALUES = {"name": "name", "newest": "newest", "-approved_at": "newest"}
_ORDER_WORDS = {"order": ("name", "newest"), "ordering": ("name", "-approved_at")}

PAGE_SIZE = 50
# Past the last page is a 404; past this (the most that ``whole_number`` reads), a number that
# names no page at all.
MAX_PAGE = 10**18 - 1


def _values_schema(items: dict[str, Any]) -> dict[str, Any]:
    return {"type": "array", "items": items, "maxItems": MAX_VALUES}


PARAMETERS: dict[str, Parameter] = {
    parameter.name: parameter
    for parameter in (
        Parameter("campaign", _("Campaign"), {"type": "string", "pattern": SLUG_PATTERN}),
        Parameter(
            "country",
            _("Country"),
            _values_schema({"type": "string", "enum": sorted(COUNTRY_CODES)}),
        ),
        Parameter(
            "sector",
            _("Sector"),
            _values_schema({"type": "string", "pattern": SLUG_PATTERN}),
        ),
        Parameter(
            "search",
            _("Search by name"),
            {
                "type": "string",
                "maxLength": SEARCH_MAX_LENGTH,
                "pattern": f"^[^{_CONTROL_CHARACTERS}]*$",
            },
            aliases=("q",),
        ),
        Parameter("verified", _("Verified"), {"type": "string", "enum": ["false", "true"]}),
        Parameter(
            "order",
            _("Order"),
            {"type": "string", "enum": sorted(ORDER_VALUES)},
            aliases=("ordering",),
        ),
        Parameter("page", _("Page"), {"type": "integer", "minimum": 1, "maximum": MAX_PAGE}),
        Parameter("page_size", _("Page size"), {"type": "integer", "minimum": 1}),
    )
}
# What selects allies (the facets read only these), and what also orders and pages them.
SELECTION = ("campaign", "country", "sector", "search", "verified")
LISTING = (*SELECTION, "order", "page", "page_size")
# A page's own parameters: its path names the campaign, and its page size is fixed.
PAGE_PARAMETERS = ("country", "sector", "search", "verified", "order", "page")


def parameter_schema(name: str, *, max_page_size: int | None = None) -> dict[str, Any]:
    """The JSON Schema of parameter ``name``'s values, with the page size's maximum."""
    schema = dict(PARAMETERS[name].schema)
    if name == "page_size" and max_page_size is not None:
        schema["maximum"] = max_page_size
    return schema


def _unknown(slugs: Iterable[str], known: Iterable[str]) -> list[str]:
    known = set(known)
    return [slug for slug in slugs if slug not in known]


def _unknown_sectors_message(unknown: list[str]) -> str:
    return ngettext(
        "%(slugs)s is not a sector we know.", "%(slugs)s are not sectors we know.", len(unknown)
    ) % {"slugs": ", ".join(f"“{slug}”" for slug in unknown)}


@dataclass(frozen=True)
class AllyQuery:
    """Which approved allies to show, and how: the campaign (its slug; ``None`` for the default
    campaign until the caller resolves it), the filters (a parent sector includes its children),
    the order and the page."""

    campaign: str | None = None
    countries: tuple[str, ...] = ()  # ISO 3166-1 alpha-2 codes, sorted
    sectors: tuple[str, ...] = ()  # slugs, sorted
    search: str = ""  # part of the organization's name
    verified: bool | None = None
    order: str = "name"  # or "newest"
    page: int = 1
    page_size: int = PAGE_SIZE

    @classmethod
    def parse(
        cls,
        params: Any,
        *,
        campaign: str | None = None,
        read: Collection[str] = PAGE_PARAMETERS,
        known_sectors: Collection[str] | None = None,
        page_size: int = PAGE_SIZE,
        max_page_size: int | None = None,
    ) -> AllyQuery:
        """The query that the GET parameters ``params`` name, reading only the parameters in
        ``read`` (a page's own by default): ``campaign`` when none is named, ``page_size`` when
        no page size is. With ``known_sectors``, an unknown sector is a problem too.

        Raises ``QueryError`` naming every parameter at fault.
        """
        reader = Reader(params, PARAMETERS)
        values: dict[str, Any] = {"campaign": campaign, "page_size": page_size}
        for name in read:
            if name == "page_size":
                if max_page_size is not None:
                    values["page_size"] = _read_page_size(reader, page_size, max_page_size)
            else:
                value = _READERS[name](reader)
                if value is not None:
                    values[_FIELDS.get(name, name)] = value
        if known_sectors is not None:
            unknown = _unknown(values.get("sectors", ()), known_sectors)
            if unknown:
                reader.problem("sector", _unknown_sectors_message(unknown))
        reader.check()
        return cls(**values)

    def check_sectors(self, known: Iterable[str]) -> None:
        """Raises ``QueryError`` if a sector named is not among the ``known`` slugs."""
        unknown = _unknown(self.sectors, known)
        if unknown:
            raise QueryError(
                {"sector": _unknown_sectors_message(unknown)},
                labels={"sector": PARAMETERS["sector"].label},
            )

    @property
    def filtered(self) -> bool:
        """Whether the query leaves some allies out."""
        return bool(self.countries or self.sectors or self.search or self.verified is not None)

    def unfiltered(self) -> AllyQuery:
        """Every ally of the same campaign."""
        return replace(self, countries=(), sectors=(), search="", verified=None)

    def to_params(self) -> list[tuple[str, str]]:
        """The GET parameters that name this query on a page, defaults left out, in a fixed
        order, in the page's spellings (``q``, ``order=newest``): a canonical URL. The campaign
        and the page size are not among them (a page's path names its campaign, and its page
        size is fixed)."""
        params: list[tuple[str, str]] = []
        if self.countries:
            params.append(("country", ",".join(self.countries)))
        if self.sectors:
            params.append(("sector", ",".join(self.sectors)))
        if self.search:
            params.append(("q", self.search))
        if self.verified is not None:
            params.append(("verified", "true" if self.verified else "false"))
        if self.order != "name":
            params.append(("order", self.order))
        if self.page != 1:
            params.append(("page", str(self.page)))
        return params

    def cache_key(self) -> str:
        """Everything the query names, canonical: two requests that name the same allies in the
        same order and page share it."""
        verified = "" if self.verified is None else str(int(self.verified))
        return "|".join(
            [
                self.campaign or "",
                ",".join(self.countries),
                ",".join(self.sectors),
                self.search.casefold(),
                verified,
                self.order,
                str(self.page),
                str(self.page_size),
            ]
        )

    def form_values(self) -> dict[str, Any]:
        """The values as the wall's filter form names its fields."""
        return {
            "country": list(self.countries),
            "sector": list(self.sectors),
            "q": self.search,
            "verified": self.verified,
            "order": self.order,
            "page": self.page,
        }


def _read_campaign(reader: Reader) -> str | None:
    given = reader.value("campaign")
    if given is None:
        return None
    if not _SLUG.match(given[1]):
        reader.problem(
            "campaign", _("“%(value)s” is not a campaign slug.") % {"value": shown(given[1])}
        )
    return given[1]


def _read_countries(reader: Reader) -> tuple[str, ...]:
    values = [value.upper() for value in reader.values("country")]
    # Counted as given, repeats too: what the published schema's maxItems says.
    if len(values) > MAX_VALUES:
        reader.problem("country", _too_many())
        return ()
    for code in values:
        if code not in COUNTRY_CODES:
            reader.problem(
                "country",
                _("“%(value)s” is not a country we know (use ISO 3166-1 alpha-2 codes such as DE).")
                % {"value": shown(code)},
            )
            break
    return tuple(sorted(set(values)))


def _read_sectors(reader: Reader) -> tuple[str, ...]:
    values = [value.lower() for value in reader.values("sector")]
    if len(values) > MAX_VALUES:
        reader.problem("sector", _too_many())
        return ()
    for slug in values:
        if not _SLUG.match(slug):
            reader.problem(
                "sector", _("“%(value)s” is not a sector slug.") % {"value": shown(slug)}
            )
            break
    return tuple(sorted(set(values)))


def _too_many() -> str:
    return _("Give at most %(max)d values.") % {"max": MAX_VALUES}


def _read_search(reader: Reader) -> str:
    given = reader.value("search")
    if given is None:
        return ""
    search = given[1]
    if _CONTROL.search(search):
        reader.problem(
            "search",
            _("Remove the control characters, such as line breaks or tabs, from the search."),
        )
    elif len(search) > SEARCH_MAX_LENGTH:
        reader.problem(
            "search",
            ngettext(
                "Keep the search to at most %(max)d character.",
                "Keep the search to at most %(max)d characters.",
                SEARCH_MAX_LENGTH,
            )
            % {"max": SEARCH_MAX_LENGTH},
        )
    return search


def _read_verified(reader: Reader) -> bool | None:
    given = reader.value("verified")
    if given is None:
        return None
    verified = flag(given[1], true={"true"}, false={"false"})
    if verified is None:
        reader.problem(
            "verified", _("Use “true” or “false”, not “%(value)s”.") % {"value": shown(given[1])}
        )
    return verified


def _read_order(reader: Reader) -> str:
    given = reader.value("order")
    if given is None:
        return "name"
    spelling, value = given
    if value not in ORDER_VALUES:
        name, newest = _ORDER_WORDS[spelling]
        reader.problem(
            "order",
            _("Order by “%(name)s” or “%(newest)s”, not “%(value)s”.")
            % {"name": name, "newest": newest, "value": shown(value)},
        )
        return "name"
    return ORDER_VALUES[value]


def _read_page(reader: Reader) -> int:
    given = reader.value("page")
    if given is None:
        return 1
    page = whole_number(given[1])
    if page is None:
        reader.problem("page", _("The page must be a whole number."))
        return 1
    if page < 1:
        reader.problem("page", _("The page must be 1 or more."))
        return 1
    return page


def _read_page_size(reader: Reader, default: int, maximum: int) -> int:
    given = reader.value("page_size")
    if given is None:
        return default
    spelling, raw = given
    size = whole_number(raw)
    if size is None or not 1 <= size <= maximum:
        reader.problem(
            "page_size",
            _("%(name)s must be between 1 and %(max)d, not “%(value)s”.")
            % {"name": spelling, "max": maximum, "value": shown(raw)},
        )
        return default
    return size


# Each parameter's reader: its value, or ``None`` to keep the query's own (a default, or the
# campaign given by the caller).
_READERS = {
    "campaign": _read_campaign,
    "country": _read_countries,
    "sector": _read_sectors,
    "search": _read_search,
    "verified": _read_verified,
    "order": _read_order,
    "page": _read_page,
}
_FIELDS = {"country": "countries", "sector": "sectors"}
