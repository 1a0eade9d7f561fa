"""Fixtures for the end-to-end journeys: one Chromium per module, a live server, the mail.

Skipped, with the reason, where there is no Chromium or Playwright; under CI (CI=true) that is
a failure instead.
"""

from __future__ import annotations

import io
import os
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.contrib.auth.models import Group, User
from django.core.management import call_command
from django.db import connection

from coalition.models import Campaign
from tests.browser import CHROMIUM, CHROMIUM_ARGS, browser_missing, in_ci

SCREENSHOTS = Path("/tmp/journeys")  # noqa: S108 - where the lead looks for them


@pytest.fixture(scope="module")
def browser(django_db_setup) -> Iterator[object]:
    # One browser per module. The test database is made before Playwright starts its event loop
    # in this thread, and the loop ends with the module, before any other test.
    missing = browser_missing()
    if missing:
        if in_ci():
            pytest.fail(f"Browser tests cannot run under CI: {missing}", pytrace=False)
        pytest.skip(f"Browser tests skipped: {missing}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield chromium
        chromium.close()


@pytest.fixture(scope="module", autouse=True)
def _migrated(django_db_setup, django_db_blocker) -> Iterator[str]:
    """The database as migrated (content types, the Reviewers group), saved before the module's
    first test: a live server needs a transactional database, which is emptied after each test.
    It is put back for each journey (``migrated_db``) and once the module is done, so that the
    tests after it find the database as migrated.

    Saved here rather than through pytest-django's ``serialized_rollback``, which looks for its
    copy on the connection of the current context, and Playwright's sync API runs the tests in
    a context of its own."""
    with django_db_blocker.unblock():
        saved = connection.creation.serialize_db_to_string()
    yield saved
    with django_db_blocker.unblock():
        _restore(saved)


def _restore(saved: str) -> None:
    call_command("flush", verbosity=0, interactive=False, inhibit_post_migrate=True)
    connection.creation.deserialize_db_from_string(saved)


@pytest.fixture
def migrated_db(transactional_db, _migrated) -> None:
    """A transactional database holding what the migrations put there, and nothing else."""
    _restore(_migrated)


@pytest.fixture(scope="module", autouse=True)
def _sync_db_beside_playwright() -> Iterator[None]:
    """Playwright's sync API keeps an event loop in this thread, and Django then refuses
    synchronous database calls from it. These tests seed and check the database from here,
    which is safe; the permission lasts for the module only."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        yield


@pytest.fixture(scope="session")
def live_server(django_db_setup) -> Iterator[object]:
    """pytest-django's live server, on 127.0.0.1 rather than ``localhost``.

    Links built outside a request (a service called from a test, as the worker would) go to
    ``http://127.0.0.1:$PORT``; served there, they and the links that follow the request's
    origin name one and the same site.
    """
    from pytest_django.live_server_helper import LiveServer

    server = LiveServer("127.0.0.1")
    yield server
    server.stop()


@pytest.fixture
def site(live_server, settings, monkeypatch) -> str:
    """The live server's base URL, with absolute links following it (SITE_URL unset), and
    ``PORT`` set as ``make run`` would, for links made outside a request."""
    settings.SITE_URL = ""
    monkeypatch.setenv("PORT", str(urlsplit(live_server.url).port))
    return live_server.url


@pytest.fixture
def reference_data(migrated_db) -> Campaign:
    """Sectors, rejection reasons and the default campaign, as ``make run`` loads them."""
    call_command("load_reference_data", stdout=io.StringIO())
    return Campaign.objects.get(is_default=True)


@pytest.fixture
def page(browser):
    context = browser.new_context(viewport={"width": 1200, "height": 900})
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def shot(request):
    """``shot(page, "step")`` saves ``/tmp/journeys/<test>-<step>.png`` when
    ``JOURNEY_SCREENSHOTS=1``, for a person to look at the journey afterwards."""
    enabled = os.getenv("JOURNEY_SCREENSHOTS", "") == "1"
    test = request.node.name.removeprefix("test_")

    def take(page, step: str) -> None:
        if not enabled:
            return
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / f"{test}-{step}.png"), full_page=True)

    return take


@pytest.fixture
def reviewer_user(migrated_db) -> User:
    """A member of the Reviewers group (made by a migration), as an administrator makes one."""
    user = User.objects.create_user(
        "reviewer", "reviewer@registry.example", "correct horse battery", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user
