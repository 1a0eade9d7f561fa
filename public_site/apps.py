from django.apps import AppConfig


class PublicConfig(AppConfig):
    """The public site's interface: views, forms and template tags; no models of its own."""

    name = "public_site"
