from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "x7#Jq9!vR2@pL5$wN8^tY3&kZ6*mB1(cD4)fG0_hE+sA-uI=oP~" * 2,
    "ALLOWED_HOSTS": "coalition.example.org",
    "SITE_URL": "https://coalition.example.org",
}
VARIABLES = [
    "SECRET_KEY",
    "DEBUG",
    "ALLOWED_HOSTS",
    "DATABASE_URL",
    "REDIS_URL",
    "EMAIL_HOST",
    "EMAIL_PORT",
    "EMAIL_HOST_USER",
    "EMAIL_HOST_PASSWORD",
    "EMAIL_USE_TLS",
    "DEFAULT_FROM_EMAIL",
    "SITE_URL",
    "MEDIA_ROOT",
    "REQUIRE_STAFF_2FA",
    "OTP_TOTP_ISSUER",
    "LOGIN_FAILURE_LIMIT",
    "LOGIN_COOLOFF_MINUTES",
    "CSP_IMG_SRC",
    "RETENTION_UNCONFIRMED_DAYS",
    "RETENTION_PERSONAL_DATA_DAYS",
]


def _run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in VARIABLES}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "coalition.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def _settings(env: dict[str, str]) -> dict:
    script = (
        "import json, django; from django.conf import settings as s; "
        "print(json.dumps({'DEBUG': s.DEBUG, 'SECRET_KEY': s.SECRET_KEY, "
        "'ALLOWED_HOSTS': s.ALLOWED_HOSTS, 'ENGINE': s.DATABASES['default']['ENGINE'], "
        "'DB_NAME': str(s.DATABASES['default']['NAME']), "
        "'CACHE': s.CACHES['default']['BACKEND'], "
        "'CACHE_LOCATION': s.CACHES['default'].get('LOCATION'), "
        "'EMAIL_BACKEND': s.EMAIL_BACKEND, 'EMAIL_HOST': s.EMAIL_HOST, "
        "'EMAIL_PORT': s.EMAIL_PORT, 'EMAIL_HOST_USER': s.EMAIL_HOST_USER, "
        "'EMAIL_HOST_PASSWORD': s.EMAIL_HOST_PASSWORD, 'EMAIL_USE_TLS': s.EMAIL_USE_TLS, "
        "'DEFAULT_FROM_EMAIL': s.DEFAULT_FROM_EMAIL, 'SITE_URL': s.SITE_URL, "
        "'MEDIA_ROOT': str(s.MEDIA_ROOT)}))"
    )
    result = _run(["-c", script], env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_a_fresh_checkout_runs_on_sqlite_locmem_and_console_mail():
    values = _settings({})

    assert values["DEBUG"] is True
    assert values["ENGINE"] == "django.db.backends.sqlite3"
    assert values["DB_NAME"].endswith("db.sqlite3")
    assert values["CACHE"] == "django.core.cache.backends.locmem.LocMemCache"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend"
    assert values["MEDIA_ROOT"] == str(ROOT / "media")


def test_production_variables_are_read_from_the_environment():
    values = _settings(
        {
            **PRODUCTION,
            "DATABASE_URL": "postgres://app:secret@db.internal:5432/coalition",
            "REDIS_URL": "redis://cache.internal:6379/2",
            "EMAIL_HOST": "smtp.example.org",
            "EMAIL_PORT": "2525",
            "EMAIL_HOST_USER": "mailer",
            "EMAIL_HOST_PASSWORD": "mail-secret",
            "EMAIL_USE_TLS": "false",
            "DEFAULT_FROM_EMAIL": "Coalition <hello@example.org>",
            "MEDIA_ROOT": "/srv/coalition/media",
        }
    )

    assert values["DEBUG"] is False
    assert values["SECRET_KEY"] == PRODUCTION["SECRET_KEY"]
    assert values["ALLOWED_HOSTS"] == ["coalition.example.org"]
    assert values["ENGINE"] == "django.db.backends.postgresql"
    assert values["DB_NAME"] == "coalition"
    assert values["CACHE"] == "django_redis.cache.RedisCache"
    assert values["CACHE_LOCATION"] == "redis://cache.internal:6379/2"
    assert values["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend"
    assert values["EMAIL_HOST"] == "smtp.example.org"
    assert values["EMAIL_PORT"] == 2525
    assert values["EMAIL_HOST_USER"] == "mailer"
    assert values["EMAIL_HOST_PASSWORD"] == "mail-secret"
    assert values["EMAIL_USE_TLS"] is False
    assert values["DEFAULT_FROM_EMAIL"] == "Coalition <hello@example.org>"
    assert values["SITE_URL"] == "https://coalition.example.org"
    assert values["MEDIA_ROOT"] == "/srv/coalition/media"


def test_production_refuses_to_start_without_a_secret_key():
    result = _run(["-c", "from django.conf import settings; settings.SECRET_KEY"], {"DEBUG": "0"})

    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr


@pytest.mark.parametrize(("name", "value"), [("DEBUG", "maybe"), ("EMAIL_PORT", "smtp")])
def test_a_malformed_variable_is_named_in_the_error(name, value):
    result = _run(["-c", "from django.conf import settings; settings.DEBUG"], {name: value})

    assert result.returncode != 0
    assert name in result.stderr


def test_check_deploy_is_clean_with_production_settings():
    result = _run(["manage.py", "check", "--deploy", "--fail-level", "DEBUG"], PRODUCTION)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_configuration_doc_lists_every_variable_with_its_default():
    readme = (ROOT / "docs" / "configuration.md").read_text()

    for name in VARIABLES:
        assert f"`{name}`" in readme, name
