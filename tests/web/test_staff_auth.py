"""Staff sign-in: lockout after repeated failures (django-axes), two-factor with TOTP
(django-otp) when REQUIRE_STAFF_2FA is on, and enrolling a device."""

from __future__ import annotations

import json
import re
from datetime import timedelta
from io import StringIO

import pytest
import time_machine
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.utils import timezone
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from tests.conftest import csp
from tests.web.test_settings import PRODUCTION, _run

LOGIN = "/admin/login/"
PASSWORD = "correct horse battery"


@pytest.fixture
def staff(db) -> User:
    return User.objects.create_user("staffer", "staffer@registry.example", PASSWORD, is_staff=True)


def _sign_in(client, password: str = PASSWORD, address: str = "203.0.113.7", **extra):
    return client.post(
        LOGIN,
        {"username": "staffer", "password": password, "next": "/admin/", **extra},
        REMOTE_ADDR=address,
    )


def _code(device: TOTPDevice) -> str:
    """The code the authenticator app shows now."""
    code = totp(device.bin_key, step=device.step, t0=device.t0, digits=device.digits)
    return f"{code:06d}"


# Lockout ------------------------------------------------------------------------------------


def test_a_password_signs_staff_in_while_two_factor_is_off(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = False

    response = _sign_in(client)

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_repeated_failures_lock_the_username_out_from_that_address(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = False
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, password="wrong").status_code == 200

    locked = _sign_in(client, password="wrong")
    # Locked out: even the right password is refused now, with a page that says for how long.
    right = _sign_in(client)

    for response in (locked, right):
        assert response.status_code == 429
        assert "Too many failed sign-in attempts" in response.content.decode()
        assert "15 minutes" in response.content.decode()
        assert response["Retry-After"] == "900"
        assert "Content-Security-Policy" in response
    assert "_auth_user_id" not in client.session


def test_a_lockout_is_for_that_username_and_address_only(client, staff, settings, db):
    settings.REQUIRE_STAFF_2FA = False
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, password="wrong")

    assert _sign_in(client).status_code == 429
    assert _sign_in(client, address="198.51.100.9").status_code == 302


def test_a_lockout_ends_after_the_cool_off(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = False
    for _ in range(settings.AXES_FAILURE_LIMIT):
        _sign_in(client, password="wrong")
    assert _sign_in(client).status_code == 429

    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        assert _sign_in(client).status_code == 302


def test_a_successful_sign_in_clears_earlier_failures(client, staff, settings):
    settings.REQUIRE_STAFF_2FA = False
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        _sign_in(client, password="wrong")
    assert _sign_in(client).status_code == 302
    client.logout()

    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _sign_in(client, password="wrong").status_code == 200
    assert _sign_in(client).status_code == 302


# Two factors --------------------------------------------------------------------------------


@pytest.fixture
def two_factor(settings) -> None:
    settings.REQUIRE_STAFF_2FA = True


@pytest.fixture
def device(staff) -> TOTPDevice:
    return TOTPDevice.objects.create(user=staff, name="phone", confirmed=True)


def test_the_sign_in_page_asks_for_a_code_and_says_how_to_get_a_device(client, db, two_factor):
    response = client.get(LOGIN)
    body = response.content.decode()

    assert 'name="otp_token"' in body
    assert "enroll_totp" in body
    # django-otp's sign-in page needs nothing inline either.
    assert csp(response)["script-src"] == ["'self'"]
    assert "<style" not in body
    assert not re.search(r"<script(?![^>]*\ssrc=)[^>]*>", body)


def test_a_password_alone_is_not_enough(client, staff, device, two_factor):
    response = _sign_in(client)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session
    assert client.get("/admin/").status_code == 302


def test_a_wrong_code_is_refused(client, staff, device, two_factor):
    wrong = f"{(int(_code(device)) + 1) % 1_000_000:06d}"

    response = _sign_in(client, otp_token=wrong)

    assert response.status_code == 200
    assert "_auth_user_id" not in client.session


def test_password_and_code_sign_staff_in(client, staff, device, two_factor):
    response = _sign_in(client, otp_token=_code(device))

    assert response.status_code == 302
    assert client.get("/admin/").status_code == 200


def test_staff_without_a_device_are_told_how_to_enroll(client, staff, two_factor):
    response = _sign_in(client, otp_token="123456")

    body = response.content.decode()
    assert response.status_code == 200
    assert "no authenticator device yet" in body
    assert "manage.py enroll_totp staffer" in body
    assert "_auth_user_id" not in client.session


def test_a_wrong_password_reveals_nothing_about_devices(client, staff, two_factor):
    body = _sign_in(client, password="wrong", otp_token="123456").content.decode()

    assert "no authenticator device yet" not in body


def test_a_session_signed_in_without_a_code_does_not_reach_the_admin(
    client, staff, device, two_factor
):
    client.force_login(staff)  # as if signed in before two-factor was turned on

    response = client.get("/admin/")

    assert response.status_code == 302
    assert response["Location"].startswith(LOGIN)


def test_the_two_factor_setting_defaults_to_on_in_production_and_off_in_development():
    script = "from django.conf import settings; print(settings.REQUIRE_STAFF_2FA)"

    assert _run(["-c", script], PRODUCTION).stdout.strip() == "True"
    assert _run(["-c", script], {"DEBUG": "1"}).stdout.strip() == "False"
    assert _run(["-c", script], {**PRODUCTION, "REQUIRE_STAFF_2FA": "0"}).stdout.strip() == (
        "False"
    )
    assert _run(["-c", script], {"DEBUG": "1", "REQUIRE_STAFF_2FA": "1"}).stdout.strip() == ("True")


def test_login_limits_are_read_from_the_environment():
    script = (
        "import json; from django.conf import settings as s; "
        "print(json.dumps([s.AXES_FAILURE_LIMIT, s.AXES_COOLOFF_TIME.total_seconds()]))"
    )

    result = _run(["-c", script], {"LOGIN_FAILURE_LIMIT": "3", "LOGIN_COOLOFF_MINUTES": "60"})

    assert json.loads(result.stdout) == [3, 3600]


# Enrolling ----------------------------------------------------------------------------------


def test_enroll_totp_gives_staff_a_device_and_prints_its_link(client, staff, two_factor):
    out = StringIO()

    call_command("enroll_totp", "staffer", stdout=out)

    device = TOTPDevice.objects.get(user=staff)
    assert device.confirmed
    printed = out.getvalue()
    assert "otpauth://totp/Coalition%20Registry%3Astaffer?secret=" in printed
    assert "issuer=Coalition%20Registry" in printed
    assert "█" in printed or "▀" in printed  # the QR code, drawn in the terminal
    # And the device works for signing in.
    assert _sign_in(client, otp_token=_code(device)).status_code == 302


def test_enroll_totp_refuses_to_replace_a_device_unless_asked(staff, device):
    with pytest.raises(CommandError, match="--replace"):
        call_command("enroll_totp", "staffer", stdout=StringIO())

    call_command("enroll_totp", "staffer", "--replace", stdout=StringIO())

    assert TOTPDevice.objects.filter(user=staff).count() == 1
    assert not TOTPDevice.objects.filter(pk=device.pk).exists()


def test_enroll_totp_is_for_existing_staff_only(db):
    User.objects.create_user("visitor", "visitor@example.org", PASSWORD)

    with pytest.raises(CommandError, match="not staff"):
        call_command("enroll_totp", "visitor", stdout=StringIO())
    with pytest.raises(CommandError, match="no user"):
        call_command("enroll_totp", "nobody", stdout=StringIO())
