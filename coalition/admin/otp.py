"""django-otp's admin for authenticator devices, answering 404 for a device one may not see.

Its configuration and QR code pages look a device up by id with ``objects.get`` (a 500 for an
id that does not exist) and answer 403 for one that exists but is not one's own: together they
told anyone signed in which ids exist. Here both are a 404.
"""

from __future__ import annotations

from django.contrib import admin
from django.http import Http404, HttpRequest, HttpResponse
from django_otp.plugins.otp_totp.admin import TOTPDeviceAdmin
from django_otp.plugins.otp_totp.models import TOTPDevice


class StaffTOTPDeviceAdmin(TOTPDeviceAdmin):
    def _visible(self, request: HttpRequest, pk: int) -> None:
        device = self.get_queryset(request).filter(pk=pk).first()
        if device is None or not self.has_view_or_change_permission(request, device):
            raise Http404

    def config_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._visible(request, pk)
        return super().config_view(request, pk)

    def qrcode_view(self, request: HttpRequest, pk: int) -> HttpResponse:
        self._visible(request, pk)
        return super().qrcode_view(request, pk)


if admin.site.is_registered(TOTPDevice):
    admin.site.unregister(TOTPDevice)
admin.site.register(TOTPDevice, StaffTOTPDeviceAdmin)
