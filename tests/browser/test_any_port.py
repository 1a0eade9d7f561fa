"""The applicant's journey against the site as ``manage.py runserver`` serves it, on a port other
than 8000 and without ``SITE_URL``: every link the site mails out must follow the address it is
actually served on, and the private manage link must work (save and withdraw)."""

from __future__ import annotations

import json
import os
import socket
import sqlite3
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser import ROOT
from tests.browser.journeys import (
    LINK,
    PROOF_FILE,
    Applicant,
    button,
    field,
    fill_application,
    submit,
)

# The project's virtual environment, as ``make run`` uses it; else the Python running the tests.
_VENV_PYTHON = ROOT / ".venv" / "bin" / "python"
PYTHON = _VENV_PYTHON if _VENV_PYTHON.exists() else Path(sys.executable)
# What the server must not inherit from the test run: it configures itself from its own env.
_NOT_INHERITED = {
    "SITE_URL",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "ADMINS",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "BACKGROUND_WORK_IMMEDIATE",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "PORT",
}


@dataclass
class Server:
    url: str
    database: Path
    log: Path

    def query(self, sql: str, *params: object) -> list[tuple]:
        with sqlite3.connect(f"file:{self.database}?mode=ro", uri=True) as db:
            return db.execute(sql, params).fetchall()

    def mails(self) -> list[dict[str, object]]:
        rows = self.query(
            "SELECT template, subject, body_text, body_html, `to` "
            "FROM coalition_outboundemail ORDER BY id"
        )
        return [
            {"template": t, "subject": s, "text": text, "html": html, "to": json.loads(to)}
            for t, s, text, html, to in rows
        ]

    def mail(self, template: str) -> dict[str, object]:
        found = [mail for mail in self.mails() if mail["template"] == template]
        assert len(found) == 1, (template, [mail["template"] for mail in self.mails()])
        return found[0]

    def status(self, name: str) -> str:
        (row,) = self.query(
            "SELECT e.status FROM coalition_endorsement e "
            "JOIN coalition_organization o ON o.id = e.organization_id WHERE o.name = ?",
            name,
        )
        return row[0]


def _free_port() -> int:
    while True:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        if port != 8000:
            return port


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [str(PYTHON), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def _wait_until_serving(url: str, process: subprocess.Popen, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            pytest.fail(f"runserver exited ({process.returncode}):\n{log.read_text()[-2000:]}")
        try:
            with urllib.request.urlopen(f"{url}/", timeout=2):  # noqa: S310 - our own server
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.2)
    pytest.fail(f"runserver did not answer within 30 s:\n{log.read_text()[-2000:]}")


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[Server]:
    """``runserver 127.0.0.1:<free port>`` on a fresh SQLite database, stopped afterwards."""
    root = tmp_path_factory.mktemp("any-port")
    port = _free_port()
    env = {name: value for name, value in os.environ.items() if name not in _NOT_INHERITED}
    env.update(
        PORT=str(port),
        DATABASE_URL=f"sqlite:///{root}/db.sqlite3",
        MEDIA_ROOT=str(root / "media"),
        APPLICATION_MIN_FILL_SECONDS="0",
        DEBUG="1",
        PYTHONUNBUFFERED="1",
    )
    _manage(env, "migrate", "--noinput")
    _manage(env, "load_reference_data")
    log = root / "server.log"
    url = f"http://127.0.0.1:{port}"
    with open(log, "w") as output:
        process = subprocess.Popen(
            [str(PYTHON), "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=ROOT,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait_until_serving(url, process, log)
        yield Server(url=url, database=root / "db.sqlite3", log=log)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def _link(mail: dict[str, object], kind: str) -> str:
    (url,) = {url for url in LINK.findall(mail["text"]) if f"/{kind}/" in url}
    return url


def test_the_journey_works_on_any_port_and_every_mailed_link_follows_it(page, server, shot):
    applicant = Applicant(
        name="Aspen Child Helpline", website="https://aspen.example.org", email="ana@aspen.org"
    )
    assert not server.url.endswith(":8000")

    page.goto(f"{server.url}/apply/")
    fill_application(page, applicant)
    submit(page, button(page, "en", "Send application"), log=server.log)
    shot(page, "1-check-your-email")
    expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    assert server.status(applicant.name) == "unconfirmed"

    # The confirmation link, read from the outbox as the worker would send it.
    confirm_url = _link(server.mail("confirm"), "confirm")
    assert confirm_url.startswith(f"{server.url}/confirm/")
    page.goto(confirm_url)
    page.get_by_role("button", name="Confirm my address").click()
    shot(page, "2-confirmed")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your address is confirmed"
    )
    assert server.status(applicant.name) == "pending"
    private_link = page.locator(".private-link a").get_attribute("href")
    assert private_link.startswith(f"{server.url}/manage/")

    # The private link from the mail: a change is saved, then the organization withdraws.
    manage_url = _link(server.mail("received"), "manage")
    assert manage_url.startswith(f"{server.url}/manage/")
    page.goto(manage_url)
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Manage {applicant.name}")
    field(page, "en", "Public statement").fill("Now with a statement saved through the link.")
    submit(page, button(page, "en", "Save changes"), log=server.log)
    shot(page, "3-saved")
    expect(page.get_by_role("status")).to_have_text("Your changes are saved.")
    ((statement,),) = server.query(
        "SELECT statement_en FROM coalition_organization WHERE name = ?", applicant.name
    )
    assert statement == "Now with a statement saved through the link."

    page.get_by_label("Yes, withdraw our organization from this campaign.").check()
    submit(page, button(page, "en", "Withdraw"), log=server.log)
    shot(page, "4-withdrawn")
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Your organization has been withdrawn"
    )
    assert server.status(applicant.name) == "withdrawn"

    # Every absolute link in every mail of the journey leads to where the site is served.
    mails = server.mails()
    assert {"confirm", "received", "withdrawn"} <= {mail["template"] for mail in mails}
    foreign = {
        (mail["template"], url)
        for mail in mails
        for body in (mail["text"], mail["html"])
        for url in LINK.findall(body)
        if not url.startswith(f"{server.url}/") and not url.endswith(PROOF_FILE)
    }
    assert foreign == set()
