"""Without a mouse: a newcomer signs up, finds a group by ZIP, joins it and RSVPs to its event.

Only key presses drive the pages (Tab, Shift+Tab, Enter, Space and typing): no clicks, no
``element.click()``, no ``fill``. The one address typed into the browser's address bar is the
confirmation link, taken from the outbox row, as a person would open it from their mail. Every
element that Tab reaches must be visible on screen, so that a sighted keyboard user sees where
they are.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import re
from datetime import timedelta

import pytest
from django.utils import timezone

from events.models import Rsvp, RsvpStatus
from groups.models import Membership, MembershipStatus
from outbox.models import OutboundEmail
from tests.conftest import PASSWORD
from tests.events.conftest import make_event, make_group

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NEWCOMER = "newcomer@example.org"
CONFIRM_LINK = re.compile(r"https?://\S+/accounts/confirm-email/\S+/")
MAX_TABS = 120

# What the page says about the element that has the keyboard focus.
FOCUSED = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const box = el.getBoundingClientRect();
  const label = el.labels && el.labels.length ? el.labels[0].innerText : "";
  return {
    tag: el.tagName.toLowerCase(), type: el.getAttribute("type") || "", name: el.getAttribute("name") || "",
    text: (el.innerText || el.value || "").trim().slice(0, 80), label: label.trim(),
    href: el.getAttribute("href") || "", visible: box.width > 0 && box.height > 0,
  };
}"""


def focus(page, matches, *, backwards: bool = False) -> dict:
    """Press Tab (or Shift+Tab) until the focused element ``matches``; return what it is."""
    seen = []
    for _ in range(MAX_TABS):
        page.keyboard.press("Shift+Tab" if backwards else "Tab")
        element = page.evaluate(FOCUSED)
        if element is None:
            continue
        assert element["visible"], f"focus landed on an invisible element: {element}"
        if matches(element):
            return element
        seen.append(f"{element['tag']}:{element['text'] or element['name'] or element['href']}")
    raise AssertionError(f"never reached by keyboard on {page.url}; focus went through {seen}")


def field(name: str):
    return lambda el: el["name"] == name and el["tag"] in {"input", "select", "textarea"}


def link(text: str):
    return lambda el: el["tag"] == "a" and text.lower() in el["text"].lower()


def button(text: str):
    return lambda el: el["tag"] in {"button", "input"} and text.lower() in el["text"].lower()


def type_into(page, name: str, text: str) -> None:
    focus(page, field(name))
    page.keyboard.type(text)


def activate(page, key: str = "Enter") -> None:
    with page.expect_navigation():
        page.keyboard.press(key)


@pytest.fixture
def page(chromium):
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def test_a_newcomer_signs_up_finds_a_group_by_zip_joins_and_rsvps_with_the_keyboard_alone(live_server, page):
    group = make_group("Lowell Indivisible", "Lowell")
    make_group("Pittsfield Progressives", "Pittsfield")
    event = make_event(host_group=group, title="Lowell town hall", start=timezone.now() + timedelta(days=5))

    # Sign up: from the home page's navigation to the form, typed, sent with Enter.
    page.goto(live_server.url)
    focus(page, lambda el: el["tag"] == "a" and el["href"] == "/accounts/signup/")
    activate(page)
    type_into(page, "email", NEWCOMER)
    type_into(page, "password1", PASSWORD)
    type_into(page, "password2", PASSWORD)
    activate(page)
    assert "/accounts/confirm-email/" in page.url

    # The confirmation link from the mail the portal owes (its outbox row); the button by keyboard.
    mail = OutboundEmail.objects.get(to=NEWCOMER)
    page.goto(CONFIRM_LINK.search(mail.body_text).group(0).replace("http://127.0.0.1:8000", live_server.url))
    focus(page, button("Confirm"))
    activate(page)

    # Find a group by ZIP in the directory.
    focus(page, link("Groups"))
    activate(page)
    type_into(page, "zip", "01852")
    activate(page)
    assert "zip=01852" in page.url
    results = page.inner_text("main")
    assert results.index("Lowell Indivisible") < results.index("Pittsfield Progressives")  # nearest first
    focus(page, link("Lowell Indivisible"))
    activate(page)
    assert page.url.rstrip("/").endswith(group.slug)

    # Join with Space (it is a button), then on to the group's event.
    focus(page, button("Join"))
    activate(page, "Space")
    assert Membership.objects.get(group=group, user__email=NEWCOMER).status == MembershipStatus.ACTIVE
    focus(page, link("Lowell town hall"))
    activate(page)

    focus(page, button("RSVP"))
    activate(page)
    assert Rsvp.objects.get(event=event, user__email=NEWCOMER).status == RsvpStatus.GOING
    assert "You're going" in page.inner_text("main")
    # Shift+Tab walks back up the same controls to the header's sign-out.
    focus(page, button("Sign out"), backwards=True)


def test_on_a_phone_the_collapsed_menu_opens_and_closes_from_the_keyboard(live_server, chromium):
    """On narrow screens the navigation folds behind a button: Enter on it opens the menu, Tab
    then reaches its links, and Enter on one follows it."""
    context = chromium.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    try:
        page.goto(live_server.url)
        assert page.locator("#main-nav a[href='/groups/']").is_hidden()
        toggler = focus(
            page,
            lambda el: el["tag"] == "button" and "navbar-toggler" in page.evaluate("document.activeElement.className"),
        )
        assert toggler["visible"]
        page.keyboard.press("Enter")
        page.locator("#main-nav a[href='/groups/']").wait_for(state="visible")
        assert page.evaluate("document.activeElement.getAttribute('aria-expanded')") == "true"
        focus(page, lambda el: el["tag"] == "a" and el["href"] == "/groups/")
        activate(page)
        assert page.url.endswith("/groups/")
    finally:
        context.close()
