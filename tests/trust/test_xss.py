"""Hostile input: every payload of ``xss_payloads`` goes in through the real forms (as the person
who would type it), then headless Chromium loads every page that shows it and no script runs.

Write side (Django test client, the real views and forms): group submit and organizer edit
forms (name, description, meeting pattern), event create and edit forms (title, description,
venue, address, accessibility notes), the staff newsletter compose page (subject, preheader,
body), the profile form (first and last names), the relay contact forms of groups and teams
(sender name and message), the team "I want to help" message, the newsletter subscribe and
preferences forms (subscriber name).

Read side (Chromium, with the Content Security Policy BYPASSED so that the test checks the
escaping and sanitising themselves, not the CSP that backs them up): the pages a visitor, a
member, an organizer, a team lead and a coordinator (admin included) open, plus the delivered
newsletter email. On each page: no ``dialog`` (alert/confirm/prompt) and ``window.__xss``
undefined in every frame, after moving the mouse and tabbing through the page; and the DOM holds
no event-handler attribute, no ``javascript:``/``vbscript:``/``data:text/html`` URL, no inline
script, no ``base``/``object``/``embed``/meta refresh/``srcdoc``. Each page must also show the
hostile text it was loaded for (as text), so the test cannot pass on a page that left it out.
"""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import json
from datetime import timedelta

import pytest
from django.conf import settings as django_settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_ensure
from districts.models import Team, Town
from events.models import Event
from groups import services as group_services
from groups.models import Group, RelayMessage, TeamVolunteer
from newsletter import tokens
from newsletter.models import Newsletter, NewsletterStatus, Subscriber
from tests.conftest import PASSWORD, staff_client_for
from tests.trust.xss_payloads import PAYLOADS

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

ALL = "\n\n".join(PAYLOADS)  # every payload in one Markdown text (its own paragraph each)
ALL_INLINE = " ".join(PAYLOADS)  # and all in one paragraph, where broken markup runs into the next
MINUTE = "%Y-%m-%dT%H:%M"  # what a datetime-local field posts


def pack(limit: int) -> list[str]:
    """The payloads packed, space separated, into as few strings of at most ``limit`` characters
    as possible: every payload lands in a field that holds ``limit`` characters."""
    chunks, current = [], ""
    for payload in PAYLOADS:
        candidate = f"{current} {payload}" if current else payload
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = payload
    chunks.append(current)
    assert " ".join(chunks) == ALL_INLINE
    return chunks


# Run in every frame: what would let script run, had it got through.
DOM_CHECK = """() => {
  const bad = [];
  const urlAttributes = ["href", "src", "action", "formaction", "data", "xlink:href", "background", "poster"];
  const dangerous = /^(javascript:|vbscript:|data:text\\/(html|javascript))/;
  for (const el of document.querySelectorAll("*")) {
    const tag = el.tagName.toLowerCase();
    for (const attr of el.attributes) {
      const name = attr.name.toLowerCase();
      const value = attr.value.replace(/[\\s\\u0000-\\u001f]+/g, "").toLowerCase();
      if (name.startsWith("on")) bad.push(`${tag}[${name}]`);
      if (name === "srcdoc") bad.push(`${tag}[srcdoc]`);
      if (urlAttributes.includes(name) && dangerous.test(value)) bad.push(`${tag}[${name}=${attr.value}]`);
    }
    if (tag === "script" && !el.src && !/json/i.test(el.type) && el.textContent.trim()) bad.push("inline script");
    if (tag === "script" && el.src && new URL(el.src, location.href).origin !== location.origin) {
      bad.push(`script ${el.src}`);
    }
    if (["base", "object", "embed"].includes(tag)) bad.push(tag);
    if (tag === "meta" && /refresh/i.test(el.httpEquiv)) bad.push("meta refresh");
  }
  return {bad: bad, xss: typeof window.__xss === "undefined" ? null : String(window.__xss)};
}"""

# What the page shows, as text: its text nodes (the title included) and its form fields' values.
PAGE_TEXT = """() => {
  const values = [...document.querySelectorAll("input, textarea, select")].map((el) => el.value);
  return (document.documentElement.textContent + "\\n" + values.join("\\n")).replace(/\\s+/g, " ");
}"""


def _login_cookie(client: Client) -> str:
    return client.cookies[django_settings.SESSION_COOKIE_NAME].value


def _client_for(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _ok(response, what: str) -> None:
    """A form accepted the hostile text (a redirect after the write)."""
    assert response.status_code == 302, (what, response.status_code, getattr(response, "context", None) and
                                         response.context.get("form") and response.context["form"].errors)  # fmt: skip


@pytest.fixture
def hostile_site(settings, coordinator, django_capture_on_commit_callbacks):
    """The whole site filled with the payloads through its forms. Returns what the browser visits:
    ``{login: [(path, expected text or None), ...]}`` with login ``None`` for a visitor."""
    settings.GROUPS_RELAY_PER_SENDER_PER_HOUR = 1000
    settings.GROUPS_RELAY_PER_IP_PER_HOUR = 1000
    settings.NEWSLETTER_SUBSCRIBE_LIMIT_PER_IP = 1000
    settings.NEWSLETTER_RATE_PER_SECOND = 0
    from django.core.cache import cache

    cache.clear()
    lowell = Town.objects.get(name="Lowell")
    visits: dict[str | None, list[tuple[str, str | None]]] = {None: []}

    # People: each names themselves through the profile form, two chunks per person.
    names = pack(150)
    people = []
    for i in range(0, len(names), 2):
        first, last = names[i], names[i + 1] if i + 1 < len(names) else "Hostile"
        user = user_ensure(email=f"hostile{i}@example.org", password=PASSWORD, first_name="H")
        client = _client_for(user)
        _ok(
            client.post("/accounts/profile/edit/", {"first_name": first, "last_name": last, "home": "01852"}), "profile"
        )
        user.refresh_from_db()
        assert (user.first_name, user.last_name) == (first, last)
        people.append((user, client))
        visits[_login_cookie(client)] = [("/accounts/profile/", first), ("/accounts/profile/edit/", last)]

    # Groups: submitted, approved by the rep (the admin's work, not a form people type into),
    # then edited by their organizer through the edit form.
    moderator = user_ensure(email="moderator@example.org", password=PASSWORD, roles=(Role.COORDINATOR,))
    meeting_patterns = pack(200)
    groups = []
    for i, name in enumerate(pack(120)):
        user, client = people[i % len(people)]
        form = {"name": name, "home_town": lowell.pk, "description": ALL_INLINE,
                "meeting_pattern": meeting_patterns[i % len(meeting_patterns)]}  # fmt: skip
        _ok(client.post("/groups/submit/", form), "group submit")
        group = Group.objects.get(name=name)
        with django_capture_on_commit_callbacks(execute=True):
            group_services.group_approve(group=group, actor=moderator)
        _ok(client.post(f"/groups/{group.slug}/edit/", form | {"description": ALL}), "group edit")
        group.refresh_from_db()
        assert group.description == ALL and group.name == name
        groups.append(group)
        visits[None].append((group.get_absolute_url(), name))
    first_group = groups[0]
    organizer, organizer_client = people[0]
    for _user, client in people[1:]:
        _ok(client.post(f"/groups/{first_group.slug}/join/"), "join")

    # Relay messages to the groups and to a team, and offers to help the team.
    Team.objects.create(name="Voting Rights", slug="voting-rights", description=ALL, lead=coordinator)
    visitor = Client()
    for i, name in enumerate(pack(120)):
        target = f"/groups/{groups[i].slug}/contact/" if i % 2 else "/teams/voting-rights/contact/"
        form = {"name": name, "email": f"sender{i}@example.org", "message": ALL}
        with django_capture_on_commit_callbacks(execute=True):
            _ok(visitor.post(target, form), "relay")
    assert RelayMessage.objects.count() == len(pack(120))
    for i, message in enumerate(pack(2000)):
        _ok(people[i][1].post("/teams/voting-rights/help/", {"message": message}), "volunteer")
    assert TeamVolunteer.objects.count() == len(pack(2000))

    # Events: created and edited through the event form by the first group's organizer,
    # published, and RSVP'd to by everybody.
    start = timezone.localtime(timezone.now() + timedelta(days=3)).replace(hour=10, minute=0)
    venues, addresses = pack(200), pack(250)
    events = []
    for i, title in enumerate(pack(200)):
        begins = start + timedelta(hours=i % 8)
        form = {
            "title": title, "host_group": first_group.pk, "event_type": "other",
            "starts_at": begins.strftime(MINUTE), "ends_at": (begins + timedelta(hours=1)).strftime(MINUTE),
            "venue": venues[i % len(venues)], "address": addresses[i % len(addresses)], "town": lowell.pk,
            "description": ALL_INLINE, "accessibility_notes": ALL, "accessibility": ["asl"],
            "remind_day_before": "on", "recurrence": "", "occurrences": "1",
        }  # fmt: skip
        _ok(organizer_client.post("/events/new/", form), "event create")
        event = Event.objects.get(title=title)
        _ok(organizer_client.post(f"/events/{event.slug}/publish/"), "publish")
        form.pop("host_group"), form.pop("recurrence"), form.pop("occurrences")
        with django_capture_on_commit_callbacks(execute=True):
            _ok(organizer_client.post(f"/events/{event.slug}/edit/", form | {"description": ALL}), "event edit")
        event.refresh_from_db()
        assert event.description == ALL and event.title == title
        events.append(event)
        visits[None].append((event.get_absolute_url(), title))
    for _user, client in people[1:]:
        with django_capture_on_commit_callbacks(execute=True):
            _ok(client.post(f"/events/{events[0].slug}/rsvp/"), "rsvp")

    # Newsletter subscribers name themselves on the subscribe form, then the preferences form.
    subscriber_names = pack(120)
    for i, name in enumerate(subscriber_names):
        form = {"email": f"reader{i}@example.org", "name": "Reader", "place": "", "source": "page"}
        with django_capture_on_commit_callbacks(execute=True):
            _ok(visitor.post("/newsletter/", form), "subscribe")
        subscriber = Subscriber.objects.get(email=f"reader{i}@example.org")
        with django_capture_on_commit_callbacks(execute=True):
            visitor.post(f"/newsletter/confirm/{tokens.confirm_token(subscriber.requests.get().pk)}/")
        preferences = f"/newsletter/preferences/{tokens.preferences_token(subscriber.pk)}/"
        _ok(visitor.post(preferences, {"name": name, "place": "Lowell"}), "preferences")
        subscriber.refresh_from_db()
        assert subscriber.name == name and subscriber.status == "confirmed"
        visits[None].append((preferences, name))
    visits[None].append((f"/newsletter/unsubscribe/{tokens.unsubscribe_token(subscriber.pk)}/", None))

    # Newsletters composed on the staff page and sent.
    staff = staff_client_for(coordinator)
    visits[_login_cookie(staff)] = staff_visits = []
    headers = pack(200)
    mail.outbox.clear()
    for i, subject in enumerate(headers):
        form = {"subject": subject, "preheader": headers[-1 - i], "body_markdown": ALL, "include_events": "on"}
        _ok(staff.post("/newsletter/staff/new/", form), "compose")
        newsletter = Newsletter.objects.get(subject=subject)
        staff_visits += [
            (f"/newsletter/staff/{newsletter.pk}/", subject),
            (f"/newsletter/staff/{newsletter.pk}/email/", None),
        ]
        if i < 3:  # sending is slow-ish; three issues cover the archive's page and listing
            with django_capture_on_commit_callbacks(execute=True):
                _ok(staff.post(f"/newsletter/staff/{newsletter.pk}/send/", {"confirm": "yes"}), "send")
            newsletter.refresh_from_db()
            assert newsletter.status == NewsletterStatus.SENT, newsletter.status
            visits[None].append((f"/newsletter/{newsletter.slug}/", subject))
    emails = [m for m in mail.outbox if m.subject in headers]
    assert len(emails) == 3 * len(subscriber_names)

    # Where the rest shows: listings, district and place pages, the organizer's and lead's pages,
    # the admin (a coordinator sees everything).
    visits[None] += [
        ("/groups/", pack(120)[0]), ("/groups/?page=2", None), ("/groups/?town=Lowell", pack(120)[1]),
        ("/", None), ("/find/?q=Lowell", None), ("/districts/ma-3/", None),
        ("/events/", pack(200)[0]), (f"/events/calendar/?month={start:%Y-%m}", pack(200)[1]),
        ("/newsletter/", headers[0]), ("/teams/voting-rights/", None),
        ("/teams/voting-rights/contact/", None), (f"/groups/{first_group.slug}/contact/", first_group.name),
    ]  # fmt: skip
    visits[_login_cookie(organizer_client)] += [
        (f"/groups/{first_group.slug}/", None),
        (f"/groups/{first_group.slug}/edit/", first_group.name),
        (f"/groups/{first_group.slug}/members/", people[-1][0].first_name),
        (f"/groups/{first_group.slug}/contact/", organizer.first_name),
        (f"/events/{events[0].slug}/edit/", events[0].title),
        (f"/events/{events[0].slug}/attendees/", people[-1][0].first_name),
        (f"/events/{events[0].slug}/cancel/", events[0].title),
    ]
    staff_visits += [("/teams/voting-rights/", pack(2000)[0][:100]), ("/newsletter/staff/new/", None)]
    # The admin's lists show every name at once; its change forms are the same for every object,
    # so a few objects each (the first ones hold the script-tag payloads).
    for path, model in [
        ("groups/group", Group),
        ("events/event", Event),
        ("newsletter/newsletter", Newsletter),
        ("newsletter/subscriber", Subscriber),
        ("groups/relaymessage", RelayMessage),
        ("groups/teamvolunteer", TeamVolunteer),
    ]:
        staff_visits.append((f"/admin/{path}/", None))
        staff_visits += [
            (f"/admin/{path}/{pk}/change/", None)
            for pk in model.objects.order_by("pk")[:2].values_list("pk", flat=True)
        ]
    staff_visits.append(("/admin/accounts/user/", people[0][0].first_name))
    staff_visits += [(f"/admin/accounts/user/{user.pk}/change/", None) for user, _ in people[:3]]
    return {"visits": visits, "emails": emails}


def _inspect(page, where: str, expected: str | None, failures: list, fired: list) -> None:
    # Give handler payloads their chance: hover over the page, tab into it.
    page.mouse.move(5, 5)
    page.mouse.move(640, 450)
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    for frame in page.frames:
        try:
            found = frame.evaluate(DOM_CHECK)
        except Exception as exc:  # a frame that navigated away mid-check is itself suspicious
            failures.append((where, frame.url, f"frame check failed: {exc}"))
            continue
        if found["bad"] or found["xss"] is not None:
            failures.append((where, frame.url, found))
    if expected is not None:
        text = page.evaluate(PAGE_TEXT)
        if " ".join(expected.split()) not in text:
            failures.append((where, "the hostile text is not shown", expected[:80]))
    if fired:
        failures.append((where, "dialog", list(fired)))
        fired.clear()


def test_no_payload_runs_script_on_any_page_that_shows_it(chromium, live_server, hostile_site):
    failures: list = []
    loads = 0
    for cookie, visits in hostile_site["visits"].items():
        context = chromium.new_context(bypass_csp=True, viewport={"width": 1280, "height": 900})
        if cookie:
            context.add_cookies(
                [{"name": django_settings.SESSION_COOKIE_NAME, "value": cookie, "url": live_server.url}]
            )
        page = context.new_page()
        fired: list = []
        page.on("dialog", lambda dialog, fired=fired: (fired.append(dialog.message), dialog.dismiss()))
        for path, expected in visits:
            response = page.goto(live_server.url + path, wait_until="load")
            loads += 1
            if response is None or response.status != 200:
                failures.append((path, "status", response and response.status))
                continue
            _inspect(page, path, expected, failures, fired)
        # The delivered newsletter, as a mail program that runs scripts would show it.
        if cookie is None:
            for message in hostile_site["emails"][:: max(1, len(hostile_site["emails"]) // 6)]:
                html = next(content for content, kind in message.alternatives if kind == "text/html")
                page.set_content(html, wait_until="load")
                loads += 1
                _inspect(page, f"email to {message.to[0]}", None, failures, fired)
        context.close()
    assert loads > 100
    assert failures == [], json.dumps(failures, indent=1, default=str)
