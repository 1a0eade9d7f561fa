from django.apps import AppConfig


class ReviewConfig(AppConfig):
    """The reviewers' workspace: views, forms and template tags; no models of its own."""

    name = "review"
