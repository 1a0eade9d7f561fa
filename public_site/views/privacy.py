"""The privacy notice and the imprint: who runs the site, what it keeps and for how long."""

from __future__ import annotations

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from coalition.privacy import selectors


def _operator() -> dict[str, str]:
    return {
        "name": settings.OPERATOR_NAME,
        "email": settings.OPERATOR_EMAIL,
        "address": settings.OPERATOR_ADDRESS,
    }


@require_safe
def privacy_notice(request: HttpRequest) -> HttpResponse:
    context = {
        "notice": selectors.privacy_notice_current(),
        "operator": _operator(),
        "retention_unconfirmed_days": settings.RETENTION_UNCONFIRMED_DAYS,
        "retention_personal_data_days": settings.RETENTION_PERSONAL_DATA_DAYS,
    }
    return render(request, "coalition/privacy.html", context)


@require_safe
def imprint(request: HttpRequest) -> HttpResponse:
    return render(request, "coalition/imprint.html", {"operator": _operator()})
