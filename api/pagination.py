"""Page-number pagination whose parameters are checked, and whose links name only them."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import InvalidPage
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from api.errors import ParameterError, ParameterNotFound
from coalition import links

# More digits than this name no page and no page size; Python will not even read thousands of them.
_MAX_DIGITS = 18


def _whole_number(raw: str) -> int | None:
    """``raw`` as an integer if it is written as one in ASCII digits, with an optional minus."""
    digits = raw[1:] if raw.startswith("-") else raw
    if not digits or not digits.isascii() or not digits.isdigit():
        return None
    digits = digits.lstrip("0") or "0"
    if len(digits) > _MAX_DIGITS:
        return None
    return -int(digits) if raw.startswith("-") else int(digits)


def _page(request: Request, name: str) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return 1
    value = _whole_number(raw)
    if value is None or value < 1:
        raise ParameterError(
            name, _("“%(value)s” is not a page number (1 or more).") % {"value": raw[:20]}
        )
    return value


def _page_size(request: Request, name: str, *, default: int, maximum: int) -> int:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return default
    value = _whole_number(raw)
    if value is None or not 1 <= value <= maximum:
        raise ParameterError(
            name,
            _("%(name)s must be between 1 and %(max)d, not “%(value)s”.")
            % {"name": name, "max": maximum, "value": raw[:20]},
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
            _page(request, self.page_query_param),
            _page_size(
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
        return f"{links.absolute(path)}?{urlencode(query)}" if query else links.absolute(path)

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
