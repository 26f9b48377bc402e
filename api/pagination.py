"""Keyset ("cursor") pagination: each page starts after the last row of the one before.

The cursor holds the last row's sort key (the view's ``cursor_field`` and the primary key), so a
row added or removed anywhere while a client walks the list neither repeats nor hides another:
a walk sees every row that existed throughout it exactly once (tests/api/test_api.py). A row
whose sort key itself changes mid-walk (an event moved to another time) may be seen twice or
not at all, as in any keyset walk. Each page is one query with a ``LIMIT``, however deep.
"""

from __future__ import annotations

import base64
import binascii
import json

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Q, QuerySet
from rest_framework.exceptions import ValidationError
from rest_framework.pagination import BasePagination
from rest_framework.response import Response

from imc.links import absolute

DEFAULT_PAGE_SIZE = 25
MAX_PAGE_SIZE = 100


def _encode(value: object, pk: int) -> str:
    raw = json.dumps([value.isoformat() if hasattr(value, "isoformat") else value, pk])
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


class KeysetPagination(BasePagination):
    cursor_query_param = "cursor"
    page_size_query_param = "per_page"

    def _page_size(self, request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return DEFAULT_PAGE_SIZE
        if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
            raise ValidationError({self.page_size_query_param: [f"A whole number from 1 to {MAX_PAGE_SIZE}."]})
        return int(raw)

    def _position(self, request, queryset: QuerySet, field: str) -> tuple[object, int] | None:
        raw = request.query_params.get(self.cursor_query_param)
        if not raw:
            return None
        try:
            value, pk = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
            value = queryset.model._meta.get_field(field).to_python(value)
            if value is None or not isinstance(pk, int):
                raise ValueError(raw)
        except (ValueError, TypeError, binascii.Error, DjangoValidationError, UnicodeDecodeError):
            raise ValidationError({self.cursor_query_param: ["Not a cursor this API gave."]}) from None
        return value, pk

    def paginate_queryset(self, queryset: QuerySet, request, view=None) -> list:
        field = view.cursor_field
        size = self._page_size(request)
        position = self._position(request, queryset, field)
        if position is not None:
            value, pk = position
            queryset = queryset.filter(Q(**{f"{field}__gt": value}) | Q(**{field: value, "pk__gt": pk}))
        rows = list(queryset.order_by(field, "pk")[: size + 1])
        self.request = request
        self.next_cursor = _encode(getattr(rows[size - 1], field), rows[size - 1].pk) if len(rows) > size else None
        return rows[:size]

    def get_next_link(self) -> str | None:
        if self.next_cursor is None:
            return None
        params = self.request.query_params.copy()
        params[self.cursor_query_param] = self.next_cursor
        return absolute(f"{self.request.path}?{params.urlencode()}")

    def get_paginated_response(self, data) -> Response:
        return Response({"data": data, "next": self.get_next_link()})

    def get_paginated_response_schema(self, schema: dict) -> dict:
        return {
            "type": "object",
            "required": ["data", "next"],
            "properties": {
                "data": schema,
                "next": {
                    "type": "string",
                    "format": "uri",
                    "nullable": True,
                    "description": "The next page (same filters), or null on the last page.",
                    "example": "https://portal.example/api/v1/events/?per_page=25&cursor=WyIyMDI2LTA1LTAyVDIyOjAwOjAwKzAwOjAwIiwgNDFd",
                },
            },
        }

    def get_schema_operation_parameters(self, view) -> list[dict]:
        return [
            {
                "name": self.cursor_query_param,
                "required": False,
                "in": "query",
                "description": "Where the page starts: copy it from the previous page's `next`.",
                "schema": {"type": "string"},
            },
            {
                "name": self.page_size_query_param,
                "required": False,
                "in": "query",
                "description": f"Rows per page, 1 to {MAX_PAGE_SIZE} (default {DEFAULT_PAGE_SIZE}).",
                "schema": {"type": "integer", "minimum": 1, "maximum": MAX_PAGE_SIZE, "default": DEFAULT_PAGE_SIZE},
            },
        ]
