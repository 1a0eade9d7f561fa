"""deploy/varnish/default.vcl's cache key and compression, in a real Varnish (as
tests/publishing/test_varnish.py runs it, whose helpers and fixtures these are): the query string
cut down to
what each page reads exactly as the app cuts it (coalition/web/public_parameters.py), one copy
whatever tracking or made-up parameters a visitor brings, and text stored gzipped once."""

from __future__ import annotations

import gzip
import http.server
import random
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest

from coalition.web.public_parameters import PUBLIC_PATHS, TRACKING_NAMES, cache_query
from tests.publishing import test_varnish
from tests.publishing.test_varnish import SLUG, Varnish, direct, require_varnish

# The site behind Varnish, as tests/publishing/test_varnish.py sets it up (a Varnish of this
# module's own).
_database_restored_afterwards = test_varnish._database_restored_afterwards
_site_varnish = test_varnish._site_varnish
site = test_varnish.site
wall = test_varnish.wall


# A backend that says which URL it was asked for ------------------------------------------------


@dataclass
class Echo:
    """Answers each GET with the URL it got (never cached), or as ``routes`` say."""

    port: int = 0
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    seen_headers: list[dict[str, str]] = field(default_factory=list)
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        echo = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                echo.seen_headers.append({k.lower(): v for k, v in self.headers.items()})
                if self.path in echo.routes:
                    status, headers, body = echo.routes[self.path]
                else:
                    status, headers, body = 200, {"Cache-Control": "no-store"}, self.path.encode()
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()


@pytest.fixture(scope="module")
def _echo_varnish() -> Iterator[tuple[Varnish, Echo]]:
    require_varnish()
    echo = Echo()
    echo.start()
    varnish = Varnish(echo.port)
    varnish.start()
    yield varnish, echo
    varnish.stop()
    echo.stop()


@pytest.fixture
def echo(_echo_varnish) -> tuple[Varnish, Echo]:
    varnish, backend = _echo_varnish
    backend.routes.clear()
    backend.seen_headers.clear()
    varnish.forget_everything()
    return varnish, backend


# One path of each kind of public page, and some that are none.
SAMPLE_PATHS = {
    "The campaign's page and its wall": ["/", "/fr/", f"/de/campaigns/{SLUG}/"],
    "The wall as a picture": [f"/campaigns/{SLUG}/wall.svg", f"/fr/campaigns/{SLUG}/wall.png"],
    "The map": [f"/campaigns/{SLUG}/map.svg"],
    "robots.txt and the sitemaps": ["/robots.txt", "/sitemap.xml", "/sitemap-allies.xml"],
    "The letter": [f"/campaigns/{SLUG}/letter/", f"/de/campaigns/{SLUG}/letter.pdf"],
    "The embed builder": [f"/campaigns/{SLUG}/embed/"],
    "The feed and the share card": [f"/campaigns/{SLUG}/feed/", f"/campaigns/{SLUG}/share.png"],
    "An embed": [f"/embed/{SLUG}/"],
    "embed.js, a campaign's colours, the favicon, static files, logos": [
        "/embed.js",
        "/theme/1d4ed8.css",
        "/favicon.ico",
        "/static/coalition/site.css",
        "/media/logos/ab/cd.png",
    ],
    "The oEmbed answer": ["/oembed"],
    "An ally's proof page and the verify page": [
        f"/campaigns/{SLUG}/allies/a1b2c3d4e5f6/",
        f"/fr/campaigns/{SLUG}/verify/",
    ],
    "An ally's badge": [f"/campaigns/{SLUG}/badge/a1b2c3d4e5f6.svg"],
    "The API's allies": ["/api/v1/allies/"],
    "The API's facets": ["/api/v1/facets/"],
    "The API's ally and campaigns": [
        "/api/v1/allies/a1b2c3/",
        "/api/v1/campaigns/",
        f"/api/v1/campaigns/{SLUG}/",
    ],
}
OTHER_PATHS = ["/api/docs/", "/api/schema/", f"/campaigns/{SLUG}", "/nowhere/", "/fr/nowhere/"]


def _queries(parameters: tuple[str, ...], rng: random.Random) -> list[str]:
    """Query strings a visitor might send: the page's parameters, tracking ones and made-up
    ones, shuffled, repeated, empty, with and without values."""
    names = [*parameters, *TRACKING_NAMES, "utm_source", "utm_campaign", "zz", "Country", "x"]
    found = ["", "&", "&&", "zz", "utm_source=a", "fbclid=IwAR0&gclid=1&ref=p"]
    for _ in range(12):
        chosen = rng.sample(names, k=min(len(names), rng.randint(1, 7)))
        chosen += rng.sample(chosen, k=rng.randint(0, min(2, len(chosen))))  # some twice
        segments = [
            name if rng.random() < 0.1 else f"{name}={rng.choice(['1', 'DE', 'a%20b', '', 'x'])}"
            for name in chosen
        ]
        if rng.random() < 0.2:
            segments.insert(rng.randint(0, len(segments)), "")  # an empty one: a&&b
        found.append("&".join(segments))
    return found


def _cases() -> list[tuple[str, str]]:
    rng = random.Random(20)
    kinds = {page.name: page for page in PUBLIC_PATHS}
    assert set(SAMPLE_PATHS) == set(kinds), "a sample path for every kind of public page"
    cases = []
    for name, paths in SAMPLE_PATHS.items():
        for path in paths:
            cases += [(path, query) for query in _queries(kinds[name].parameters, rng)]
    for path in OTHER_PATHS:
        cases += [(path, query) for query in _queries(("a", "b"), rng)]
    return cases


def _one_prefixes_another(query: str) -> bool:
    # std.querysort leaves two parameters of which one begins the other ("a" and "a=1") in an
    # order of its own: a second copy at worst, never a wrong page. Not compared.
    segments = [segment for segment in query.split("&") if segment]
    return any(a != b and b.startswith(a) for a in segments for b in segments)


def test_varnish_passes_on_the_query_string_the_app_reads(echo):
    varnish, _backend = echo
    compared = 0
    for path, query in _cases():
        expected_query = cache_query(path, query)
        if _one_prefixes_another(expected_query):
            continue
        url = f"{path}?{query}" if query else path

        seen = varnish.get(url).body.decode()

        assert seen == (f"{path}?{expected_query}" if expected_query else path), url
        compared += 1
    assert compared > 400


def test_a_redirect_carries_the_tracking_parameters_on(echo):
    varnish, backend = echo
    backend.routes["/moved/?x=1"] = (302, {"Location": "/there/", "Cache-Control": "no-store"}, b"")
    backend.routes["/moved/"] = (302, {"Location": "/there/?a=1", "Cache-Control": "no-store"}, b"")

    moved = varnish.get("/moved/?utm_source=news&x=1&ref=press&fbclid=F")
    plain = varnish.get("/moved/?ref=press")
    # A client cannot put its own in.
    forged = varnish.get("/moved/", headers={"X-Coalition-Carried": "evil=1"})

    assert moved.header("Location") == "/there/?utm_source=news&ref=press&fbclid=F"
    assert plain.header("Location") == "/there/?a=1&ref=press"
    assert forged.header("Location") == "/there/?a=1"
    assert all("x-coalition-carried" not in headers for headers in backend.seen_headers)


def test_public_text_is_stored_gzipped_once_and_unzipped_for_who_wants_it(echo):
    varnish, backend = echo
    text = b"<p>Organizations stand together</p>\n" * 100
    backend.routes["/page"] = (
        200,
        {"Cache-Control": "public, max-age=60", "Content-Type": "text/html; charset=utf-8"},
        text,
    )

    zipped = varnish.get("/page", headers={"Accept-Encoding": "gzip"})
    plain = varnish.get("/page")
    again = varnish.get("/page", headers={"Accept-Encoding": "gzip, br"})

    assert (zipped.cache, plain.cache, again.cache) == ("MISS", "HIT", "HIT")
    assert zipped.header("Content-Encoding") == "gzip"
    assert gzip.decompress(zipped.body) == text
    assert plain.header("Content-Encoding") == ""
    assert plain.body == text
    assert again.body == zipped.body


def test_what_is_passed_goes_out_as_the_backend_sent_it(echo):
    varnish, backend = echo
    backend.routes["/form"] = (
        200,
        {"Cache-Control": "private", "Content-Type": "text/html; charset=utf-8"},
        b"<input name=csrfmiddlewaretoken value=secret>" * 20,
    )

    answer = varnish.get("/form", headers={"Accept-Encoding": "gzip"})

    assert answer.header("Content-Encoding") == ""


# The site behind Varnish -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "arrived",
    [
        "/?fbclid=IwAR2xQ-{n}",
        "/?utm_source=newsletter&utm_campaign=autumn-{n}&utm_medium=email",
        "/?ref=Partner{n}",
        "/?zz={n}",
        "/?gclid={n}&ref=press&utm_source=x",
    ],
)
def test_tracking_and_made_up_parameters_get_the_one_copy_of_the_page(site, wall, arrived):
    clean = site.get("/")
    for n in range(3):
        answer = site.get(arrived.format(n=n))
        assert answer.cache == "HIT", arrived
        assert answer.body == clean.body


def test_filters_in_any_order_are_one_copy(site, wall):
    first = site.get("/?country=FR&sector=tech")
    again = site.get("/?sector=tech&country=FR&utm_source=x")

    assert first.status == 200
    assert again.cache == "HIT"
    assert again.body == first.body
    assert b"1 of 3 organizations matches" in first.body


def test_a_first_visit_in_french_keeps_where_the_visitor_came_from(site, live_server, wall):
    headers = {"Accept-Language": "fr-FR,fr;q=0.9"}

    through_varnish = site.get("/?utm_source=news&zz=1&ref=press", headers=headers)
    without = direct(live_server, "/?utm_source=news&zz=1&ref=press", headers=headers)

    assert through_varnish.status == without.status == 302
    assert through_varnish.header("Location") == "/fr/?utm_source=news&ref=press"
    assert without.header("Location") == through_varnish.header("Location")


@pytest.mark.parametrize(
    "path", ["/", f"/embed/{SLUG}/", "/embed.js", f"/api/v1/allies/?campaign={SLUG}"]
)
def test_the_site_comes_gzipped_through_varnish_from_one_copy(site, wall, path):
    zipped = site.get(path, headers={"Accept-Encoding": "gzip"})
    plain = site.get(path)

    assert zipped.header("Content-Encoding") == "gzip"
    assert plain.header("Content-Encoding") == ""
    assert plain.cache == "HIT"
    assert gzip.decompress(zipped.body) == plain.body
    assert len(zipped.body) < len(plain.body)


def test_the_form_and_its_csrf_token_are_never_compressed_through_varnish(site, wall):
    answer = site.get("/apply/", headers={"Accept-Encoding": "gzip, br"})

    assert answer.status == 200
    assert answer.cache == "PASS"
    assert answer.header("Content-Encoding") == ""
