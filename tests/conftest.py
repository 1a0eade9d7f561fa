from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import translation

from coalition.ledger import signing
from coalition.models import Campaign, Endorsement, RejectionReason, Sector
from tests.browser import axe_missing, in_ci
from tests.factories import endorsement, image_bytes  # noqa: F401 - image_bytes: imported from here by many tests


@pytest.fixture(autouse=True)
def _fast_and_isolated(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Tests submit forms faster than any person; the rule itself has its own test.
    settings.APPLICATION_MIN_FILL_SECONDS = 0
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    cache.clear()
    # A request served in French leaves French active in this thread; each test starts in
    # English, as a fresh process would.
    translation.activate(settings.LANGUAGE_CODE)
    yield
    cache.clear()
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(scope="session")
def signing_key_file(tmp_path_factory) -> Path:
    """One minisign key for the run (``coalition.ledger.signing``): what signs the lists."""
    path = tmp_path_factory.mktemp("signing") / "signing.key"
    signing.signing_key_write(path, signing.secret_key_new())
    return path


@pytest.fixture(autouse=True)
def _signing_key(settings, signing_key_file):
    settings.SIGNING_KEY_FILE = signing_key_file
    settings.SIGNING_OLD_PUBLIC_KEYS = ""


@pytest.fixture
def campaign(db) -> Campaign:
    return Campaign.objects.create(
        slug="keep-detection",
        title="Keep detection legal",
        statement="We ask lawmakers to keep voluntary detection of known abuse material legal.",
        is_default=True,
    )


@pytest.fixture
def sector(db) -> Sector:
    return Sector.objects.create(
        slug="child-protection-ngo",
        name="Child-protection NGO",
        transparency_register_category=Sector.TransparencyRegisterCategory.NGOS,
    )


@pytest.fixture
def reason(db) -> RejectionReason:
    return RejectionReason.objects.create(
        code="not-an-organization", text="We could not confirm that this is an organization."
    )


@pytest.fixture
def make_endorsement(campaign, sector) -> Callable[..., Endorsement]:
    """``make(**fields)``: an organization and its endorsement (``tests.factories.endorsement``),
    in ``campaign`` and ``sector`` unless told otherwise, numbered so that each is new."""
    counter = iter(range(1, 100_000))

    def make(**fields) -> Endorsement:
        return endorsement(
            number=next(counter),
            **{"campaign": campaign, "sector": sector, **fields},
        )

    return make


@pytest.fixture
def reviewer(db) -> User:
    user = User.objects.create_user(
        "reviewer", "reviewer@registry.example", "correct horse battery", is_staff=True
    )
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def superuser(db) -> User:
    return User.objects.create_superuser("admin", "admin@registry.example", "admin-password")


def csp(response) -> dict[str, list[str]]:
    """The response's Content-Security-Policy as {directive: [sources]} (one header, parsed)."""
    assert len(response.headers.get("Content-Security-Policy", "").split("\n")) == 1
    directives: dict[str, list[str]] = {}
    for part in response["Content-Security-Policy"].split(";"):
        if part.strip():
            name, *sources = part.split()
            directives[name] = sources
    return directives


@pytest.fixture(autouse=True)
def _background_work_at_once(settings):
    """Background work (mail) done in-process right after commit, so that a test sees the mail
    its request sent; the worker's own tests turn this off and run the worker themselves."""
    settings.BACKGROUND_WORK_IMMEDIATE = True


@pytest.fixture
def other_reviewer(db) -> User:
    """A second member of the Reviewers group (the review workspace's claims and races)."""
    user = User.objects.create_user(
        "bea", "bea@registry.example", "another horse battery", is_staff=True, first_name="Bea"
    )
    user.groups.add(Group.objects.get(name="Reviewers"))
    return user


@pytest.fixture
def axe():
    """Skips an accessibility test where axe-core or Chromium is missing (fails it under CI)."""
    missing = axe_missing()
    if missing:
        if in_ci():
            pytest.fail(f"Accessibility tests cannot run under CI: {missing}", pytrace=False)
        pytest.skip(f"Accessibility tests skipped: {missing}")
