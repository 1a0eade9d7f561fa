from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class CoalitionConfig(AppConfig):
    name = "coalition"
    verbose_name = _("Coalition")
    default = True

    def ready(self) -> None:
        # The deploy check of the signing key (manage.py check --deploy).
        from coalition.ledger import checks  # noqa: F401


class StaffAdminConfig(admin_apps.AdminConfig):
    """Django's admin, on our site class: it asks staff for a second factor when required."""

    default = False
    default_site = "coalition.web.staff_auth.StaffAdminSite"
