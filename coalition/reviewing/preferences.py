"""Each reviewer's own settings of the workspace (``ReviewerSettings``), as every page of the
workspace reads them; ``coalition.reviewing.services.reviewer_settings_update`` writes them."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser

from coalition.reviewing.models import ReviewerSettings

Shortcuts = ReviewerSettings.Shortcuts


def reviewer_shortcuts(reviewer: AbstractBaseUser) -> str:
    """How the workspace's keyboard shortcuts work for ``reviewer``: single keys until they
    choose otherwise."""
    chosen = (
        ReviewerSettings.objects.filter(reviewer_id=reviewer.pk)
        .values_list("shortcuts", flat=True)
        .first()
    )
    return chosen or Shortcuts.SINGLE_KEY
