"""Every API error speaks the language the successful answers do: ``lang=``, then
Accept-Language, never the site's cookie; its detail, each message and what each parameter
accepts."""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.utils import translation
from rest_framework import exceptions
from rest_framework.test import APIClient

from api.errors import ACCEPTS
from coalition.models import Endorsement

Status = Endorsement.Status

# Each error: its path and query, its status, and the parameters it names.
ERRORS = [
    ("/api/v1/allies/?country=ZZ", 400, ["country"]),
    ("/api/v1/allies/?page_size=0&verified=maybe", 400, ["verified", "page_size"]),
    ("/api/v1/allies/?campaign=nowhere", 400, ["campaign"]),
    ("/api/v1/allies/?page=99", 404, ["page"]),
    ("/api/v1/facets/?sector=nope", 400, ["sector"]),
    ("/api/v1/allies/not-an-id/", 404, ["id"]),
    ("/api/v1/campaigns/nowhere/", 404, ["slug"]),
    ("/api/v1/nothing-here/", 404, []),
]


@pytest.fixture
def api(make_endorsement) -> APIClient:
    make_endorsement(status=Status.APPROVED)
    return APIClient()


def _get(api: APIClient, path: str, query: str = "", **headers):
    separator = "&" if "?" in path else "?"
    return api.get(f"{path}{separator}{query}" if query else path, **headers)


def _in(language: str, text) -> str:
    with translation.override(language):
        return str(text)


@pytest.mark.parametrize("language", ["fr", "de"])
@pytest.mark.parametrize(("path", "status", "parameters"), ERRORS)
def test_an_error_follows_lang(api, path, status, parameters, language):
    english = _get(api, path, "lang=en").json()

    response = _get(api, path, f"lang={language}")

    assert response.status_code == status
    assert response["Content-Language"] == language
    assert "Accept-Language" in response["Vary"]
    body = response.json()
    assert body["detail"] != english["detail"]
    assert [error["parameter"] for error in body["errors"]] == parameters
    for error, in_english in zip(body["errors"], english["errors"], strict=True):
        assert error["message"] != in_english["message"]
        assert error["accepts"] == _in(language, ACCEPTS[error["parameter"]])
        assert error["accepts"] != in_english["accepts"]


@pytest.mark.parametrize(("path", "status", "parameters"), ERRORS)
def test_an_error_follows_accept_language_and_never_the_cookie(api, path, status, parameters):
    api.cookies[django_settings.LANGUAGE_COOKIE_NAME] = "fr"
    in_german = _get(api, path, "lang=de").json()

    response = _get(api, path, HTTP_ACCEPT_LANGUAGE="de-AT,de;q=0.9")

    assert response.status_code == status
    assert response["Content-Language"] == "de"
    assert response.json() == in_german


def test_lang_wins_over_accept_language(api):
    in_french = _get(api, "/api/v1/allies/?country=ZZ", "lang=fr").json()

    response = _get(api, "/api/v1/allies/?country=ZZ", "lang=fr", HTTP_ACCEPT_LANGUAGE="de")

    assert response.json() == in_french
    assert response["Content-Language"] == "fr"


def test_an_unknown_lang_is_refused_in_the_language_accepted(api):
    response = api.get("/api/v1/allies/?lang=es", HTTP_ACCEPT_LANGUAGE="de")

    assert response.status_code == 400
    assert response["Content-Language"] == "de"
    [error] = response.json()["errors"]
    assert error["parameter"] == "lang"
    assert error["accepts"] == _in("de", ACCEPTS["lang"])
    assert "es" in error["message"]


def test_a_method_not_allowed_follows_lang(api):
    response = api.post("/api/v1/allies/?lang=fr")

    assert response.status_code == 405
    assert response["Content-Language"] == "fr"
    with translation.override("fr"):
        expected = str(exceptions.MethodNotAllowed("POST").detail)
    assert response.json()["detail"] == expected
    assert expected != 'Method "POST" not allowed.'


def test_too_many_requests_follows_lang(api, settings):
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {"anon": "1/minute"},
    }
    cache.clear()
    api.get("/api/v1/campaigns/")

    response = api.get("/api/v1/campaigns/?lang=de")

    assert response.status_code == 429
    assert response["Content-Language"] == "de"
    wait = int(response["Retry-After"])
    with translation.override("de"):
        expected = str(exceptions.Throttled(wait=wait).detail)
    assert response.json()["detail"] == expected
    assert "Request was throttled" not in expected
