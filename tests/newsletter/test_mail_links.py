"""What a newsletter mail points at works from a mail program: every address absolute on
SITE_URL, a Message-ID on the site's host, whole HTML documents, and a test copy (and the
compose page's preview) that reads as a real reader's copy, one-click unsubscribe included."""

from __future__ import annotations

import re
from email import message_from_bytes
from html.parser import HTMLParser
from urllib.parse import urlsplit

import pytest
from django.core import mail
from django.core.mail.backends.smtp import EmailBackend as SmtpBackend

from newsletter import rendering, services
from newsletter.models import ConsentSource, Subscriber, SubscriberStatus
from newsletter.services.messages import ChunkMessages
from tests.events.conftest import make_event
from tests.newsletter.conftest import make_subscriber
from tests.newsletter.helpers import compose, html_of, send_all

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.org"
RELATIVE_BODY = (
    "# Spring\n\n[Find a group](/groups/) near you, or [see the events](events/).\n\n"
    "![The coalition](/static/img/social-card.png)\n\nAnd [a partner](https://example.net/page)."
)


class _Addresses(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag, attrs):
        for name, value in attrs:
            if name in ("href", "src"):
                self.found.append((tag, name, value or ""))


def addresses(html: str) -> list[tuple[str, str, str]]:
    parser = _Addresses()
    parser.feed(html)
    return parser.found


def text_urls(text: str) -> list[str]:
    return re.findall(r"https?://[^\s()<>]+", text)


def assert_all_absolute(html: str, text: str) -> None:
    found = addresses(html)
    assert found
    relative = [item for item in found if not urlsplit(item[2]).scheme]
    assert relative == [], relative
    for _, _, url in found:
        parts = urlsplit(url)
        assert parts.scheme in ("https", "mailto"), url
    # Every path the HTML part links to shows in the text part as an absolute address too.
    assert "](/" not in text and "(/" not in text


def test_relative_links_in_the_markdown_go_out_absolute_in_the_html_and_text_parts(
    bob, django_capture_on_commit_callbacks
):
    make_event(title="Lowell town hall", town="Lowell")
    send_all(compose(body=RELATIVE_BODY, include_events=True), django_capture_on_commit_callbacks)
    [message] = mail.outbox
    html = html_of(message)
    assert f'href="{SITE}/groups/"' in html
    assert f'href="{SITE}/events/"' in html
    assert f'src="{SITE}/static/img/social-card.png"' in html
    assert 'href="https://example.net/page"' in html  # another site's address is kept
    assert f"({SITE}/groups/)" in message.body and f"({SITE}/events/)" in message.body
    assert "Lowell town hall" in html  # the events block is there, its links absolute as well
    assert_all_absolute(html, message.body)
    on_site = {url for _, _, url in addresses(html) if url.startswith(SITE)}
    assert {u for u in on_site if "/events/test-event-" in u}, on_site  # the event's own page
    assert {u for u in on_site if "/newsletter/unsubscribe/" in u} and {u for u in on_site if "/preferences/" in u}


def test_the_archives_web_version_keeps_the_links_as_written(bob):
    newsletter = compose(body=RELATIVE_BODY)
    assert 'href="/groups/"' in rendering.render_public(newsletter)


def test_the_demo_issues_links_are_absolute_in_its_mail(bob, django_capture_on_commit_callbacks):
    from newsletter.demo import BODY

    send_all(compose(body=BODY), django_capture_on_commit_callbacks)
    html = html_of(mail.outbox[0])
    assert f'href="{SITE}/events/"' in html and f'href="{SITE}/groups/"' in html
    assert_all_absolute(html, mail.outbox[0].body)


def test_bulk_message_ids_are_on_the_sites_host_not_the_senders_domain_or_localhost(
    bob, settings, django_capture_on_commit_callbacks
):
    settings.NEWSLETTER_FROM_EMAIL = "Coalition <news@mail-provider.example.com>"
    newsletter = send_all(compose(), django_capture_on_commit_callbacks)
    built = mail.outbox[0].message()
    assert re.fullmatch(rf"<nl{newsletter.pk}\.\d+\.[0-9a-f]+@portal\.example\.org>", built["Message-ID"])
    # The SMTP path's prerendered copies say the same.
    factory = ChunkMessages(rendering.render_issue(newsletter), newsletter.pk, SmtpBackend(host="127.0.0.1", port=1))
    assert factory.template is not None
    raw = factory.make(to=bob.email, name="Bob", subscriber_id=bob.pk, delivery_id=9, events=("", ""))
    parsed = message_from_bytes(raw.message().as_bytes())
    assert re.fullmatch(rf"<nl{newsletter.pk}\.9\.[0-9a-f]+@portal\.example\.org>", parsed["Message-ID"])


def _is_whole_document(html: str) -> bool:
    head = html.lstrip()[:20].lower()
    return head.startswith("<!doctype html>") and all(
        tag in html.lower() for tag in ("<html", "<head", "<title", "<body")
    )


def test_every_newsletter_html_part_is_a_whole_document_with_a_doctype(
    bob, coordinator, django_capture_on_commit_callbacks
):
    newsletter = compose()
    with django_capture_on_commit_callbacks(execute=True):
        services.newsletter_send_test(newsletter=newsletter, by=coordinator)
        services.subscriber_request(email="new@example.org", source=ConsentSource.PAGE, ip=None)
    send_all(newsletter, django_capture_on_commit_callbacks)
    html_parts = [(m.subject, html_of(m)) for m in mail.outbox if m.alternatives]
    assert len(html_parts) == 3  # the test copy, the confirmation, Bob's copy
    assert [subject for subject, html in html_parts if not _is_whole_document(html)] == []


# --- the test copy's List-Unsubscribe works for its recipient -------------------------------------


def _one_click(client, header: str):
    """What a mail program does with RFC 8058 headers: POST ``List-Unsubscribe=One-Click`` to
    the https address of List-Unsubscribe, without cookies."""
    url = re.match(r"<(https://[^>]+)>", header).group(1)
    assert url.startswith(SITE + "/")
    parts = urlsplit(url)
    return client.post(
        parts.path + (f"?{parts.query}" if parts.query else ""),
        "List-Unsubscribe=One-Click",
        content_type="application/x-www-form-urlencoded",
    )


def _test_copy(coordinator, capture, **compose_kwargs):
    newsletter = compose(**compose_kwargs)
    with capture(execute=True):
        services.newsletter_send_test(newsletter=newsletter, by=coordinator)
    [message] = [m for m in mail.outbox if m.to == [coordinator.email]]
    return message


def test_a_test_copy_to_a_non_subscriber_unsubscribes_in_one_click_to_a_page_saying_it_was_a_test(
    client, bob, coordinator, django_capture_on_commit_callbacks
):
    message = _test_copy(coordinator, django_capture_on_commit_callbacks)
    assert message.extra_headers["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    before = list(Subscriber.objects.values_list("pk", "status"))
    response = _one_click(client, message.extra_headers["List-Unsubscribe"])
    assert response.status_code == 200
    assert "test copy" in response.content.decode()
    assert list(Subscriber.objects.values_list("pk", "status")) == before  # nothing changed
    # The footer's link is the same page.
    unsubscribe = next(url for tag, _, url in addresses(html_of(message)) if "/unsubscribe/" in url)
    assert client.get(urlsplit(unsubscribe).path).status_code == 200


def test_a_subscribers_test_copy_carries_their_own_one_click_unsubscribe(
    client, coordinator, django_capture_on_commit_callbacks
):
    own = make_subscriber(coordinator.email, town="Springfield", name="Cora")
    message = _test_copy(coordinator, django_capture_on_commit_callbacks)
    response = _one_click(client, message.extra_headers["List-Unsubscribe"])
    assert response.status_code == 200
    own.refresh_from_db()
    assert own.status == SubscriberStatus.UNSUBSCRIBED


# --- the test copy and the preview fill the events block as a reader would get it ---------------


def test_a_subscribers_test_copy_shows_the_events_of_their_own_district(
    coordinator, django_capture_on_commit_callbacks
):
    make_subscriber(coordinator.email, town="Springfield", name="Cora")
    make_event(title="Springfield phone bank", town="Springfield")
    make_event(title="Lowell town hall", town="Lowell")
    message = _test_copy(coordinator, django_capture_on_commit_callbacks, include_events=True)
    assert "Springfield phone bank" in html_of(message) and "Springfield phone bank" in message.body
    assert "Lowell town hall" not in html_of(message)


def test_a_non_subscribers_test_copy_shows_a_sample_readers_events_and_the_preview_says_whose(
    staff_client, coordinator, django_capture_on_commit_callbacks
):
    make_event(title="Lowell town hall", town="Lowell")  # MA-3: the first district with events
    message = _test_copy(coordinator, django_capture_on_commit_callbacks, include_events=True)
    assert "Upcoming events in your district" in html_of(message)
    assert "Lowell town hall" in html_of(message) and "Lowell town hall" in message.body
    newsletter = compose(subject="Preview me", include_events=True)
    page = staff_client.get(f"/newsletter/staff/{newsletter.pk}/").content.decode()
    assert "a sample reader in MA-3" in page and "Lowell town hall" in page  # the text part
    frame = staff_client.get(f"/newsletter/staff/{newsletter.pk}/email/").content.decode()
    assert "Lowell town hall" in frame
    live = staff_client.post(
        "/newsletter/staff/preview/", {"subject": "Draft", "body_markdown": "Hi", "include_events": "on"}
    ).json()
    assert "Lowell town hall" in live["html"] and "a sample reader in MA-3" in live["reader"]


def test_a_coordinator_with_a_home_town_previews_their_home_districts_events(
    staff_client_factory, django_capture_on_commit_callbacks
):
    from accounts.models import Role
    from tests import factories

    springfield_coordinator = factories.user(
        "sam@example.org", first_name="Sam", home_town="Springfield", roles=(Role.COORDINATOR,)
    )
    make_event(title="Springfield phone bank", town="Springfield")
    make_event(title="Lowell town hall", town="Lowell")
    message = _test_copy(springfield_coordinator, django_capture_on_commit_callbacks, include_events=True)
    assert "Springfield phone bank" in html_of(message) and "Lowell town hall" not in html_of(message)
    client = staff_client_factory(springfield_coordinator)
    newsletter = compose(subject="Preview me", include_events=True)
    page = client.get(f"/newsletter/staff/{newsletter.pk}/").content.decode()
    assert "you as a reader in MA-1" in page and "Springfield phone bank" in page


def test_the_web_version_link_of_a_mail_answers_while_the_send_is_still_going(
    client, bob, coordinator, django_capture_on_commit_callbacks
):
    """A million recipients take hours: the first ones' "View in your browser" must work at once."""
    newsletter = compose(subject="Going out now")
    with django_capture_on_commit_callbacks(execute=False):
        newsletter = services.newsletter_send_now(newsletter=newsletter, by=coordinator)
    html = rendering.render_issue(newsletter).html
    [web] = [url for _, _, url in addresses(html) if url == SITE + newsletter.get_absolute_url()]
    assert client.get(urlsplit(web).path).status_code == 200
    services.newsletter_pause(newsletter=newsletter, by=coordinator)
    assert client.get(urlsplit(web).path).status_code == 200
    # The archive's list and feed show only issues that went out to everyone.
    assert "Going out now" not in client.get("/newsletter/").content.decode()


def test_a_drafts_test_copy_has_no_web_version_link_yet(client, coordinator, django_capture_on_commit_callbacks):
    message = _test_copy(coordinator, django_capture_on_commit_callbacks, subject="Not yet")
    assert "View in your browser" not in html_of(message) and "View in your browser" not in message.body
