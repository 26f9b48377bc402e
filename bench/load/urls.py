from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import include, path


def one_query(request: HttpRequest) -> HttpResponse:
    """The baseline: the smallest Django page that does one database query."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        value = cursor.fetchone()[0]
    return HttpResponse(f"<!doctype html><title>baseline</title><p>{value}</p>")


urlpatterns = [
    path("bench/one-query/", one_query),
    path("", include("portal.urls")),
]
