"""In a real browser: a coordinator composes, previews, tests and sends; a subscriber unsubscribes."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re

import pytest
from django.conf import settings as django_settings
from django.core import mail

from newsletter.models import Newsletter, NewsletterStatus, Subscriber, SubscriberStatus
from tests.newsletter.conftest import make_subscriber

pytestmark = pytest.mark.browser


@pytest.fixture
def browser_coordinator(live_server):
    """The coordinator, in a database that an earlier transactional test may have flushed
    (taking the role groups of the data migration with it)."""
    from django.contrib.auth.models import Group

    from accounts.models import Role
    from accounts.services import user_ensure
    from tests.conftest import PASSWORD

    for role in Role:
        Group.objects.get_or_create(name=role.value)
    return user_ensure(email="cora@example.org", password=PASSWORD, first_name="Cora", roles=(Role.COORDINATOR,))


def signed_in_page(browser, live_server, client):
    """A page sharing the session of a signed-in test client (staff: with a second factor)."""
    context = browser.new_context(base_url=live_server.url)
    context.add_cookies(
        [
            {
                "name": django_settings.SESSION_COOKIE_NAME,
                "value": client.cookies[django_settings.SESSION_COOKIE_NAME].value,
                "url": live_server.url,
            }
        ]
    )
    return context.new_page()


def test_a_coordinator_composes_previews_tests_and_sends_and_a_subscriber_unsubscribes_in_one_click(
    browser, live_server, browser_coordinator, staff_client_factory, settings
):
    coordinator = browser_coordinator
    settings.SITE_URL = live_server.url
    bob = make_subscriber("bob@example.org", town="Lowell", name="Bob")
    make_subscriber("carol@example.org", town="Springfield", name="Carol")
    page = signed_in_page(browser, live_server, staff_client_factory(coordinator))
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))

    page.goto("/newsletter/staff/new/")
    page.get_by_label("Subject").fill("Browser issue")
    page.get_by_label("Body (Markdown)").fill("# Rally on Saturday\n\nBring **signs**.")
    # The live preview follows the typing, before anything is saved.
    page.wait_for_function(
        "() => (document.getElementById('preview-html').srcdoc || '').includes('<strong>signs</strong>')"
    )
    assert "Bring signs." in page.locator("#preview-text").inner_text()
    page.get_by_role("button", name="Save and preview").click()
    page.wait_for_url(re.compile(r"/newsletter/staff/\d+/$"))
    newsletter = Newsletter.objects.get(subject="Browser issue")
    frame = page.frame_locator("#preview-html")
    assert "Rally on Saturday" in frame.locator("h1").all_inner_texts()[-1]

    page.get_by_role("button", name="Send a test to me").click()
    page.wait_for_url(re.compile(r"/newsletter/staff/\d+/$"))
    assert [m.to for m in mail.outbox] == [["cora@example.org"]]

    page.get_by_role("link", name="Send now…").click()
    assert "2 recipients" in page.locator("#recipient-count").evaluate("el => el.parentElement.textContent")
    page.get_by_role("button", name="Yes, send to 2 recipients").click()
    page.wait_for_url(re.compile(r"/newsletter/staff/\d+/$"))
    page.wait_for_function("() => document.getElementById('progress-fill').textContent.trim() === '100%'")
    assert page.locator("#progress-sent").inner_text() == "2"
    assert page.locator("#progress-remaining").inner_text() == "0"
    newsletter.refresh_from_db()
    assert newsletter.status == NewsletterStatus.SENT
    assert sorted(m.to[0] for m in mail.outbox[1:]) == ["bob@example.org", "carol@example.org"]
    assert errors == []

    # Bob follows the unsubscribe link of the message he received: a button, then done.
    message = next(m for m in mail.outbox if m.to == ["bob@example.org"])
    url = re.match(r"<([^>]+)>", message.extra_headers["List-Unsubscribe"]).group(1)
    visitor = browser.new_context().new_page()
    visitor.goto(url)
    assert Subscriber.objects.get(pk=bob.pk).status == SubscriberStatus.CONFIRMED  # a GET changes nothing
    visitor.get_by_role("button", name="Unsubscribe me").click()
    visitor.get_by_role("heading", name="You are unsubscribed").wait_for()
    assert Subscriber.objects.get(pk=bob.pk).status == SubscriberStatus.UNSUBSCRIBED


def _inside(inner: dict, outer: dict) -> bool:
    return inner["y"] >= outer["y"] - 1 and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 1


def _footer_link_shows_in_the_frame(page) -> bool:
    """Whether the mail's footer "Unsubscribe" link lies inside the preview frame's box (so it is
    on the page without scrolling inside the frame), after giving the frame a moment to fit."""
    frame_box = None
    for _ in range(50):
        frame_box = page.locator("#preview-html").bounding_box()
        link_box = page.frame_locator("#preview-html").get_by_role("link", name="Unsubscribe").bounding_box()
        if frame_box and link_box and _inside(link_box, frame_box):
            return True
        page.wait_for_timeout(100)
    return False


def test_the_preview_frame_shows_the_whole_mail_down_to_the_footers_unsubscribe_link(
    browser, live_server, browser_coordinator, staff_client_factory, settings
):
    from tests.newsletter.helpers import compose

    settings.SITE_URL = live_server.url
    long_body = "\n\n".join(f"Paragraph {n}: what the coalition did this month, at some length." for n in range(40))
    newsletter = compose(subject="A long issue", body=long_body, by=browser_coordinator)
    page = signed_in_page(browser, live_server, staff_client_factory(browser_coordinator))
    page.goto(f"/newsletter/staff/{newsletter.pk}/")
    frame = page.frame_locator("#preview-html")
    frame.get_by_role("link", name="Unsubscribe").wait_for(state="attached")
    assert _footer_link_shows_in_the_frame(page)
    page.locator("#preview-html").scroll_into_view_if_needed()
    page.frame_locator("#preview-html").get_by_role("link", name="Unsubscribe").scroll_into_view_if_needed()
    assert page.frame_locator("#preview-html").get_by_role("link", name="Unsubscribe").is_visible()

    # The live preview (the frame's srcdoc) fits its content too, as it grows.
    page.get_by_label("Body (Markdown)").fill(long_body + "\n\n" + "\n\n".join(f"More {n}." for n in range(30)))
    page.wait_for_function("() => (document.getElementById('preview-html').srcdoc || '').includes('More 29.')")
    assert _footer_link_shows_in_the_frame(page)
