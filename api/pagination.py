"""Page-number pagination of an ``AllyQuery`` (which has read and checked the page and the page
size), with links that name only the API's own parameters."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import InvalidPage
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from rest_framework.pagination import PageNumberPagination
from rest_framework.request import Request

from api.errors import ParameterNotFound
from api.filters import MAX_PAGE_SIZE, PAGE_SIZE, link_parameters
from coalition.wall import queries
from coalition.wall.queries import AllyQuery
from coalition.web import links


class AllyPagination(PageNumberPagination):
    page_size = PAGE_SIZE
    page_size_query_param = "page_size"
    max_page_size = MAX_PAGE_SIZE
    last_page_strings = ()
    # Only these parameters are carried into the next and previous links: a stored rendering
    # must not repeat what one client happened to add to its query.
    link_parameters = (*link_parameters(queries.LISTING), "lang", "format")

    def paginate(self, allies: QuerySet, *, query: AllyQuery, request: Request) -> list[Any]:
        """The page of ``allies`` that ``query`` names; a 404 naming the last page past it."""
        paginator = self.django_paginator_class(allies, query.page_size)
        try:
            self.page = paginator.page(query.page)
        except InvalidPage:
            raise ParameterNotFound(
                self.page_query_param,
                _("There is no page %(page)d; the last page is %(last)d.")
                % {"page": query.page, "last": paginator.num_pages},
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
        # ``page`` and ``page_size`` are documented with the other parameters of the query
        # (``api.filters.openapi_parameters``).
        return []
