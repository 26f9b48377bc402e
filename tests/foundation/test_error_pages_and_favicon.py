"""Every page names a favicon that exists, /favicon.ico answers, and a view that raises gets the
portal's own styled 500 page (rendered without the database or the context processors)."""

from __future__ import annotations

import pytest
from django.contrib.staticfiles import finders
from django.template.loader import render_to_string
from django.test import Client
from django.urls import path

from portal.urls import urlpatterns as portal_patterns


def _boom(request):
    raise RuntimeError("a bug in a view")


urlpatterns = [path("boom/", _boom), *portal_patterns]

FAVICON = "/static/img/favicon.svg"


@pytest.mark.django_db
@pytest.mark.parametrize("url", ["/", "/events/", "/accounts/login/", "/no-such-page/"])
def test_every_page_links_the_svg_favicon(client, url):
    body = client.get(url).content.decode()
    assert f'<link rel="icon" href="{FAVICON}" type="image/svg+xml">' in body


def test_the_favicon_is_an_svg_drawn_here():
    found = finders.find("img/favicon.svg")
    assert found, "static/img/favicon.svg is missing"
    with open(found, encoding="utf-8") as svg:
        text = svg.read()
    assert text.lstrip().startswith("<svg") and 'viewBox="0 0 64 64"' in text and "<title>" in text


@pytest.mark.django_db
def test_favicon_ico_sends_browsers_to_the_svg(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"] == FAVICON
    assert "max-age=86400" in response["Cache-Control"]


@pytest.mark.django_db
@pytest.mark.urls(__name__)
def test_a_view_that_raises_gets_the_portal_s_styled_500_page_with_debug_off(settings):
    settings.DEBUG = False
    client = Client(raise_request_exception=False)
    response = client.get("/boom/")
    assert response.status_code == 500
    assert [t.name for t in response.templates] == ["500.html"]
    body = response.content.decode()
    assert body.lstrip().lower().startswith("<!doctype html>")
    assert "Something went wrong on our side" in body
    assert '<link rel="stylesheet" href="/static/css/site.css">' in body
    assert f'href="{FAVICON}"' in body


def test_the_500_page_renders_without_the_database_or_a_request():
    """What Django's handler does: the template with an empty context. A database that is down
    must not turn the error page into a second error (this test has no database access)."""
    body = render_to_string("500.html", {})
    assert "Something went wrong on our side" in body
