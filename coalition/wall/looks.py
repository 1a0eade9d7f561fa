"""How an embed or an image of the wall looks: what it shows of the allies, never which allies
(that is the ``coalition.wall.queries.AllyQuery``).

The HTML wall's tiles (``wall_tiles``) are worked out here, once per ally, from only the
columns they show: a page of them is re-rendered in every language and look after each change.

``theme`` (light, dark, campaign), ``lang``, ``columns`` (0 = as many as fit), ``names`` and
``count`` (1 shows the names under the logos and the headline count, 0 hides them), and for the
builder's iframe snippet its ``height``. Read with the same ``Reader`` as the query, so a page
names every parameter at fault, of either kind, in one message.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any, TypedDict

from django.db.models import BooleanField, ExpressionWrapper, QuerySet
from django.utils.translation import gettext_lazy as _

from coalition.images.logos import LOGO_BOX, file_url, fit_logo
from coalition.models import Endorsement, verified_condition
from coalition.wall.parameters import Parameter, Reader, whole_number
from coalition.wall.selectors import STATEMENT_COLUMNS, statement_in_language
from coalition.wall.snippets import DEFAULT_IFRAME_HEIGHT

# "campaign": light, in the campaign's accent colour (its ``/theme/<accent>.css``).
THEMES = (("light", _("Light")), ("dark", _("Dark")), ("campaign", _("Campaign colours")))
MAX_COLUMNS = 8
MIN_HEIGHT = 100
MAX_HEIGHT = 5000

PARAMETERS: dict[str, Parameter] = {
    parameter.name: parameter
    for parameter in (
        Parameter("theme", _("Theme")),
        Parameter("lang", _("Language")),
        Parameter("columns", _("Columns")),
        Parameter("names", _("Show names")),
        Parameter("count", _("Show the count")),
        Parameter("height", _("Height in pixels (iframe snippet)")),
    )
}


@dataclass(frozen=True)
class WallDisplay:
    theme: str = "light"
    lang: str = ""  # "": the visitor's language
    columns: int = 0
    names: bool = True
    count: bool = True
    height: int = DEFAULT_IFRAME_HEIGHT

    @classmethod
    def parse(cls, params: Any, *, height: bool = False) -> WallDisplay:
        """The looks the GET parameters ``params`` ask for (``height`` only when it is read);
        raises ``QueryError`` naming every parameter at fault."""
        reader = Reader(params, PARAMETERS)
        values: dict[str, Any] = {}
        theme = reader.choice(
            "theme", dict(THEMES), _("Choose the theme “light”, “dark” or “campaign”.")
        )
        if theme is not None:
            values["theme"] = theme
        language = reader.language("lang")
        if language is not None:
            values["lang"] = language
        given = reader.value("columns")
        if given is not None:
            columns = whole_number(given[1])
            if columns is None or not 0 <= columns <= MAX_COLUMNS:
                reader.problem(
                    "columns",
                    _(
                        "Choose a number of columns from 0 to %(max)d; 0 fits as many as the "
                        "width allows."
                    )
                    % {"max": MAX_COLUMNS},
                )
            else:
                values["columns"] = columns
        for name in ("names", "count"):
            shown_or_hidden = reader.shown_or_hidden(name)
            if shown_or_hidden is not None:
                values[name] = shown_or_hidden
        given = reader.value("height") if height else None
        if given is not None:
            pixels = whole_number(given[1])
            if pixels is None or not MIN_HEIGHT <= pixels <= MAX_HEIGHT:
                reader.problem(
                    "height",
                    _("Choose a height in pixels from %(min)d to %(max)d.")
                    % {"min": MIN_HEIGHT, "max": MAX_HEIGHT},
                )
            else:
                values["height"] = pixels
        reader.check()
        return cls(**values)

    def to_params(self) -> list[tuple[str, str]]:
        """The GET parameters that ask for these looks, defaults left out, in a fixed order."""
        default = WallDisplay()
        params: list[tuple[str, str]] = []
        for name in ("theme", "lang", "columns", "names", "count", "height"):
            value = getattr(self, name)
            if value == getattr(default, name):
                continue
            params.append(
                (name, ("1" if value else "0") if isinstance(value, bool) else str(value))
            )
        return params

    def cache_key(self) -> str:
        return "&".join(f"{name}={value}" for name, value in self.to_params())

    def without_height(self) -> WallDisplay:
        return replace(self, height=DEFAULT_IFRAME_HEIGHT)


class Tile(TypedDict):
    """One ally on the HTML wall (``templates/coalition/_wall.html``): only public fields.

    A dict, not an object: the template looks each value up by key first, so a dict answers at
    once where an object would raise and be retried as an attribute, a hundred times a page."""

    public_id: str
    name: str
    website: str
    # ISO 3166 code: the page's structured data names it (coalition.wall.structured_data).
    country: str
    verified: bool
    # Without a logo the tile shows the name, and the logo's URLs below are empty.
    logo: bool
    png_url: str
    png_srcset: str
    webp_srcset: str
    width: int
    height: int
    # Why it signed, in its own words ("" unless the rows were read ``with_statements``), and
    # the language they are in.
    statement: str
    statement_language: str


# What ``wall_tiles`` reads of each ally, in this order.
TILE_COLUMNS = (
    "public_id",
    "verified",
    "organization__name",
    "organization__website",
    "organization__logo__width",
    "organization__logo__height",
    "organization__logo__png",
    "organization__logo__png_2x",
    "organization__logo__webp",
    "organization__logo__webp_2x",
    "organization__country",
)


def tile_rows(
    allies: QuerySet[Endorsement], *, with_statements: bool = False
) -> QuerySet[Endorsement]:
    """``allies`` (a ``selectors.ally_list`` or a page of it, its filters, order and slice
    kept) as the rows ``wall_tiles`` reads: the columns a tile shows and nothing else, and the
    verified mark worked out by the database, by the same rule as ``Endorsement.verification``.
    No model is built: for a page of 200 allies, building them (and reading the columns no tile
    shows) took longer than the query. ``with_statements``: the statements too, for a page that
    shows them (the campaign's), in the same query."""
    verified = ExpressionWrapper(verified_condition(), output_field=BooleanField())
    columns = TILE_COLUMNS + (STATEMENT_COLUMNS if with_statements else ())
    return allies.annotate(verified=verified).values_list(*columns)


def wall_tiles(rows: Iterable[tuple[Any, ...]]) -> list[Tile]:
    """The tiles of ``rows`` (from ``tile_rows``), each logo shown at the size its 1x file was
    made at (``logos.fit_logo``) and its files addressed through the storage, as the pipeline
    stored them."""
    url = file_url
    sizes: dict[tuple[int, int], tuple[int, int]] = {}  # many logos share a size
    tiles: list[Tile] = []
    shown = len(TILE_COLUMNS)
    for row in rows:
        (public_id, verified, name, website, width, height, png, png_2x, webp, webp_2x, country) = (
            row[:shown]
        )
        texts = row[shown:]
        statement, statement_language = statement_in_language(texts) if texts else ("", "")
        if png:
            size = (width, height)
            if size not in sizes:
                sizes[size] = fit_logo(width, height)
            display_width, display_height = sizes[size]
            png_url = url(png)
            png_srcset = f"{png_url} 1x, {url(png_2x)} 2x"
            webp_srcset = f"{url(webp)} 1x, {url(webp_2x)} 2x"
        else:
            display_width, display_height = LOGO_BOX
            png_url = png_srcset = webp_srcset = ""
        tiles.append(
            Tile(
                public_id=public_id,
                name=name,
                website=website,
                country=str(country or ""),
                # NULL (no proof to compare) is not verified.
                verified=bool(verified),
                logo=bool(png),
                png_url=png_url,
                png_srcset=png_srcset,
                webp_srcset=webp_srcset,
                width=display_width,
                height=display_height,
                statement=statement,
                statement_language=statement_language,
            )
        )
    return tiles
