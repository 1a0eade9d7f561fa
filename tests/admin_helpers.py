"""Small helpers for the tests that drive the admin's own views."""

from __future__ import annotations

from django.apps import apps
from django.contrib import admin
from django.db import models
from django.urls import reverse

from coalition.models import Endorsement, Logo


def registered_models() -> list[type[models.Model]]:
    """Every model with a page in the admin, through the admin site's public API."""
    return [model for model in apps.get_models() if admin.site.is_registered(model)]


def change_url(endorsement: Endorsement) -> str:
    return reverse("admin:coalition_endorsement_change", args=[endorsement.pk])


def messages_of(response) -> list[str]:
    return [str(message) for message in response.context["messages"]]


def results(response) -> list[Endorsement]:
    return list(response.context["cl"].result_list)


def make_logo(digest: str = "a" * 64) -> Logo:
    """A logo row without files: the admin only needs its URLs."""
    return Logo.objects.create(
        digest=digest,
        width=200,
        height=100,
        png=f"logos/{digest[:8]}.png",
        webp=f"logos/{digest[:8]}.webp",
        png_2x=f"logos/{digest[:8]}@2x.png",
        webp_2x=f"logos/{digest[:8]}@2x.webp",
    )
