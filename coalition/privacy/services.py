from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction

from coalition.privacy.models import PrivacyNotice


def privacy_notice_publish(
    *, texts: dict[str, str], user: AbstractBaseUser | None = None
) -> PrivacyNotice:
    """Save a new version of the privacy notice, numbered after the last one.

    ``texts``: the notice by language code (``{"en": …, "fr": …}``); a language left out or
    empty falls back to English when read (django-modeltranslation).
    """
    with transaction.atomic():
        # Locks the existing rows so that two superusers saving at once get two numbers.
        # (The unique version refuses the second where rows cannot be locked.)
        last = (
            PrivacyNotice.objects.select_for_update()
            .order_by("-version")
            .values_list("version", flat=True)
            .first()
        )
        notice = PrivacyNotice(version=(last or 0) + 1, created_by=user)
        for code, text in texts.items():
            setattr(notice, f"text_{code}", text)
        notice.save()
    return notice
