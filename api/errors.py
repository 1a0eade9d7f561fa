"""Every API error is JSON naming the parameter at fault and what that parameter accepts."""

from __future__ import annotations

from typing import Any

from django.http import Http404
from django.utils.translation import gettext_lazy as _
from rest_framework import exceptions, status
from rest_framework.response import Response

# What each parameter accepts, as the errors and the API documentation say it.
ACCEPTS: dict[str, Any] = {
    "campaign": _(
        "The slug of a campaign listed at /api/v1/campaigns/; the default campaign when omitted."
    ),
    "country": _(
        "ISO 3166-1 alpha-2 country codes such as DE or FR, repeated (country=DE&"
        "country=FR) or comma-separated (country=DE,FR)."
    ),
    "sector": _(
        "Sector slugs, repeated or comma-separated; a parent sector includes its children."
    ),
    "search": _("Part of an organization's name, at most 100 characters."),
    "verified": _("true or false."),
    "ordering": _("name or -approved_at."),
    "page": _("A page number from 1 to the last page."),
    "page_size": _("A whole number from 1 to 500."),
    "lang": _("en, fr or de."),
    "format": _("json, or csv on the allies list."),
    "id": _("The id of an approved ally, as given by /api/v1/allies/."),
    "slug": _("The slug of a campaign listed at /api/v1/campaigns/."),
}


class ParameterError(exceptions.APIException):
    """A parameter with a value the API does not accept: a 400 that names it."""

    status_code = status.HTTP_400_BAD_REQUEST
    default_detail = _("A parameter is not valid.")
    default_code = "invalid_parameter"

    def __init__(self, parameter: str, message: Any, detail: Any = None) -> None:
        super().__init__(detail or self.default_detail)
        self.parameter = parameter
        self.message = message


class ParameterNotFound(ParameterError):
    """A path naming nothing that exists (an ally's id, a campaign's slug), or a page past the
    last: a 404. A filter's value that names nothing is a ``ParameterError`` (400) instead: the
    resource, the list, exists; the question asked of it is what is wrong."""

    status_code = status.HTTP_404_NOT_FOUND
    default_detail = _("Nothing matches this parameter.")
    default_code = "not_found"


def _error(parameter: str, message: Any) -> dict[str, str]:
    return {
        "parameter": parameter,
        "message": str(message),
        "accepts": str(ACCEPTS.get(parameter, "")),
    }


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    """DRF's handler, with a body of the same shape for every error: ``detail`` and ``errors``."""
    # Imported here: importing rest_framework.views loads the API's settings, whose content
    # negotiation (api.renderers) imports this module, so ``import api.errors`` would fail.
    from rest_framework.views import exception_handler as drf_exception_handler

    if isinstance(exc, ParameterError):
        data = {"detail": str(exc.detail), "errors": [_error(exc.parameter, exc.message)]}
        return Response(data, status=exc.status_code)
    if isinstance(exc, exceptions.ValidationError) and isinstance(exc.detail, dict):
        errors = [
            _error(parameter, message)
            for parameter, messages in exc.detail.items()
            for message in (messages if isinstance(messages, list) else [messages])
        ]
        data = {"detail": str(_("Some parameters are not valid.")), "errors": errors}
        return Response(data, status=status.HTTP_400_BAD_REQUEST)
    response = drf_exception_handler(exc, context)
    if response is not None and isinstance(exc, (exceptions.APIException, Http404)):
        detail = response.data.get("detail", "") if isinstance(response.data, dict) else ""
        response.data = {"detail": str(detail), "errors": []}
    return response
