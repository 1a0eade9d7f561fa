"""The admin's authenticator-device pages say nothing of which device ids exist: to staff who
may not see devices, a missing id and an existing device are both a 404 (they were a 500 and a
403); to a superuser a missing id is a 404 too."""

from __future__ import annotations

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice


@pytest.fixture
def device(superuser) -> TOTPDevice:
    return TOTPDevice.objects.create(user=superuser, name="phone")


@pytest.mark.parametrize("page", ["config", "qrcode"])
def test_to_a_reviewer_a_missing_device_and_an_existing_one_are_both_a_404(
    client, reviewer, device, settings, page
):
    settings.REQUIRE_STAFF_2FA = False
    client.force_login(reviewer)

    missing = client.get(f"/admin/otp_totp/totpdevice/{device.pk + 100}/{page}/")
    existing = client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{page}/")

    assert missing.status_code == existing.status_code == 404


@pytest.mark.parametrize("page", ["config", "qrcode"])
def test_to_a_superuser_a_missing_device_is_a_404_and_an_existing_one_opens(
    client, superuser, device, settings, page
):
    settings.REQUIRE_STAFF_2FA = False
    client.force_login(superuser)

    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk + 100}/{page}/").status_code == 404
    assert client.get(f"/admin/otp_totp/totpdevice/{device.pk}/{page}/").status_code == 200
