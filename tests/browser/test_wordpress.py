"""Pasting a campaign's address into a real WordPress shows its wall: WordPress finds the oEmbed
answer through the page's ``<link rel="alternate">``, frames the embed in its sandbox, sizes it
through its ``secret``/``height`` messages, and the wall's Sign on link takes the reader's page to
the form (docs/wall-and-embeds.md, "oEmbed and WordPress").

Runs with ``WORDPRESS_TESTS=1`` (``.ci/run`` sets it where WordPress is installed); needs Debian's
WordPress, PHP with MySQL and MariaDB, and is skipped, saying what is missing, without them (also
under CI: this proof is optional there)::

    apt-get install -y --no-install-recommends wordpress wordpress-theme-twentytwentythree \\
        php-cli php-mysql mariadb-server

Nothing of the machine's is changed: the test runs its own MariaDB (a data directory and a socket
in a temporary directory, no network), a copy of /usr/share/wordpress with its own
``wp-config.php``, served by ``php -S`` on 127.0.0.1. One must-use plugin, for this test site
only, lets WordPress fetch 127.0.0.1 on the live server's port: WordPress refuses loopback
addresses and ports other than 80, 443 and 8080 (``wp_http_validate_url``); a real site fetches
the public address of ours. ``WORDPRESS_SCREENSHOT`` names where the screenshot goes.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from coalition.models import Campaign, Endorsement, Organization, Sector

WORDPRESS = Path(os.getenv("WORDPRESS_DIR", "/usr/share/wordpress"))
SCREENSHOT = Path(os.getenv("WORDPRESS_SCREENSHOT", "/tmp/journeys/wordpress-oembed.png"))  # noqa: S108
SLUG = "keep-detection"
Status = Endorsement.Status

MU_PLUGIN = """<?php
/*
 * Test environment only (tests/browser/test_wordpress.py): lets this WordPress fetch the
 * Coalition Registry that the test serves on 127.0.0.1, on whatever port it got. A real site
 * fetches the public address of ours, which WordPress allows as it is.
 */
add_filter( 'http_request_host_is_external', function ( $external, $host ) {
    return $external || '127.0.0.1' === $host;
}, 10, 2 );
add_filter( 'http_allowed_safe_ports', function ( $ports, $host, $url ) {
    if ( '127.0.0.1' === $host ) {
        $ports[] = (int) parse_url( $url, PHP_URL_PORT );
    }
    return $ports;
}, 10, 3 );
"""

WP_CONFIG = """<?php
define( 'DB_NAME', 'wordpress' );
define( 'DB_USER', 'root' );
define( 'DB_PASSWORD', '' );
define( 'DB_HOST', 'localhost:{socket}' );
define( 'DB_CHARSET', 'utf8mb4' );
define( 'DB_COLLATE', '' );
{keys}
$table_prefix = 'wp_';
define( 'WP_HOME', '{home}' );
define( 'WP_SITEURL', '{home}' );
define( 'DISABLE_WP_CRON', true );
define( 'AUTOMATIC_UPDATER_DISABLED', true );
/* No call home to wordpress.org from a test; the site itself and 127.0.0.1 only. */
define( 'WP_HTTP_BLOCK_EXTERNAL', true );
define( 'WP_ACCESSIBLE_HOSTS', '127.0.0.1' );
define( 'WP_DEBUG', false );
if ( ! defined( 'ABSPATH' ) ) {{
    define( 'ABSPATH', __DIR__ . '/' );
}}
require_once ABSPATH . 'wp-settings.php';
"""

INSTALL = """<?php
define( 'WP_INSTALLING', true );
$_SERVER['HTTP_HOST'] = '{host}';
require __DIR__ . '/wp-load.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';
wp_install( 'Partner blog', 'admin', 'admin@blog.example', false, '', 'admin-password-0' );
"""

NEW_POST = """<?php
$_SERVER['HTTP_HOST'] = '{host}';
require __DIR__ . '/wp-load.php';
$content = file_get_contents( '{content}' );
echo wp_insert_post( array(
    'post_title'   => 'We stand with the coalition',
    'post_content' => $content,
    'post_status'  => 'publish',
    'post_author'  => 1,
) );
"""


def wordpress_missing() -> str:
    """What this machine lacks to run the test WordPress, or ``""``."""
    needs = {
        "Debian's wordpress package": (WORDPRESS / "wp-load.php").exists(),
        "a theme (wordpress-theme-twentytwentythree)": any(
            (WORDPRESS / "wp-content" / "themes").glob("*/style.css")
        ),
        "php (php-cli)": shutil.which("php") is not None,
        "mariadbd (mariadb-server)": shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
        is not None,
        "mariadb-install-db": shutil.which("mariadb-install-db") is not None,
    }
    missing = [name for name, present in needs.items() if not present]
    if not missing:
        modules = subprocess.run(["php", "-m"], capture_output=True, text=True, check=False)
        if "mysqli" not in modules.stdout:
            missing.append("PHP's mysqli (php-mysql)")
    return ", ".join(missing)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for(check, what: str, seconds: float = 30) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.1)
    raise TimeoutError(f"{what} did not start within {seconds} s")


def _stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=10)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@dataclass(frozen=True)
class WordPress:
    url: str
    root: Path

    def php(self, source: str) -> str:
        script = self.root / "coalition-test-script.php"
        script.write_text(source)
        try:
            done = subprocess.run(
                ["php", str(script)], capture_output=True, text=True, timeout=60, check=False
            )
        finally:
            script.unlink()
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout

    def new_post(self, content: str) -> str:
        """The address of a new post by the administrator with ``content``."""
        text = self.root / "coalition-test-post.txt"
        text.write_text(content)
        host = self.url.removeprefix("http://")
        post_id = self.php(NEW_POST.format(host=host, content=text)).strip()
        assert post_id.isdigit(), post_id
        assert int(post_id) > 0
        return f"{self.url}/?p={post_id}"


@pytest.fixture(scope="module")
def mariadb(tmp_path_factory) -> Iterator[Path]:
    """A MariaDB of this test's own, on a socket, with an empty ``wordpress`` database."""
    base = tmp_path_factory.mktemp("mariadb")
    data, sock = base / "data", base / "mysqld.sock"
    as_root = ["--user=root"] if os.geteuid() == 0 else []
    subprocess.run(
        [
            "mariadb-install-db",
            "--no-defaults",
            f"--datadir={data}",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
            *as_root,
        ],
        capture_output=True,
        check=True,
        timeout=120,
    )
    mariadbd = shutil.which("mariadbd", path="/usr/sbin:/usr/bin")
    server = subprocess.Popen(
        [
            str(mariadbd),
            "--no-defaults",
            f"--datadir={data}",
            f"--socket={sock}",
            f"--pid-file={base / 'mysqld.pid'}",
            f"--log-error={base / 'error.log'}",
            "--skip-networking",
            *as_root,
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _wait_for(sock.exists, "MariaDB")
        subprocess.run(
            ["mariadb", "--no-defaults", f"--socket={sock}", "-uroot"],
            input="CREATE DATABASE wordpress CHARACTER SET utf8mb4;",
            text=True,
            check=True,
            timeout=30,
        )
        yield sock
    finally:
        _stop(server)


@pytest.fixture(scope="module")
def wordpress(mariadb, tmp_path_factory) -> Iterator[WordPress]:
    """A WordPress installed on 127.0.0.1 with its administrator, served by ``php -S``."""
    root = tmp_path_factory.mktemp("wordpress") / "site"
    shutil.copytree(WORDPRESS, root, symlinks=True)
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    keys = "\n".join(
        f"define( '{name}', '{os.urandom(24).hex()}' );"
        for name in (
            "AUTH_KEY",
            "SECURE_AUTH_KEY",
            "LOGGED_IN_KEY",
            "NONCE_KEY",
            "AUTH_SALT",
            "SECURE_AUTH_SALT",
            "LOGGED_IN_SALT",
            "NONCE_SALT",
        )
    )
    (root / "wp-config.php").write_text(WP_CONFIG.format(socket=mariadb, keys=keys, home=url))
    plugins = root / "wp-content" / "mu-plugins"
    plugins.mkdir(parents=True, exist_ok=True)
    (plugins / "coalition-test-loopback.php").write_text(MU_PLUGIN)
    site = WordPress(url=url, root=root)
    site.php(INSTALL.format(host=url.removeprefix("http://")))
    server = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{port}", "-t", str(root)],
        cwd=root,
        env={**os.environ, "PHP_CLI_SERVER_WORKERS": "4"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )

    def answers() -> bool:
        try:
            with urllib.request.urlopen(url + "/", timeout=5):  # noqa: S310 - our own server
                return True
        except OSError:
            return False

    try:
        _wait_for(answers, "WordPress")
        yield site
    finally:
        _stop(server)


@pytest.fixture(scope="module", autouse=True)
def _wordpress_installed() -> None:
    # Module-scoped, so that it runs before MariaDB and WordPress are set up.
    if os.getenv("WORDPRESS_TESTS") != "1":
        pytest.skip("WordPress test: set WORDPRESS_TESTS=1 to run it (.ci/run does)")
    missing = wordpress_missing()
    if missing:
        pytest.skip(f"WordPress test skipped, this machine lacks: {missing}")


# Logos in colours a person tells apart on the screenshot; names from several scripts.
ALLIES = [
    ("Ελληνική Γραμμή Βοήθειας", "GR", (0, 94, 184)),
    ("Kinderschutzbund Köln", "DE", (214, 40, 57)),
    ("Association Enfance & Écrans", "FR", (0, 150, 136)),
    ("Safe Childhood Network 🛡", "IE", (255, 152, 0)),
    ("Fundación Niñez Segura", "ES", (103, 58, 183)),
    ("Dziecko w Sieci", "PL", (76, 175, 80)),
    ("Barnens Rätt Online", "SE", (233, 30, 99)),
    ("Helpline Nederland", "NL", (63, 81, 181)),
]


@pytest.fixture
def wall(transactional_db) -> Campaign:
    from tests.wall_helpers import make_logo

    campaign = Campaign.objects.create(
        slug=SLUG,
        title="Keep detection legal",
        statement="We ask lawmakers to keep voluntary detection of known abuse material legal.",
        is_default=True,
    )
    sector = Sector.objects.create(
        slug="ngo", name="NGO", order=1, transparency_register_category="III"
    )
    for index, (name, country, colour) in enumerate(ALLIES):
        organization = Organization.objects.create(
            name=name,
            website=f"https://ally{index}.example.org",
            country=country,
            sector=sector,
            logo=make_logo(colour),
        )
        Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=Status.APPROVED,
            contact_email=f"private{index}@ally{index}.example.org",
        )
    return campaign


def test_pasting_the_campaigns_address_into_wordpress_shows_the_wall(
    page, live_server, wall, wordpress
):
    # The address alone on its line, as an author pastes it, with a newsletter's tracking.
    pasted = f"{live_server.url}/campaigns/{SLUG}/?utm_source=newsletter"
    post = wordpress.new_post(
        f"Organizations across Europe have signed on:\n\n{pasted}\n\nJoin us!"
    )

    page.set_viewport_size({"width": 1100, "height": 1100})
    page.goto(post)

    frame_element = page.wait_for_selector("iframe.wp-embedded-content")
    assert frame_element.get_attribute("sandbox") == "allow-scripts"
    src = frame_element.get_attribute("src")
    secret = frame_element.get_attribute("data-secret")
    assert src.startswith(f"{live_server.url}/embed/{SLUG}/?lang=en#?secret=")
    assert src.endswith(f"#?secret={secret}")
    # WordPress gave it the answer's height (600); the embed's message, with the secret, sets it
    # to the wall's own (within WordPress's 200 to 1000).
    frame = frame_element.content_frame()
    frame.wait_for_selector(".wall .ally img")
    content = frame.evaluate(
        "Math.ceil(document.querySelector('.embed-root').getBoundingClientRect().height)"
    )
    # Taller than the first guess, within WordPress's bounds: the message made the difference.
    assert 600 < content < 1000
    page.wait_for_function(
        f"() => document.querySelector('iframe.wp-embedded-content').height == {content}"
    )
    assert frame.evaluate(
        "document.documentElement.scrollHeight <= document.documentElement.clientHeight + 1"
    )
    # Every ally's logo, loaded inside the sandbox.
    frame.wait_for_function(
        "() => [...document.querySelectorAll('.wall .ally img')]"
        ".every(img => img.complete && img.naturalWidth > 0)"
    )
    assert frame.locator(".wall .ally img").count() == len(ALLIES)
    assert sorted(
        frame.locator(".wall .ally img").evaluate_all("s => s.map(i => i.alt)")
    ) == sorted(name for name, _country, _colour in ALLIES)
    assert page.get_by_text("Join us!").is_visible()
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    frame_element.scroll_into_view_if_needed()
    page.screenshot(path=SCREENSHOT, full_page=True)

    # Sign on: the sandbox lets the frame neither open a tab nor move the page; WordPress moves
    # it on the embed's "link" message, to an address of the frame's own host.
    frame.get_by_role("link", name="Sign on").click()

    page.wait_for_url(f"{live_server.url}/campaigns/{SLUG}/apply/**")
    assert page.get_by_label("Organization name").is_visible()
