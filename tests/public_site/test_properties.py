"""Property tests (hypothesis): whatever arrives, as a logo or in any form field or parameter,
the answer is a page or a clear error, never a 500."""

from __future__ import annotations

import io

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from coalition.endorsements import tokens
from coalition.images import logos
from coalition.models import Endorsement
from tests.conftest import image_bytes
from tests.factories import application_form

Status = Endorsement.Status
SLUG = "keep-detection"

# Fixtures from pytest-django live for the whole test, not one example: every example resets the
# cache (rate limits, cached renderings) itself.
EXAMPLES = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Valid images in every accepted format, to be damaged in many small ways: random bytes alone
# rarely get past the first check.
_SEEDS = [
    image_bytes(size=(64, 64), fmt="PNG"),
    image_bytes(size=(64, 64), fmt="JPEG"),
    image_bytes(size=(64, 64), fmt="GIF"),
    image_bytes(size=(64, 64), fmt="WEBP"),
    image_bytes(size=(64, 64), fmt="PNG", mode="L"),
]


@st.composite
def damaged_images(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(_SEEDS)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        action = draw(st.sampled_from(["flip", "cut", "insert"]))
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        if action == "flip":
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif action == "cut":
            del data[position:]
            if not data:
                break
        else:
            data[position:position] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


logo_bytes = st.one_of(st.binary(max_size=4096), damaged_images())

# Text of every kind, and a few values that have broken web forms before.
NASTY = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "[",
    "http://[",
    "http://[::1",
    "http://example.org:99999",
    "https://xn--",
    "%",
    "%00",
    "../../etc/passwd",
    "' OR 1=1 --",
    "\u202eevil",
    "𝔘𝔫𝔦𝔠𝔬𝔡𝔢",
    "ß" * 300,
    "9" * 40,
    "-1",
    "1e309",
    "DE,,FR,",
    "x" * 5000,
]
text = st.one_of(st.text(max_size=300), st.sampled_from(NASTY))


def _acceptable(status: int) -> bool:
    return status < 500


# The logo pipeline ---------------------------------------------------------------------------


@EXAMPLES
@given(data=logo_bytes)
def test_any_bytes_give_a_logo_or_a_validation_error(data):
    try:
        image = logos.validate_and_open(io.BytesIO(data))
        logos.process(image)
    except ValidationError:
        pass


@pytest.mark.django_db
@EXAMPLES
@given(data=logo_bytes, name=st.sampled_from(["logo.png", "logo.svg", "x", "../../a.php"]))
def test_any_bytes_uploaded_as_a_logo_never_give_a_500(client, campaign, sector, data, name):
    cache.clear()
    upload = SimpleUploadedFile(name, data, content_type="image/png")

    response = client.post("/apply/", application_form(sector, logo=upload))

    assert response.status_code in (303, 400)  # 303: to "check your email"


# Every form field ----------------------------------------------------------------------------

APPLY_FIELDS = [
    "name",
    "website",
    "country",
    "sector",
    "registry_id",
    "statement",
    "contact_name",
    "contact_role",
    "contact_email",
    "preferred_language",
    "consent_authority",
    "consent_publish",
    "homepage",
    "started",
]


@pytest.mark.django_db
@EXAMPLES
@given(values=st.fixed_dictionaries({}, optional=dict.fromkeys(APPLY_FIELDS, text)))
def test_any_text_in_the_application_form_never_gives_a_500(client, campaign, sector, values):
    cache.clear()

    response = client.post("/apply/", application_form(sector, **values))

    assert _acceptable(response.status_code), values


@pytest.mark.django_db
@EXAMPLES
@given(email=text)
def test_any_text_in_the_resend_form_never_gives_a_500(client, email):
    cache.clear()

    assert _acceptable(client.post("/resend/", {"contact_email": email}).status_code)


@pytest.fixture
def manage_token(make_endorsement) -> str:
    return tokens.manage_token(make_endorsement(status=Status.APPROVED))


@pytest.mark.django_db
@EXAMPLES
@given(
    values=st.fixed_dictionaries({}, optional=dict.fromkeys(["website", "statement"], text)),
    logo=st.one_of(st.none(), logo_bytes),
)
def test_any_text_or_logo_in_the_manage_form_never_gives_a_500(client, manage_token, values, logo):
    cache.clear()
    data: dict[str, object] = dict(values)
    if logo is not None:
        data["logo"] = SimpleUploadedFile("logo.png", logo, content_type="image/png")

    response = client.post(f"/manage/{manage_token}/", data)

    assert _acceptable(response.status_code), values


@pytest.mark.django_db
@EXAMPLES
@given(token=text, confirm=text)
def test_any_text_as_a_private_link_or_withdrawal_never_gives_a_500(client, db, token, confirm):
    token = token.replace("/", "")
    if not token:
        return
    for url, data in [
        (f"/confirm/{token}/", None),
        (f"/confirm/{token}/", {}),
        (f"/not-us/{token}/", {}),
        (f"/manage/{token}/", None),
        (f"/manage/{token}/data.json", None),
        (f"/manage/{token}/withdraw/", {"confirm": confirm}),
    ]:
        response = client.get(url) if data is None else client.post(url, data)
        assert _acceptable(response.status_code), url


# Every GET parameter of the wall, its embeds and images, and the API ------------------------

WALL_PARAMETERS = [
    "country",
    "sector",
    "q",
    "order",
    "page",
    "theme",
    "lang",
    "columns",
    "names",
    "count",
    "height",
]
API_PARAMETERS = [
    "campaign",
    "country",
    "sector",
    "search",
    "verified",
    "ordering",
    "page",
    "page_size",
    "lang",
    "format",
]


@pytest.fixture
def ally(make_endorsement) -> Endorsement:
    return make_endorsement(status=Status.APPROVED)


def _query(parameters: list[str]) -> st.SearchStrategy[dict[str, str]]:
    return st.fixed_dictionaries({}, optional=dict.fromkeys(parameters, text))


@pytest.mark.django_db
@EXAMPLES
@given(
    params=_query(WALL_PARAMETERS),
    path=st.sampled_from(
        [
            "/",
            f"/campaigns/{SLUG}/",
            f"/embed/{SLUG}/",
            f"/campaigns/{SLUG}/embed/",
            f"/campaigns/{SLUG}/wall.svg",
            f"/campaigns/{SLUG}/feed/",
        ]
    ),
)
def test_any_wall_parameters_never_give_a_500(client, ally, params, path):
    cache.clear()

    response = client.get(path, params)

    assert _acceptable(response.status_code), (path, params)


@pytest.mark.django_db
@settings(EXAMPLES, max_examples=15)
@given(params=_query(WALL_PARAMETERS))
def test_any_parameters_of_the_wall_picture_never_give_a_500(client, ally, params):
    # Fewer: each one draws a PNG.
    cache.clear()

    response = client.get(f"/campaigns/{SLUG}/wall.png", params)

    assert _acceptable(response.status_code), params


@pytest.mark.django_db
@EXAMPLES
@given(
    params=_query(API_PARAMETERS),
    path=st.sampled_from(
        ["/api/v1/allies/", "/api/v1/facets/", "/api/v1/campaigns/", f"/api/v1/campaigns/{SLUG}/"]
    ),
)
def test_any_api_parameters_never_give_a_500(client, ally, params, path):
    cache.clear()

    response = client.get(path, params)

    assert _acceptable(response.status_code), (path, params)


@pytest.mark.django_db
@EXAMPLES
@given(public_id=text)
@example(public_id="a\x00b")  # PostgreSQL refuses NUL in a query
def test_any_ally_id_in_the_api_never_gives_a_500(client, ally, public_id):
    cache.clear()
    public_id = public_id.replace("/", "")

    response = client.get(f"/api/v1/allies/{public_id}/")

    assert _acceptable(response.status_code), public_id
