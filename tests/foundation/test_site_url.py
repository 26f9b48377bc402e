"""One source for absolute addresses: SITE_URL.

A deployment on http://portal.test:8123 must never send anyone to the live site, nor to whatever
host a request happened to arrive on: the admin's "View on site", the Atom feed's ids and links,
the calendars' URLs, allauth's mail and the outbox's mail all take their address from SITE_URL,
and the Site row (which allauth reads) follows it on every migrate.
"""

from __future__ import annotations

import re
from email import message_from_bytes

import pytest
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.core import mail
from django.core.management import call_command

from events import services as event_services
from groups.models import Group
from imc import links
from tests import factories
from tests.events.conftest import make_event
from tests.foundation.test_settings import setup
from tests.newsletter.helpers import compose, send_all

pytestmark = pytest.mark.django_db

SITE = "http://portal.test:8123"
LIVE = "indivisiblemass.org"
URL = re.compile(r"https?://[^\s\"'<>]+")


@pytest.fixture
def portal_test(settings):
    settings.SITE_URL = SITE
    yield SITE
    Site.objects.clear_cache()  # the rolled-back row must not outlive the test in Django's cache


def _urls(text: str) -> list[str]:
    return URL.findall(text)


def assert_only_portal_test(text: str) -> None:
    urls = _urls(text)
    assert urls, "control: the text carries addresses at all"
    strangers = [u for u in urls if not u.startswith(SITE + "/") and u != SITE]
    assert strangers == []
    assert "testserver" not in text


def test_the_helpers_resolve_against_site_url(portal_test):
    assert links.absolute("/events/x/") == f"{SITE}/events/x/"
    assert links.absolute("events/x/") == f"{SITE}/events/x/"
    assert links.absolute("https://meet.example/a") == "https://meet.example/a"
    assert links.absolute("//evil.example/a").startswith("http://evil.example/")  # scheme-relative is absolute
    assert links.site_host() == "portal.test:8123"
    assert links.site_hostname() == "portal.test"


def test_relative_links_in_html_become_absolute_and_nothing_else_changes(portal_test):
    html = (
        '<p><a href="/groups/" title="a > b">Find a group</a> <a href="https://x.example/?a=1&amp;b=2">x</a>'
        ' <a href=\'rel/page\'>r</a> <a href="#top">top</a> <img src="/static/a.png" alt="">'
        ' <a href="mailto:hi@example.org">mail</a></p><p>href="/not-a-tag/"</p>'
    )
    out = links.absolute_links(html, base=f"{SITE}/newsletter/spring/")
    assert f'href="{SITE}/groups/"' in out and 'title="a > b"' in out  # other attributes untouched
    assert 'href="https://x.example/?a=1&amp;b=2"' in out
    assert f'href="{SITE}/newsletter/spring/rel/page"' in out
    assert f'href="{SITE}/newsletter/spring/#top"' in out
    assert f'src="{SITE}/static/a.png"' in out
    assert 'href="mailto:hi@example.org"' in out
    assert '<p>href="/not-a-tag/"</p>' in out  # text is not a tag


def test_the_site_row_follows_site_url_on_migrate(portal_test):
    call_command("migrate", verbosity=0)
    site = Site.objects.get_current()
    assert (site.domain, site.name) == ("portal.test:8123", "Indivisible Mass Coalition")


def test_the_admins_view_on_site_points_at_site_url(portal_test, staff_client_factory, coordinator, lowell_group):
    content_type = ContentType.objects.get_for_model(Group)
    response = staff_client_factory(coordinator).get(f"/admin/r/{content_type.pk}/{lowell_group.pk}/")
    assert response.status_code == 302
    assert response["Location"] == f"{SITE}{lowell_group.get_absolute_url()}"


def test_the_atom_feed_ids_and_links_point_at_site_url(portal_test, client, django_capture_on_commit_callbacks):
    issue = send_all(compose("Spring", body="[Find a group](/groups/)"), django_capture_on_commit_callbacks)
    body = client.get("/newsletter/feed/").content.decode()
    ids = re.findall(r"<id>([^<]+)</id>", body)
    assert ids and all(i.startswith(f"{SITE}/") for i in ids)
    assert f"{SITE}{issue.get_absolute_url()}" in ids
    hrefs = re.findall(r'href="([^"]+)"', body)
    assert hrefs and all(h.startswith(f"{SITE}/") for h in hrefs)
    assert f"{SITE}/groups/" in body  # the summary's own link
    assert LIVE not in body and "testserver" not in body


def test_the_calendars_point_at_site_url(portal_test, client):
    event = make_event(title="Rally")
    for path in [f"/events/{event.slug}/event.ics", "/events/calendar.ics"]:
        body = client.get(path).content.decode().replace("\r\n ", "")  # unfold
        assert f"URL:{SITE}{event.get_absolute_url()}" in body
        assert "testserver" not in body


def test_allauths_confirmation_mail_points_at_site_url(portal_test, client, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            "/accounts/signup/",
            {"email": "newbie@example.org", "password1": "a-long-passphrase-42", "password2": "a-long-passphrase-42"},
        )
    (message,) = mail.outbox
    assert f"{SITE}/accounts/confirm-email/" in message.body
    parsed = message_from_bytes(message.message().as_bytes())  # through the outbox like any other
    assert parsed["Message-ID"].endswith("@portal.test>") and parsed["Auto-Submitted"] == "auto-generated"
    assert "portal.test:8123" in message.body.split("Thank you for using")[-1]  # allauth names the site
    assert LIVE not in message.body
    assert_only_portal_test(message.body)


def test_outbox_mail_points_at_site_url_and_says_so_in_its_message_id(
    portal_test, coordinator, django_capture_on_commit_callbacks
):
    event = make_event(title="Rally")
    event_services.rsvp_create(event=event, user=factories.user(email="bob@example.org"))
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        event_services.event_cancel(event=event, by=coordinator)
    (message,) = mail.outbox
    raw = message.message().as_bytes()
    parsed = message_from_bytes(raw)
    assert parsed["Message-ID"].endswith("@portal.test>")
    text = message.body + "".join(content for content, _ in message.alternatives)
    assert LIVE not in text
    assert_only_portal_test(text)


def test_the_private_feed_address_to_paste_into_a_calendar_app_is_on_site_url(portal_test, client):
    member = factories.user(email="bob@example.org")
    token = event_services.member_calendar_ensure(user=member).token
    client.force_login(member)
    page = client.get("/accounts/profile/").content.decode()
    assert f"{SITE}/events/feed/{token}.ics" in page
    assert f"http://testserver/events/feed/{token}.ics" not in page


@pytest.mark.parametrize("value", ["portal.test", "ftp://portal.test", "https://portal.test/portal", "https://"])
def test_a_site_url_that_is_not_an_origin_stops_the_start(value):
    result = setup(SITE_URL=value)
    assert result.returncode != 0
    assert f"ImproperlyConfigured: SITE_URL={value.rstrip('/')!r} is not an origin" in result.stderr


def test_a_site_url_with_a_port_and_a_trailing_slash_starts():
    result = setup(SITE_URL="http://portal.test:8123/")
    assert result.returncode == 0, result.stderr
