from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = _("Coalition")
    default = True


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on our site class: it asks staff for a second factor when required."""

    default = False
    default_site = "coalition.staff_auth.StaffAdminSite"
