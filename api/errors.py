"""Errors in the shape Mobilize's API answers them: ``{"error": {...}, "data": null}``."""

from __future__ import annotations

from rest_framework.views import exception_handler as drf_exception_handler


def exception_handler(exc, context):
    response = drf_exception_handler(exc, context)
    if response is not None:
        response.data = {"error": response.data, "data": None}
    return response
