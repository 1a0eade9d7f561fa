"""The language cookie is read by no script and, in production, travels over HTTPS only."""

from __future__ import annotations

import json
import os
import subprocess
import sys

from tests.web.test_settings import PRODUCTION, ROOT, VARIABLES


def test_in_production_the_language_cookie_is_secure_and_http_only():
    script = (
        "import json, django; from django.conf import settings as s; "
        "print(json.dumps([s.LANGUAGE_COOKIE_SECURE, s.LANGUAGE_COOKIE_HTTPONLY]))"
    )
    environment = {
        **{k: v for k, v in os.environ.items() if k not in VARIABLES},
        "DJANGO_SETTINGS_MODULE": "coalition.settings",
        **PRODUCTION,
    }
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=ROOT, env=environment, capture_output=True, text=True
    )

    assert json.loads(result.stdout) == [True, True], result.stderr


def test_the_cookie_set_on_switching_language_carries_the_flags(client, settings):
    settings.LANGUAGE_COOKIE_SECURE = True

    cookie = client.get("/language/fr/?next=/").cookies[settings.LANGUAGE_COOKIE_NAME]

    assert cookie["secure"]
    assert cookie["httponly"]
    assert cookie["samesite"] == "Lax"
