from __future__ import annotations

from coalition.privacy.models import PrivacyNotice

# The version number an application records when no notice has been written yet: the site's
# built-in default text (templates/coalition/_privacy_default.html).
DEFAULT_VERSION = 0


def privacy_notice_current() -> PrivacyNotice | None:
    """The notice in force (the highest version), or ``None`` while none has been written."""
    return PrivacyNotice.objects.order_by("-version").first()


def privacy_notice_version() -> int:
    """The current notice's number, ``DEFAULT_VERSION`` while the built-in text is shown."""
    notice = PrivacyNotice.objects.order_by("-version").values_list("version", flat=True).first()
    return notice if notice is not None else DEFAULT_VERSION
