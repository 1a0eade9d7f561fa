"""What is measured: the pages (beside a static file of the same bytes), the cached variants
whose freshness is checked after each change, and how a browser asks for them."""

from __future__ import annotations

from dataclasses import dataclass

FRESH_PREFIX = "Aaa Fresh"  # sorts before every seeded ally: on the first page of each variant
SEEDED_FIRST = "Bench Ally 00000"  # the first seeded ally by name, and the newest approved

# What every browser sends: the load is measured as browsers ask, compressed. A client without
# it costs Varnish a gunzip of the whole body on every hit (``docs/performance.md``).
BROWSER = (("Accept-Encoding", "gzip, deflate, br"),)


@dataclass(frozen=True)
class Page:
    """A page measured through Varnish and directly, beside a static file of the same bytes."""

    name: str
    path: str  # "{slug}": the default campaign
    file: str  # its static twin's file name

    def url_path(self, slug: str) -> str:
        return self.path.format(slug=slug)


PAGES = [
    Page("wall", "/", "wall.html"),
    Page("embed", "/embed/{slug}/", "embed.html"),
    Page("API list (500)", "/api/v1/allies/?page_size=500", "allies.json"),
    Page("facets", "/api/v1/facets/", "facets.json"),
    Page("wall.svg", "/campaigns/{slug}/wall.svg", "wall.svg"),
]


@dataclass(frozen=True)
class Variant:
    """A cached variant checked for freshness: ``check`` is "names" (the ally's name is in the
    body) or "country" (the facets list the ally's country, where it is the only ally)."""

    name: str
    path: str
    headers: tuple[tuple[str, str], ...] = ()
    check: str = "names"

    def url_path(self, slug: str) -> str:
        return self.path.format(slug=slug)


VARIANTS = [
    Variant("wall", "/"),
    Variant("wall (fr)", "/fr/"),
    Variant("wall (de)", "/de/"),
    Variant("embed", "/embed/{slug}/"),
    Variant("embed, Accept-Language: fr", "/embed/{slug}/", (("Accept-Language", "fr"),)),
    Variant("embed, language cookie de", "/embed/{slug}/", (("Cookie", "coalition_language=de"),)),
    Variant("embed ?lang=de&theme=dark", "/embed/{slug}/?lang=de&theme=dark"),
    Variant("API list (500)", "/api/v1/allies/?page_size=500"),
    Variant("API list (50)", "/api/v1/allies/"),
    Variant("API list ?lang=fr", "/api/v1/allies/?lang=fr"),
    Variant("facets", "/api/v1/facets/", check="country"),
    Variant("facets ?lang=de", "/api/v1/facets/?lang=de", check="country"),
    Variant("wall.svg", "/campaigns/{slug}/wall.svg"),
    Variant("wall.svg ?theme=dark", "/campaigns/{slug}/wall.svg?theme=dark"),
    Variant("feed", "/campaigns/{slug}/feed/"),
]


# Bytes on the wire, with and without compression, through Varnish and directly.
WIRE_PATHS = ["/", "/api/v1/allies/?page_size=500", "/embed.js"]
WIRE_ENCODINGS = ["", "gzip", "br", "gzip, deflate, br"]  # Accept-Encoding; "": none sent
