"""deploy/varnish/default.vcl in a real Varnish, in front of the site and of a stand-in backend.

Each Varnish here runs a copy of the VCL with only the backend line changed, on a free loopback
port, in a work directory of its own. Without ``varnishd`` (Debian's ``varnish`` and
``varnish-modules``, for vmod xkey) these tests skip, except under CI (``CI=true``), where that
is a failure.
"""

from __future__ import annotations

import contextlib
import glob
import html
import http.client
import http.server
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import RequestFactory
from django.utils import timezone, translation

from bench.servers import free_port
from coalition import services
from coalition.models import CachePurge, Campaign, Endorsement, Organization, Sector
from tests.browser import in_ci

ROOT = Path(__file__).resolve().parent.parent.parent
VCL = ROOT / "deploy" / "varnish" / "default.vcl"
BACKEND_LINE = '.host = "127.0.0.1"; .port = "8000";'
VARNISHD = shutil.which("varnishd") or "/usr/sbin/varnishd"
VARNISHADM = shutil.which("varnishadm") or "/usr/bin/varnishadm"
XKEY = "/usr/lib/*/varnish/vmods/libvmod_xkey.so"
SLUG = "keep-detection"
Status = Endorsement.Status


def require_varnish() -> None:
    if Path(VARNISHD).exists() and Path(VARNISHADM).exists() and glob.glob(XKEY):
        return
    message = "varnishd or vmod xkey is not installed (apt-get install varnish varnish-modules)"
    if in_ci():
        pytest.fail(f"CI: {message}", pytrace=False)
    pytest.skip(message)


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    @property
    def cache(self) -> str:
        return self.header("X-Cache")


def fetch(
    port: int,
    path: str,
    *,
    method: str = "GET",
    headers: dict[str, str] | None = None,
    source: str | None = None,
) -> Answer:
    connection = http.client.HTTPConnection(
        "127.0.0.1", port, timeout=30, source_address=(source, 0) if source else None
    )
    try:
        connection.request(method, path, headers=headers or {})
        response = connection.getresponse()
        body = response.read()
        # Names in lower case; a repeated header (Vary) joined as HTTP allows.
        found: dict[str, str] = {}
        for name, value in response.getheaders():
            key = name.lower()
            found[key] = f"{found[key]}, {value}" if key in found else value
        return Answer(response.status, found, body)
    finally:
        connection.close()


class Varnish:
    """varnishd in the foreground, running the VCL with its backend on ``backend_port``."""

    def __init__(self, backend_port: int) -> None:
        # Not under pytest's temporary directory: the child process runs as the varnish user
        # (when started as root) and must reach its work directory.
        self.directory = Path(tempfile.mkdtemp(prefix="coalition-varnish-"))
        self.directory.chmod(0o755)
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        vcl = VCL.read_text()
        assert vcl.count(BACKEND_LINE) == 1, "the VCL names its backend on one line"
        self.vcl = self.directory / "default.vcl"
        backend = BACKEND_LINE.replace('"8000"', f'"{backend_port}"')
        self.vcl.write_text(vcl.replace(BACKEND_LINE, backend))
        self.workdir = self.directory / "work"
        self.log = self.directory / "varnishd.log"
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        with self.log.open("wb") as log:
            self.process = subprocess.Popen(
                [
                    VARNISHD,
                    "-F",
                    "-n",
                    str(self.workdir),
                    "-a",
                    f"127.0.0.1:{self.port}",
                    "-f",
                    str(self.vcl),
                    "-s",
                    "malloc,64m",
                    "-p",
                    "feature=+no_coredump",
                ],
                stdout=log,
                stderr=subprocess.STDOUT,
            )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"varnishd exited:\n{self.log.read_text()}")
            with contextlib.suppress(OSError):
                fetch(self.port, "/static/coalition/favicon.svg")
                return
            time.sleep(0.1)
        raise RuntimeError(f"varnishd did not start:\n{self.log.read_text()}")

    def admin(self, *command: str) -> str:
        result = subprocess.run(
            [VARNISHADM, "-n", str(self.workdir), *command],
            capture_output=True,
            text=True,
            timeout=30,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    def forget_everything(self) -> None:
        self.admin("ban", "obj.status", "!=", "0")

    def backend_healthy(self) -> bool:
        return " healthy " in self.admin("backend.list")

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        shutil.rmtree(self.directory, ignore_errors=True)

    def get(self, path: str, **kwargs) -> Answer:
        return fetch(self.port, path, **kwargs)


def wait_for(condition: Callable[[], bool], what: str, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    raise AssertionError(f"timed out waiting for {what}")


# The site behind Varnish ------------------------------------------------------------------------


@pytest.fixture(scope="module", autouse=True)
def _database_restored_afterwards(django_db_setup, django_db_blocker) -> Iterator[None]:
    """The live server needs a transactional database, emptied after each test: what the
    migrations put there (the Reviewers group…) is put back for the tests after these."""
    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
    yield
    with django_db_blocker.unblock():
        call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
        connection.creation.deserialize_db_from_string(saved)


@pytest.fixture(scope="module")
def _site_varnish(live_server, django_db_blocker) -> Iterator[Varnish]:
    require_varnish()
    varnish = Varnish(int(live_server.url.rsplit(":", 1)[1]))
    # The health probe asks the live server every few seconds, between tests too, and each
    # request checks its database connection.
    with django_db_blocker.unblock():
        varnish.start()
        yield varnish
        varnish.stop()


@pytest.fixture
def site(_site_varnish, live_server, settings) -> Varnish:
    """Varnish in front of the site, empty, purged by the site after every public change."""
    # Links the same whichever address a page is asked at, so that pages compare equal.
    settings.SITE_URL = "http://coalition.test"
    settings.HTTP_CACHE_PURGE_URLS = [_site_varnish.url]
    _site_varnish.forget_everything()
    return _site_varnish


def direct(live_server, path: str, headers: dict[str, str] | None = None) -> Answer:
    return fetch(int(live_server.url.rsplit(":", 1)[1]), path, headers=headers)


@pytest.fixture
def wall(transactional_db) -> Campaign:
    """A campaign with allies in two countries and two sectors, and one application waiting."""
    campaign = Campaign.objects.create(
        slug=SLUG,
        title="Keep detection legal",
        title_fr="Garder la détection légale",
        title_de="Erkennung legal halten",
        statement="We ask lawmakers to keep voluntary detection legal.",
        is_default=True,
    )
    ngo = Sector.objects.create(slug="ngo", name="NGO", transparency_register_category="III")
    tech = Sector.objects.create(slug="tech", name="Tech", transparency_register_category="II")
    rows = [
        ("Alder Helpline", "DE", ngo, Status.APPROVED),
        ("Birch Network", "FR", ngo, Status.APPROVED),
        ("Cedar Cloud", "FR", tech, Status.APPROVED),
        ("Waiting Willow", "DE", tech, Status.PENDING),
    ]
    for index, (name, country, sector, status) in enumerate(rows):
        organization = Organization.objects.create(
            name=name, website=f"https://ally{index}.example.org", country=country, sector=sector
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=status,
            contact_email=f"private{index}@ally{index}.example.org",
            consent_authority=True,
            consent_publish=True,
        )
    return campaign


PUBLIC_PATHS = [
    "/",
    f"/campaigns/{SLUG}/",
    f"/embed/{SLUG}/",
    "/embed.js",
    f"/campaigns/{SLUG}/wall.svg",
    f"/campaigns/{SLUG}/wall.png",
    f"/campaigns/{SLUG}/feed/",
    f"/api/v1/allies/?campaign={SLUG}",
    "/api/v1/campaigns/",
]


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_a_public_response_is_served_from_the_cache_the_second_time(site, wall, path):
    first = site.get(path)
    second = site.get(path)
    assert first.status == 200
    assert first.cache == "MISS"
    assert second.cache == "HIT"
    # Two ids: this request's and the one that fetched the copy.
    assert len(second.header("X-Varnish").split()) == 2
    assert second.body == first.body


@pytest.mark.parametrize("path", PUBLIC_PATHS)
def test_a_visitor_is_sent_none_of_the_purge_keys(site, live_server, wall, path):
    # The keys are for the cache (xkey) and a CDN in its place (Surrogate-Key, Cache-Tag): the
    # app sends them, and a page of many allies would carry kilobytes of them to every reader.
    assert direct(live_server, path).header("xkey")
    site.get(path)
    hit = site.get(path)

    assert hit.cache == "HIT"
    assert not any(hit.header(name) for name in ("xkey", "Surrogate-Key", "Cache-Tag"))


# Each variant as a visitor would ask for it: (path, request headers).
VARIANTS = [
    ("/", {}),
    ("/fr/", {}),
    ("/de/", {}),
    # An English URL stays English for a reader who chose a language (the cookie)...
    ("/", {"Cookie": "coalition_language=fr"}),
    ("/", {"Cookie": "coalition_language=de", "Accept-Language": "fr"}),
    # ...and sends a first-time reader who prefers French to /fr/.
    ("/", {"Accept-Language": "fr-FR,fr;q=0.9"}),
    ("/", {"Accept-Language": "de"}),
    ("/", {"Accept-Language": "en-GB,en;q=0.8"}),
    ("/?country=FR", {}),
    ("/?country=DE", {}),
    ("/?sector=tech", {}),
    ("/fr/?country=FR", {}),
    ("/?order=newest", {}),
    (f"/embed/{SLUG}/", {}),
    (f"/embed/{SLUG}/", {"Cookie": "coalition_language=fr"}),
    (f"/embed/{SLUG}/", {"Cookie": "coalition_language=de; csrftoken=abc"}),
    (f"/embed/{SLUG}/", {"Accept-Language": "de"}),
    (f"/embed/{SLUG}/?lang=fr", {}),
    (f"/embed/{SLUG}/?lang=de", {"Cookie": "coalition_language=fr"}),
    (f"/embed/{SLUG}/?theme=dark", {}),
    (f"/embed/{SLUG}/?country=DE&theme=dark", {}),
    (f"/campaigns/{SLUG}/wall.svg", {}),
    (f"/campaigns/{SLUG}/wall.svg?theme=dark", {}),
    (f"/campaigns/{SLUG}/wall.svg?lang=de", {}),
    (f"/campaigns/{SLUG}/wall.svg", {"Accept-Language": "fr"}),
    (f"/campaigns/{SLUG}/feed/", {}),
    (f"/fr/campaigns/{SLUG}/feed/", {}),
    (f"/api/v1/allies/?campaign={SLUG}", {}),
    (f"/api/v1/allies/?campaign={SLUG}&lang=fr", {}),
    (f"/api/v1/allies/?campaign={SLUG}", {"Accept-Language": "de"}),
    (f"/api/v1/allies/?campaign={SLUG}", {"Accept": "text/csv"}),
    (f"/api/v1/allies/?campaign={SLUG}&country=FR", {}),
]

# Variants that must each get an answer of their own.
DISTINCT = [
    # The wall in English, French, German, and the two first-visit redirects.
    [VARIANTS[i] for i in (0, 1, 2, 5, 6)],
    # The wall unfiltered and filtered three ways.
    [VARIANTS[i] for i in (0, 8, 9, 10, 12)],
    # The embed in three languages (cookie, Accept-Language) and two themes.
    [VARIANTS[i] for i in (13, 14, 15, 19, 20)],
    # The image: themes, lang=, Accept-Language.
    [VARIANTS[i] for i in (21, 22, 23, 24)],
    # The feed in two languages.
    [VARIANTS[i] for i in (25, 26)],
    # The API: lang=, Accept-Language, CSV, a filter.
    [VARIANTS[i] for i in (27, 28, 29, 30, 31)],
]


def _what_a_visitor_sees(answer: Answer) -> tuple[int, str, str, bytes]:
    # A redirect's Content-Language is whatever language its thread served last (the first-visit
    # redirect leaves before a language is chosen): not part of what it says.
    language = "" if answer.header("Location") else answer.header("Content-Language")
    return answer.status, language, answer.header("Location"), answer.body


def test_every_variant_a_visitor_gets_without_varnish_they_get_with_it(site, live_server, wall):
    expected = {}
    for path, headers in VARIANTS:
        expected[path, tuple(headers.items())] = _what_a_visitor_sees(
            direct(live_server, path, headers)
        )
    # The answers differ where they should: else this test would prove nothing.
    for group in DISTINCT:
        answers = [expected[path, tuple(headers.items())] for path, headers in group]
        assert len(set(answers)) == len(group), group
    # Twice over, all of them: the second time from the cache, each variant its own copy.
    for round_ in ("first", "second"):
        for path, headers in VARIANTS:
            answer = site.get(path, headers=headers)
            got = _what_a_visitor_sees(answer)
            assert got == expected[path, tuple(headers.items())], (round_, path, headers)
            if round_ == "second" and answer.status == 200:
                assert answer.cache == "HIT", (path, headers)


def test_staff_applicant_and_private_pages_are_never_cached(site, wall):
    for path in [
        "/admin/login/",
        "/apply/",
        "/fr/apply/",
        f"/campaigns/{SLUG}/apply/",
        "/manage/not-a-token/",
        "/confirm/not-a-token/",
        "/resend/",
        "/review/",
        "/language/fr/?next=/",
    ]:
        site.get(path)
        again = site.get(path)
        assert again.cache == "PASS", path


def test_a_post_is_passed_to_the_site(site, wall):
    site.get("/apply/")
    answer = site.get("/apply/", method="POST", headers={"Content-Length": "0"})
    assert answer.cache == "PASS"
    assert answer.status == 403  # the site's CSRF check saw it: no cookie, no token
    assert site.get("/", method="POST", headers={"Content-Length": "0"}).cache == "PASS"


def test_a_request_with_a_session_cookie_is_passed(site, wall):
    site.get("/")
    assert site.get("/").cache == "HIT"
    signed_in = site.get("/", headers={"Cookie": "sessionid=abc123; coalition_language=en"})
    assert signed_in.cache == "PASS"


def test_other_cookies_share_the_visitors_copy(site, wall):
    site.get("/")
    assert site.get("/", headers={"Cookie": "csrftoken=abc; _ga=1"}).cache == "HIT"


def test_an_approval_is_on_the_wall_through_varnish_within_a_second(site, wall):
    for path in ("/", f"/embed/{SLUG}/", f"/api/v1/allies/?campaign={SLUG}"):
        site.get(path)
        assert b"Waiting Willow" not in site.get(path).body
    waiting = Endorsement.objects.get(organization__name="Waiting Willow")

    services.endorsement_approve(
        endorsement=waiting, by=None, acknowledged=True, note="Checked by hand."
    )

    # Purged before the approval returned (the commit hook's try), so the very next request,
    # with no waiting and no worker, is fresh: well within the second allowed.
    # The first purge; the repeat (HTTP_CACHE_PURGE_REPEAT_SECONDS later) waits for the worker.
    purge = CachePurge.objects.order_by("pk").first()
    assert (purge.target, purge.attempts, purge.last_error) == (site.url, 1, "")
    assert purge.done_at is not None
    for path in ("/", f"/embed/{SLUG}/", f"/api/v1/allies/?campaign={SLUG}"):
        assert b"Waiting Willow" in site.get(path).body, path


def test_an_approval_in_one_campaign_leaves_another_campaigns_copies_served(site, wall):
    other = Campaign.objects.create(slug="another-cause", title="Another cause", statement="More.")
    organization = Organization.objects.create(
        name="Other Ally",
        website="https://other-ally.example.org",
        country="DE",
        sector=Sector.objects.get(slug="ngo"),
    )
    Endorsement.objects.create(
        organization=organization,
        campaign=other,
        status=Status.APPROVED,
        contact_email="private@other-ally.example.org",
        consent_authority=True,
        consent_publish=True,
    )
    others = [
        f"/campaigns/{other.slug}/",
        f"/embed/{other.slug}/",
        f"/campaigns/{other.slug}/wall.svg",
        f"/campaigns/{other.slug}/feed/",
        f"/api/v1/allies/?campaign={other.slug}",
    ]
    changed = ["/", f"/embed/{SLUG}/", f"/api/v1/allies/?campaign={SLUG}", "/api/v1/campaigns/"]
    for path in others + changed:
        site.get(path)
    kept = {path: site.get(path) for path in others + changed}
    assert {answer.cache for answer in kept.values()} == {"HIT"}

    # Proven by email (a confirmed address at its own domain): nothing to acknowledge.
    harbour = Endorsement.objects.create(
        organization=Organization.objects.create(
            name="Harbour Light Trust",
            website="https://harbour-light.org",
            country="FR",
            sector=Sector.objects.get(slug="ngo"),
        ),
        campaign=wall,
        status=Status.PENDING,
        contact_email="contact@harbour-light.org",
        confirmed_at=timezone.now(),
        domain_verified=True,
        consent_authority=True,
        consent_publish=True,
    )
    services.endorsement_approve(endorsement=harbour, by=None)

    assert CachePurge.objects.order_by("pk").first().done_at is not None
    for path in others:
        again = site.get(path)
        assert again.cache == "HIT", path
        # The very copy stored before the approval (X-Varnish: this request, the fetch's).
        assert again.header("X-Varnish").split()[1] == kept[path].header("X-Varnish").split()[1]
        assert again.body == kept[path].body, path
    for path in changed:
        again = site.get(path)
        assert again.cache == "MISS", path
        assert b"Harbour Light Trust" in again.body or path == "/api/v1/campaigns/", path
        assert again.body != kept[path].body, path


def test_purges_are_accepted_from_this_machine_only(site, wall):
    site.get("/")
    refused = site.get("/", method="PURGE", headers={"xkey-purge": "site"}, source="127.0.0.2")
    assert refused.status == 403
    assert site.get("/").cache == "HIT"
    purged = site.get("/", method="PURGE", headers={"xkey-purge": "site"})
    assert purged.status == 200
    assert site.get("/").cache == "MISS"


def test_a_purge_without_keys_is_refused(site):
    assert site.get("/", method="PURGE").status == 400


def test_a_purge_through_the_tls_proxy_is_refused(site, wall):
    # The proxy runs on this machine too, so only its headers tell its requests apart.
    site.get("/")
    for forwarded in ({"X-Forwarded-For": "203.0.113.9"}, {"X-Forwarded-Proto": "https"}):
        refused = site.get("/", method="PURGE", headers={"xkey-purge": "site", **forwarded})
        assert refused.status == 403, forwarded
    assert site.get("/").cache == "HIT"


# A backend of our own, to stop and to break ----------------------------------------------------


@dataclass
class StandIn:
    """A backend answering each path as told, on a port it keeps across restarts."""

    port: int = field(default_factory=free_port)
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    failing: bool = False
    # Per path: a late background fetch of one path (a test's grace refresh) must not shift
    # the numbers another path's test expects.
    hits: dict[str, int] = field(default_factory=dict)
    server: http.server.ThreadingHTTPServer | None = None

    def start(self) -> None:
        stand_in = self

        class Handler(http.server.BaseHTTPRequestHandler):
            # HTTP/1.0, one request a connection: once stopped, no connection Varnish holds
            # can still reach it.
            def do_GET(self) -> None:
                path = self.path
                if path.startswith("/static/"):  # the health probe
                    status, headers, body = 200, {"Cache-Control": "public, max-age=60"}, b"ok"
                elif path == "/forwarded-for":
                    status, headers = 200, {"Cache-Control": "no-store"}
                    body = self.headers.get("X-Forwarded-For", "").encode()
                elif path == "/accept-language":
                    status, headers = 200, {"Cache-Control": "no-store"}
                    body = self.headers.get("Accept-Language", "(none)").encode()
                elif stand_in.failing:
                    status, headers, body = 500, {"Cache-Control": "no-store"}, b"broken"
                else:
                    stand_in.hits[path] = stand_in.hits.get(path, 0) + 1
                    status, headers, body = stand_in.routes.get(path, (404, {}, b"none"))
                    body = body.replace(b"{n}", str(stand_in.hits[path]).encode())
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


PUBLIC = {"Cache-Control": "public, max-age=60, s-maxage=1", "xkey": "site campaign-1"}


@pytest.fixture(scope="module")
def _stand_in_varnish() -> Iterator[tuple[Varnish, StandIn]]:
    require_varnish()
    stand_in = StandIn()
    stand_in.start()
    varnish = Varnish(stand_in.port)
    varnish.start()
    yield varnish, stand_in
    varnish.stop()
    stand_in.stop()


@pytest.fixture
def stand_in(_stand_in_varnish) -> tuple[Varnish, StandIn]:
    varnish, stand_in = _stand_in_varnish
    if stand_in.server is None:
        stand_in.start()
    stand_in.failing = False
    stand_in.hits.clear()
    stand_in.routes.clear()
    varnish.forget_everything()
    wait_for(varnish.backend_healthy, "the backend to be healthy")
    return varnish, stand_in


def test_only_responses_marked_public_without_a_cookie_are_kept(stand_in):
    varnish, backend = stand_in
    backend.routes.update(
        {
            "/public": (200, {"Cache-Control": "public, max-age=60"}, b"public {n}"),
            "/sets-cookie": (
                200,
                {"Cache-Control": "public, max-age=60", "Set-Cookie": "a=1; Path=/"},
                b"cookie {n}",
            ),
            "/private": (200, {"Cache-Control": "private, max-age=60"}, b"private {n}"),
            "/no-store": (200, {"Cache-Control": "no-store"}, b"no-store {n}"),
            "/unmarked": (200, {}, b"unmarked {n}"),
            "/max-age-only": (200, {"Cache-Control": "max-age=60"}, b"max-age {n}"),
        }
    )
    for path in backend.routes:
        varnish.get(path)
    assert varnish.get("/public").cache == "HIT"
    for path in ("/sets-cookie", "/private", "/no-store", "/unmarked", "/max-age-only"):
        again = varnish.get(path)
        assert again.cache != "HIT", path
        assert again.status == 200


def test_a_purged_page_is_fetched_again_while_the_backend_answers(stand_in):
    varnish, backend = stand_in
    backend.routes["/wall"] = (200, {**PUBLIC, "Cache-Control": "public, s-maxage=300"}, b"v{n}")
    assert varnish.get("/wall").body == b"v1"
    assert varnish.get("/wall").body == b"v1"
    assert varnish.get("/", method="PURGE", headers={"xkey-purge": "campaign-1"}).status == 200
    assert varnish.get("/wall").body == b"v2"


def test_a_purge_by_another_key_leaves_the_page(stand_in):
    varnish, backend = stand_in
    backend.routes["/wall"] = (200, {**PUBLIC, "Cache-Control": "public, s-maxage=300"}, b"v{n}")
    varnish.get("/wall")
    varnish.get("/", method="PURGE", headers={"xkey-purge": "campaign-2 ally-x"})
    assert varnish.get("/wall").cache == "HIT"


def test_the_last_good_copy_is_served_while_the_backend_is_down(stand_in):
    varnish, backend = stand_in
    backend.routes["/wall"] = (200, PUBLIC, b"good {n}")
    assert varnish.get("/wall").body == b"good 1"
    backend.stop()
    time.sleep(1.2)  # past s-maxage
    stale = varnish.get("/wall")
    assert stale.status == 200
    assert stale.body == b"good 1"
    assert stale.cache == "HIT STALE"
    # Once the probe notices, still the same copy, at once.
    wait_for(lambda: not varnish.backend_healthy(), "the probe to notice", timeout=30)
    assert varnish.get("/wall").body == b"good 1"
    # Back up: fresh again.
    backend.start()
    wait_for(varnish.backend_healthy, "the probe to see the backend back", timeout=30)
    wait_for(lambda: varnish.get("/wall").body != b"good 1", "a fresh copy")


def test_the_last_good_copy_is_served_while_the_backend_answers_errors(stand_in):
    varnish, backend = stand_in
    backend.routes["/wall"] = (200, PUBLIC, b"good {n}")
    assert varnish.get("/wall").body == b"good 1"
    backend.failing = True
    time.sleep(1.2)
    for _ in range(3):
        answer = varnish.get("/wall")
        assert (answer.status, answer.body) == (200, b"good 1")
    # Nothing cached: the backend's own error, not kept.
    backend.routes["/other"] = (200, PUBLIC, b"other")
    failed = varnish.get("/other")
    assert failed.status == 500
    backend.failing = False
    assert varnish.get("/other").body == b"other"


def test_a_429_is_never_what_the_next_visitors_get_while_a_good_copy_is_kept(stand_in):
    # One client over the API's limit (or every visitor seen as one) must not turn the last good
    # copy into a 429 for everyone, nor into a "not cacheable" mark that skips grace.
    varnish, backend = stand_in
    backend.routes["/limited"] = (200, PUBLIC, b"good {n}")
    assert varnish.get("/limited").body == b"good 1"
    backend.routes["/limited"] = (429, {"Cache-Control": "no-store", "Retry-After": "60"}, b"no")
    time.sleep(1.2)

    for _ in range(3):
        answer = varnish.get("/limited")
        assert (answer.status, answer.body) == (200, b"good 1")


def test_a_purged_page_is_still_the_last_good_copy_for_an_outage(stand_in):
    varnish, backend = stand_in
    backend.routes["/wall"] = (200, PUBLIC, b"good {n}")
    varnish.get("/wall")
    varnish.get("/", method="PURGE", headers={"xkey-purge": "site"})
    backend.failing = True
    answer = varnish.get("/wall")
    assert (answer.status, answer.body) == (200, b"good 1")


def test_an_untagged_public_response_goes_with_everything(stand_in):
    varnish, backend = stand_in
    backend.routes["/static-like"] = (200, {"Cache-Control": "public, max-age=600"}, b"s{n}")
    varnish.get("/static-like")
    varnish.get("/", method="PURGE", headers={"xkey-purge": "site"})
    assert varnish.get("/static-like").body == b"s2"


def test_the_app_sees_the_client_address_the_tls_proxy_saw(stand_in):
    # BEHIND_HTTPS_PROXY: the app takes the last X-Forwarded-For address as the client's (its
    # rate limits), so Varnish must not append the proxy's own address after it.
    varnish, _backend = stand_in
    through_proxy = varnish.get("/forwarded-for", headers={"X-Forwarded-For": "203.0.113.9"})
    assert through_proxy.body == b"203.0.113.9"
    forged = varnish.get("/forwarded-for", headers={"X-Forwarded-For": "10.0.0.1, 203.0.113.9"})
    assert forged.body == b"10.0.0.1, 203.0.113.9"
    direct_ = varnish.get("/forwarded-for")
    assert direct_.body == b"127.0.0.1"


# What browsers send (Chrome, Firefox, Safari, Edge in several locales), and some that no
# browser would.
ACCEPT_LANGUAGES = [
    "fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7",
    "fr-CA,fr;q=0.9",
    "FR",
    "de-DE,de;q=0.9,en;q=0.8",
    "de-AT",
    "en-US,en;q=0.9",
    "en-GB,en;q=0.5",
    "it-IT,it;q=0.9,fr;q=0.8,en;q=0.7",
    "nl-BE,nl;q=0.9,de;q=0.8",
    "es-ES,es;q=0.9",
    "zh-Hant-TW,zh;q=0.9",
    "pt-BR, fr ;q=0.7",
    "*",
    "english",
    "frisian,fr-x-private;q=0.5",
    "",
]


def _django_picks(header: str) -> str:
    request = RequestFactory().get("/", HTTP_ACCEPT_LANGUAGE=header)
    return translation.get_language_from_request(request, check_path=False)


@pytest.mark.parametrize("header", ACCEPT_LANGUAGES)
def test_accept_language_reaches_the_app_as_the_language_it_would_pick(stand_in, header):
    varnish, _backend = stand_in
    headers = {"Accept-Language": header} if header else {}

    seen = varnish.get("/accept-language", headers=headers).body.decode()

    assert seen == (_django_picks(header) if header else "(none)")


def test_varnish_knows_every_language_of_the_site(stand_in):
    varnish, _backend = stand_in
    for code, _name in settings.LANGUAGES:
        header = f"it-IT,it;q=0.9,{code}-XX;q=0.5"
        assert _django_picks(header) == code
        assert varnish.get("/accept-language", headers={"Accept-Language": header}).body == (
            code.encode()
        )


def test_readers_of_one_language_share_one_copy_whatever_their_browser_sends(stand_in):
    varnish, backend = stand_in
    backend.routes["/wall"] = (
        200,
        {**PUBLIC, "Cache-Control": "public, s-maxage=300", "Vary": "Accept-Language"},
        b"v{n}",
    )

    first = varnish.get("/wall", headers={"Accept-Language": "fr-FR,fr;q=0.9,en;q=0.8"})
    second = varnish.get("/wall", headers={"Accept-Language": "fr-CA,fr;q=0.9"})
    german = varnish.get("/wall", headers={"Accept-Language": "de-DE,de;q=0.9"})

    assert (first.cache, second.cache, german.cache) == ("MISS", "HIT", "MISS")
    assert second.body == first.body
    assert german.body != first.body


# make stack ------------------------------------------------------------------------------------


@pytest.mark.skipif(
    os.getenv("STACK_TESTS", "") in ("", "0"),
    reason="starts the whole stack (a minute): runs with STACK_TESTS=1, as .ci/run does",
)
def test_make_stack_serves_the_site_through_varnish_and_purges_it(tmp_path):
    require_varnish()
    port, backend_port = free_port(), free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "BACKEND_PORT": str(backend_port),
        # A database of its own, and no Redis: the stack's own state only.
        "DATABASE_URL": f"sqlite:///{tmp_path / 'stack.sqlite3'}",
        "REDIS_URL": "",
        # The cache every process of the stack shares without Redis, the shell below included.
        "CACHE_DIR": str(tmp_path / "cache"),
        "STATIC_ROOT": str(tmp_path / "static"),
        "MEDIA_ROOT": str(tmp_path / "media"),
        "DEBUG": "1",
        "WEB_CONCURRENCY": "1",
    }
    env.pop("DJANGO_SETTINGS_MODULE", None)
    env.pop("HTTP_CACHE_PURGE_URLS", None)
    python = str(ROOT / ".venv" / "bin" / "python")

    def manage(*args: str) -> str:
        result = subprocess.run(
            [python, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True
        )
        assert result.returncode == 0, result.stdout + result.stderr
        return result.stdout

    manage("migrate", "--noinput", "--verbosity", "0")
    manage("load_reference_data")
    manage("seed_demo")
    log = (tmp_path / "stack.log").open("wb")
    stack = subprocess.Popen(
        [str(ROOT / "deploy" / "stack.sh")],
        cwd=ROOT,
        env={**env, "PY": python},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:

        def answers() -> bool:
            with contextlib.suppress(OSError):
                return fetch(port, "/").status == 200
            return False

        wait_for(answers, "the stack to answer", timeout=120)
        first = fetch(port, "/")
        assert first.cache == "HIT"
        # The shell is one more process of the stack: it purges the stack's Varnish as the
        # stack's own processes do (deploy/stack.sh), and shares their cache (CACHE_DIR).
        env["HTTP_CACHE_PURGE_URLS"] = f"http://127.0.0.1:{port}"
        name = manage(
            "shell",
            "--verbosity",
            "0",
            "-c",
            "from coalition import services\n"
            "from coalition.models import Endorsement\n"
            "ally = Endorsement.objects.filter(status='approved').order_by('pk').first()\n"
            "services.endorsement_remove(endorsement=ally, by=None)\n"
            "print(ally.organization.name)",
        ).strip()
        # The change purged the stack's Varnish, and gunicorn rendered the page again: the
        # version the shell moved is the one gunicorn reads. The name as the page writes it:
        # escaped in HTML, as it is in the page's JSON-LD.
        shown = (html.escape(name).encode(), name.encode())

        def gone() -> bool:
            body = fetch(port, "/").body
            return not any(form in body for form in shown)

        assert any(form in first.body for form in shown)
        wait_for(gone, "the purge", timeout=5)
    finally:
        stack.terminate()  # the script stops gunicorn, the worker and Varnish on its way out
        try:
            stack.wait(timeout=60)
        finally:
            log.close()
    assert not _listening(port)
    assert not _listening(backend_port)


def _listening(port: int) -> bool:
    with socket.socket() as probe:
        probe.settimeout(0.5)
        return probe.connect_ex(("127.0.0.1", port)) == 0
