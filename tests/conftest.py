from __future__ import annotations

import io
from collections.abc import Callable

import pytest
from django.contrib.auth.models import Group, User
from django.core.cache import cache
from django.utils import timezone, translation
from PIL import Image

from coalition.models import Campaign, Endorsement, Organization, RejectionReason, Sector
from tests.browser import axe_missing, in_ci


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
    counter = iter(range(1, 100_000))

    def make(
        *,
        status: str = Endorsement.Status.PENDING,
        name: str | None = None,
        website: str | None = None,
        country: str = "DE",
        contact_email: str | None = None,
        campaign: Campaign = campaign,
        sector: Sector = sector,
    ) -> Endorsement:
        n = next(counter)
        organization = Organization.objects.create(
            name=name or f"Example Org {n}",
            website=website or f"https://org{n}.example.org",
            country=country,
            sector=sector,
        )
        return Endorsement.objects.create(
            organization=organization,
            campaign=campaign,
            status=status,
            approved_at=timezone.now() if status == Endorsement.Status.APPROVED else None,
            contact_name=f"Contact {n}",
            contact_role="Director",
            contact_email=contact_email or f"contact{n}@org{n}.example.org",
            consent_authority=True,
            consent_publish=True,
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


def image_bytes(
    size: tuple[int, int] = (400, 200),
    fmt: str = "PNG",
    color: tuple[int, ...] = (200, 30, 60),
    mode: str = "RGB",
    **save_kwargs,
) -> bytes:
    """An image made in memory, with a shape in it so that it is not one flat colour."""
    image = Image.new(mode, size, (255, 255, 255) if mode == "RGB" else 0)
    inner = Image.new(mode, (size[0] // 2, size[1] // 2), color if mode == "RGB" else 128)
    image.paste(inner, (size[0] // 4, size[1] // 4))
    buffer = io.BytesIO()
    image.save(buffer, fmt, **save_kwargs)
    return buffer.getvalue()


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
