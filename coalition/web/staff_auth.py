"""Staff sign-in: two-factor (TOTP, django-otp) when ``REQUIRE_STAFF_2FA`` is on, and the page
django-axes shows once a username and address have failed too often.

The setting is read on every request rather than when the admin site is built, so that one site
object serves both ways (and tests can switch it).
"""

from __future__ import annotations

import ipaddress
from typing import Any

from django.conf import settings
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.admin.sites import AdminSite
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django_otp import devices_for_user, user_has_device
from django_otp.admin import OTPAdminAuthenticationForm, OTPAdminSite

from coalition.web import ratelimit

ENROLL_COMMAND = "manage.py enroll_totp"


class StaffOTPAuthenticationForm(OTPAdminAuthenticationForm):
    """Password, then a code from the authenticator app. A staff member without a device is told
    how to get one (only once the password is right, so this reveals nothing to a stranger)."""

    def clean_otp(self, user: Any) -> None:
        if user is not None and not user_has_device(user, confirmed=True):
            raise ValidationError(
                _(
                    "Two-factor sign-in is required and this account has no authenticator "
                    "device yet. Ask an administrator to enroll one for you (%(command)s "
                    "%(username)s), add it to your authenticator app, then sign in with its code."
                ),
                code="no_device",
                params={"command": ENROLL_COMMAND, "username": user.get_username()},
            )
        if user is not None and not self.cleaned_data.get("otp_device"):
            # django-otp wants the device picked from a list that only appears once the password
            # is right. With one device (what enroll_totp gives) there is nothing to pick: name
            # it, so that password and code go in one step. django-otp still checks that the
            # device is this user's, and counts the guess against it. Not for_verify here: that
            # locks the row, which django-otp does itself inside its transaction.
            devices = list(devices_for_user(user, confirmed=True))
            if len(devices) == 1:
                self.cleaned_data["otp_device"] = devices[0].persistent_id
        super().clean_otp(user)


class StaffAdminSite(OTPAdminSite):
    """The admin site. With ``REQUIRE_STAFF_2FA`` on, only staff who signed in with a TOTP code
    get in (django-otp's ``OTPAdminSite``); with it off, Django's plain admin sign-in."""

    def __init__(self, name: str = "admin") -> None:
        # OTPAdminSite would name itself "otpadmin"; the URLs stay under the "admin" namespace.
        AdminSite.__init__(self, name)

    @property
    def login_form(self) -> type[AdminAuthenticationForm]:  # type: ignore[override]
        return StaffOTPAuthenticationForm if settings.REQUIRE_STAFF_2FA else AdminAuthenticationForm

    @property
    def login_template(self) -> str | None:  # type: ignore[override]
        return "admin/staff_login.html" if settings.REQUIRE_STAFF_2FA else None

    def has_permission(self, request: HttpRequest) -> bool:
        if settings.REQUIRE_STAFF_2FA:
            return super().has_permission(request)
        return AdminSite.has_permission(self, request)


def lockout_response(
    request: HttpRequest,
    original_response: HttpResponse | None = None,
    credentials: dict[str, Any] | None = None,
) -> HttpResponse:
    """What django-axes answers once a username has failed too often from one address."""
    from django.contrib import admin

    minutes = max(1, int(settings.AXES_COOLOFF_TIME.total_seconds() // 60))
    context = {
        **admin.site.each_context(request),
        "title": _("Too many failed sign-in attempts"),
        "minutes": minutes,
    }
    response = render(request, "admin/locked_out.html", context, status=429)
    response["Retry-After"] = str(minutes * 60)
    return response


def client_ip(request: HttpRequest) -> str | None:
    """The client's address as django-axes records it: the rate limits' notion of it, or None
    when there is no address (a request made in code, as ``force_login`` makes)."""
    address = ratelimit.client_ip(request)
    try:
        return str(ipaddress.ip_address(address))
    except ValueError:
        return None
