"""Page-number pagination whose parameters are checked, and whose links name only them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from api.errors import ParameterError, ParameterNotFound


def _positive_int(request: Request, name: str, *, default: int, maximum: int | None = None) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
        raise ParameterError(name, _("“%(value)s” is not a whole number.") % {"value": raw[:20]})
    value = int(raw)
    if maximum is not None and value > maximum:
        raise ParameterError(
            name, _("%(value)d is more than %(max)d.") % {"value": value, "max": maximum}
        )
    return value


class AllyPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 500
    last_page_strings = ()
    # Only these parameters are carried into the next and previous links: a stored rendering
    # must not repeat what one client happened to add to its query.
    link_parameters = (
        *("campaign", "country", "sector", "search", "verified", "ordering"),
        *("page_size", "lang", "format"),
    )

    def validate(self, request: Request) -> tuple[int, int]:
        """The page and page size asked for; a 400 naming the parameter when malformed."""
        return (
            _positive_int(request, self.page_query_param, default=1),
            _positive_int(
                request,
                self.page_size_query_param,
                default=self.page_size,
                maximum=self.max_page_size,
            ),
        )

    def get_page_size(self, request: Request) -> int:
        return self.validate(request)[1]

    def paginate_queryset(self, queryset, request: Request, view=None) -> list[Any]:
        page_number, page_size = self.validate(request)
        paginator = self.django_paginator_class(queryset, page_size)
        try:
            self.page = paginator.page(page_number)
        except InvalidPage:
            raise ParameterNotFound(
                self.page_query_param,
                _("There is no page %(page)d; the last page is %(last)d.")
                % {"page": page_number, "last": paginator.num_pages},
            ) from None
        self.request = request
        return list(self.page)

    def _link(self, page_number: int | None) -> str | None:
        if page_number is None:
            return None
        query = [
            (name, value)
            for name, value in self.request.query_params.lists()
            if name in self.link_parameters and name != self.page_query_param
            for value in value
        ]
        if page_number > 1:
            query.append((self.page_query_param, str(page_number)))
        path = self.request.path
        return (
            f"{settings.SITE_URL}{path}?{urlencode(query)}"
            if query
            else f"{settings.SITE_URL}{path}"
        )

    def get_next_link(self) -> str | None:
        return self._link(self.page.next_page_number() if self.page.has_next() else None)

    def get_previous_link(self) -> str | None:
        return self._link(self.page.previous_page_number() if self.page.has_previous() else None)

    def get_schema_operation_parameters(self, view) -> list[dict[str, Any]]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            parameter["schema"]["minimum"] = 1
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"]["maximum"] = self.max_page_size
                parameter["description"] = str(_("Allies per page, 1 to 500 (50 by default)."))
        return parameters
