from __future__ import annotations

from django.contrib.auth.models import User
from django.core.management import call_command


def test_ensure_superuser_creates_the_account_from_the_environment_once(db, monkeypatch, capsys):
    monkeypatch.setenv("DJANGO_SUPERUSER_USERNAME", "chair")
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "a long enough password 42")
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", "chair@registry.example")

    call_command("ensure_superuser")
    call_command("ensure_superuser")

    user = User.objects.get(username="chair")
    assert user.is_superuser
    assert user.check_password("a long enough password 42")
    assert User.objects.count() == 1
    assert "already exists" in capsys.readouterr().out


def test_ensure_superuser_says_how_to_make_one_when_not_configured(db, monkeypatch, capsys):
    monkeypatch.delenv("DJANGO_SUPERUSER_USERNAME", raising=False)

    call_command("ensure_superuser")

    assert "createsuperuser" in capsys.readouterr().out
    assert not User.objects.exists()
