"""The anonymous page cache (imc.pagecache) on the pages it serves: stored copies go only to
anonymous visitors, never carry anyone's form token, and go stale with the first change."""

from __future__ import annotations

import datetime

import pytest
from django.http import HttpResponse
from django.middleware.csrf import get_token
from django.test import Client, RequestFactory
from django.utils import timezone

from groups import services
from groups.models import Group
from imc.pagecache import public_page
from tests.conftest import PASSWORD

# The cache is off in imc.settings_test; here it is what is tested.
pytestmark = [pytest.mark.django_db, pytest.mark.page_cache]


def _stored(client, url: str = "/groups/") -> None:
    """Shows the cache at work on ``url`` first, so that a test of what it leaves alone cannot
    pass with the cache deleted."""
    assert client.get(url)["X-Page-Cache"] == "miss"
    assert client.get(url)["X-Page-Cache"] == "hit"


def test_the_second_anonymous_visit_is_served_the_stored_page_with_the_same_headers(client, lowell_group):
    first = client.get("/groups/")
    second = client.get("/groups/")
    assert first["X-Page-Cache"] == "miss"
    assert second["X-Page-Cache"] == "hit"
    assert second.content == first.content
    assert b"Lowell Indivisible" in second.content
    # The middleware's headers are added to stored pages as to fresh ones.
    for header in ("Content-Security-Policy", "X-Frame-Options", "Content-Type"):
        assert second[header] == first[header]
    assert "Cookie" in second["Vary"]  # a shared cache in front must not give it to members


def test_a_page_is_stored_per_address_query_string_included(client, lowell_group, make_group):
    make_group("Springfield Indivisible", ("Springfield",))
    assert client.get("/groups/?q=lowell")["X-Page-Cache"] == "miss"
    other = client.get("/groups/?q=springfield")
    assert other["X-Page-Cache"] == "miss"
    assert b"Springfield Indivisible" in other.content
    assert b"Lowell Indivisible" not in other.content


def test_a_new_group_shows_at_once_after_its_approval(client, make_group, lowell_group):
    client.get("/groups/")
    assert client.get("/groups/")["X-Page-Cache"] == "hit"
    make_group("Worcester Indivisible", ("Worcester",))
    fresh = client.get("/groups/")
    assert fresh["X-Page-Cache"] == "miss"
    assert b"Worcester Indivisible" in fresh.content


def test_bulk_updates_in_services_make_pages_stale_too(client, lowell_group):
    """Stale marking and confirming use update(), which sends no signal: they invalidate themselves."""
    _stored(client)
    assert b"Lowell Indivisible" in client.get("/groups/").content
    Group.objects.filter(pk=lowell_group.pk).update(
        last_confirmed=timezone.now() - datetime.timedelta(days=500)
    )  # as time passing would leave it (no signal, like a year going by)
    assert services.groups_mark_stale() == 1
    _stored(client)
    assert b"Lowell Indivisible" not in client.get("/groups/").content
    services.group_confirm(group=lowell_group, actor=None, token=services.confirmation_token(lowell_group))
    assert b"Lowell Indivisible" in client.get("/groups/").content


def test_signed_in_members_never_get_the_stored_page(client, lowell_group, activist):
    client.get("/groups/")
    assert client.get("/groups/")["X-Page-Cache"] == "hit"
    member = Client()
    member.login(email=activist.email, password=PASSWORD)
    page = member.get("/groups/")
    assert "X-Page-Cache" not in page
    assert b"Sign out" in page.content or b"Log out" in page.content
    # ... and what they were shown is not stored for anonymous visitors either.
    anonymous = client.get("/groups/")
    assert activist.email.encode() not in anonymous.content


def test_a_visitor_with_a_pending_message_gets_a_fresh_page(client, lowell_group):
    _stored(client)
    client.cookies["messages"] = "something-to-show"
    assert "X-Page-Cache" not in client.get("/groups/")


def test_not_found_pages_are_not_stored(client):
    _stored(client)
    client.get("/groups/no-such-group/")
    response = client.get("/groups/no-such-group/")
    assert response.status_code == 404
    assert "X-Page-Cache" not in response


def test_a_page_with_a_form_token_is_never_stored():
    """A CSRF token in a stored page would hand one visitor's secret to the next."""
    calls = []

    @public_page
    def view(request):
        calls.append(1)
        return HttpResponse(f"<form>{get_token(request)}</form>")

    @public_page
    def plain(request):
        return HttpResponse("<p>No form here.</p>")

    factory = RequestFactory()

    def visit(page, path):
        request = factory.get(path)
        request.user = _anonymous()
        return page(request)

    # Control: the same decorator stores a page without a token.
    assert [visit(plain, "/plain/")["X-Page-Cache"] for _ in range(2)] == ["miss", "hit"]
    for _ in range(2):
        assert "X-Page-Cache" not in visit(view, "/form/")
    assert len(calls) == 2


def test_the_group_page_with_its_contact_form_is_rendered_for_every_visitor(client, lowell_group):
    _stored(client)
    first = client.get(lowell_group.get_absolute_url())
    second = client.get(lowell_group.get_absolute_url())
    assert b"csrfmiddlewaretoken" in first.content
    assert "X-Page-Cache" not in second


def test_posts_are_never_answered_from_the_cache(client):
    client.get("/newsletter/")
    assert client.get("/newsletter/")["X-Page-Cache"] == "hit"
    response = client.post("/newsletter/", {"email": "not-an-address", "source": "page"})
    assert response.status_code == 400
    assert "X-Page-Cache" not in response
    assert b"Enter a valid email address" in response.content


def test_the_subscribe_form_works_without_a_csrf_token():
    """The form in every footer carries no token (that is what lets those pages be stored)."""
    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/newsletter/", {"email": "new.reader@example.org", "source": "footer"})
    assert response.status_code == 302
    assert response["Location"].endswith("/newsletter/thanks/")


def test_other_forms_still_require_the_token(lowell_group, activist):
    strict = Client(enforce_csrf_checks=True)
    strict.login(email=activist.email, password=PASSWORD)
    assert strict.post(f"/groups/{lowell_group.slug}/join/").status_code == 403


def test_switched_off_it_renders_every_time(client, settings, lowell_group):
    _stored(client)
    settings.PAGE_CACHE_SECONDS = 0
    assert "X-Page-Cache" not in client.get("/groups/")
    assert "X-Page-Cache" not in client.get("/groups/")


def _anonymous():
    from django.contrib.auth.models import AnonymousUser

    return AnonymousUser()
