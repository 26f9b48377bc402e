"""Every page the cast can open is valid HTML by a validator nobody here wrote: the Nu Html
Checker (vnu, the engine of validator.w3.org/nu, from the npm package ``vnu-jar``, run with the
machine's Java).

The pages come from the permission walk's resolver and world (tests/trust/test_permissions.py):
every URL of the site (the admin aside: Django's own, with tests of its own), filled with real
objects and opened by a visitor, a member, an organizer, an organizer of another group, two reps
and a coordinator; then the error pages (403, 404, 500), the forms sent back empty with their
errors, and a few states the plain walk does not reach (filters, search answers). Every HTML
answer is checked, all of them in ONE run of vnu (the JVM takes seconds to start), in one test,
with a control document whose errors vnu must find so a silent validator cannot pass.

Every template under templates/ (the admin's and the emails' aside) must be rendered by one of
the checked pages, so a new page cannot escape the check.

Without Java or vnu.jar (``npm ci``) the test is skipped on a laptop and fails under CI, like the
browser tests without Chromium.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.cache import cache
from django.test import Client, RequestFactory
from django.urls import get_resolver, reverse

from tests.realstack import require
from tests.trust.test_permissions import ROLES, STAFF_ROLES, build_world, fill, walk

ROOT = Path(__file__).resolve().parents[2]
VNU_JAR = ROOT / "node_modules" / "vnu-jar" / "build" / "dist" / "vnu.jar"
TEMPLATES = ROOT / "templates"

# A document with two errors vnu must report: proof that the run below can see.
CONTROL = '<!doctype html><html lang="en"><title>control</title><form action=""></form><p id="a"></p><p id="a"></p>'

# Forms sent back empty or wrong (as the role that may open them): the page with its errors is checked.
EMPTY_POSTS = {
    "groups:submit": "member",
    "groups:edit": "organizer",
    "groups:contact": "visitor",
    "groups:claim": "member",
    "teams:contact": "visitor",
    "allies:write": "visitor",
    "events:create": "organizer",
    "events:edit": "organizer",
    "events:check_in_walk_in": "organizer",
    "events:message_attendees": "organizer",
    "events:thank_you": "organizer",
    "newsletter:subscribe": "visitor",
    "newsletter:preferences": "visitor",
    "newsletter:staff_new": "coordinator",
    "accounts:profile_edit": "member",
    "accounts:delete": "member",
    "account_login": "visitor",
    "account_signup": "visitor",
    "account_reset_password": "visitor",
    "account_change_password": "member",
    "account_email": ("member", {"action_add": "", "email": "not an address"}),
    "account_reauthenticate": "member",
}
# States the walk's plain addresses do not show.
EXTRA_GETS = [
    ("visitor", "/events/?zip=01852&distance=10"),
    ("visitor", "/events/?zip=99999"),
    ("visitor", "/events/calendar/?month=2026-02"),
    ("visitor", "/groups/?q=Lowell"),
    ("visitor", "/groups/?q=nothing-matches-this"),
    ("visitor", "/groups/?district=ma-3"),
    ("visitor", "/find/?q=Lowell"),
    ("visitor", "/find/?q=01852"),
    ("visitor", "/find/?q=Narnia"),
    ("visitor", "/find/?q=Boston"),  # split: asks for the ward and precinct
    ("visitor", "/find/?q=Boston&ward=3&precinct=1"),  # and answers
    ("visitor", "/find/?q=Boston&ward=99&precinct=1"),  # or says what is wrong
    ("visitor", "/find/?q=Billerica&precinct=2"),  # a town without wards
    ("visitor", "/no-such-page/"),
    ("member", "/no-such-page/"),
    ("visitor", "/embed/find/?q=Lowell"),
    ("visitor", "/embed/events/?zip=99999&type=nonsense"),
]


@dataclass
class Page:
    label: str
    html: str
    templates: frozenset[str]


def _is_html(response) -> bool:
    """A page: HTML with a body (a 405's empty answer is not one)."""
    if response.streaming or not response.get("Content-Type", "").startswith("text/html"):
        return False
    return response.status_code not in (301, 302, 303) and bool(response.content.strip())


def _page(label: str, response) -> Page:
    content = response.content
    names = frozenset(t.name for t in getattr(response, "templates", []) if t.name)
    return Page(label=f"{label} ({response.status_code})", html=content.decode(), templates=names)


def _server_error_page() -> Page:
    """What a visitor sees when a view raises: Django's handler for 500, as it calls it."""
    from django.test.signals import template_rendered

    rendered: list[str] = []

    def record(sender, template, **kwargs):
        rendered.append(template.name)

    template_rendered.connect(record)
    try:
        handler = get_resolver().resolve_error_handler(500)
        response = handler(RequestFactory().get("/"))
    finally:
        template_rendered.disconnect(record)
    return Page(
        label=f"the server error page ({response.status_code})",
        html=response.content.decode(),
        templates=frozenset(filter(None, rendered)),
    )


def crawl(world, staff_client_factory) -> list[Page]:
    clients = {"visitor": Client()}
    for role in ("member", "organizer", "other_organizer"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    for role in STAFF_ROLES:
        clients[role] = staff_client_factory(world.users[role])

    pages: list[Page] = []
    urls: dict[str, str] = {}
    for endpoint in walk(get_resolver()):
        if endpoint.route.startswith(("admin/", "anymail/")):
            continue
        url = fill(endpoint, world)
        urls[endpoint.key] = url
        seen: set[str] = set()
        for role in ROLES:
            response = clients[role].get(url)
            if _is_html(response):
                page = _page(f"GET {url} as {role}", response)
                # The same page for several roles is checked once (the CSRF token aside, which
                # differs per session, the pages a visitor and a member see mostly differ anyway).
                token = clients[role].cookies.get(settings.CSRF_COOKIE_NAME)
                key = page.html.replace(token.value, "") if token else page.html
                if key not in seen:
                    seen.add(key)
                    pages.append(page)
    for key, who in EMPTY_POSTS.items():
        role, data = who if isinstance(who, tuple) else (who, {})
        cache.clear()  # the rate limits of the sign-in and sign-up forms count these posts
        response = clients[role].post(urls[key], data)
        assert _is_html(response), f"POST {urls[key]} as {role} answered {response.status_code}, not a form"
        pages.append(_page(f"POST {urls[key]} (empty) as {role}", response))
    for role, url in EXTRA_GETS:
        response = clients[role].get(url)
        assert _is_html(response), f"GET {url} as {role} answered {response.status_code}"
        pages.append(_page(f"GET {url} as {role}", response))
    # An event imported from Mobilize: its page sends people there to RSVP (events/_rsvp_elsewhere.html).
    imported = _imported_event(world)
    for role in ("visitor", "member"):
        response = clients[role].get(imported.get_absolute_url())
        assert b"RSVP on Mobilize" in response.content
        pages.append(_page(f"GET {imported.get_absolute_url()} (imported) as {role}", response))
    # The month of the world's events (the agenda and the grid with events in them), and an
    # email confirmation link that works.
    month = f"/events/calendar/?month={world.event.starts_at:%Y-%m}"
    response = clients["member"].get(month)
    assert b"Lowell town hall" in response.content
    pages.append(_page(f"GET {month} as member", response))
    from allauth.account.models import EmailAddress, EmailConfirmationHMAC

    address = EmailAddress.objects.create(user=world.users["organizer"], email="olga.new@example.org")
    confirm = reverse("account_confirm_email", args=[EmailConfirmationHMAC(address).key])
    response = clients["visitor"].get(confirm)
    assert b"olga.new@example.org" in response.content
    pages.append(_page(f"GET {confirm} as visitor", response))
    # A refusal: a member who leads no group may not create an event.
    response = clients["member"].get(urls["events:create"])
    assert response.status_code == 403
    pages.append(_page(f"GET {urls['events:create']} as member", response))
    # The newsletter's links, used: a bad one, a confirmation and an unsubscribe (last: they
    # change the world the pages above were opened in).
    response = clients["visitor"].get("/newsletter/confirm/not-a-token/")
    assert response.status_code == 404
    pages.append(_page("GET /newsletter/confirm/not-a-token/ as visitor", response))
    for key in ("newsletter:confirm", "newsletter:unsubscribe"):
        response = clients["visitor"].post(urls[key])
        assert _is_html(response) and response.status_code == 200, (key, response.status_code)
        pages.append(_page(f"POST {urls[key]} as visitor", response))
    # Setting up an authenticator app: a member who just gave their password sees the QR code,
    # then the form with a wrong code.
    member = _recently_signed_in(world.users["member"])
    for method, data in (("get", None), ("post", {"code": "000000"})):
        response = getattr(member, method)("/accounts/2fa/totp/activate/", data)
        assert _is_html(response) and response.status_code == 200, (method, response.status_code)
        pages.append(_page(f"{method.upper()} /accounts/2fa/totp/activate/ as member", response))
    # A guest's RSVP sent, a link asked for by mail, the confirmation used, a guest's bad link.
    cache.clear()
    guest_posts = (
        ("events:guest_rsvp", {"name": "Gus", "email": "gus@example.net", "bringing": "0"}),
        ("events:guest_link_request", {"email": "gus@example.net"}),
        ("events:guest_confirm", {}),
    )
    for key, data in guest_posts:
        response = clients["visitor"].post(urls[key], data)
        assert _is_html(response) and response.status_code == 200, (key, response.status_code)
        pages.append(_page(f"POST {urls[key]} as visitor", response))
    response = clients["visitor"].get("/events/guest/my-rsvps/not-a-token/")
    assert response.status_code == 404
    pages.append(_page("GET /events/guest/my-rsvps/not-a-token/ as visitor", response))
    pages += _attendance_pages(world, clients["organizer"])
    pages.append(_server_error_page())
    return pages


def _imported_event(world):
    from imports.models import ImportedEvent, ImportSource
    from tests.events.conftest import make_event

    source = ImportSource.objects.create(name="Mobilize", mobilize_org_id=7, acts_as=world.users["coordinator"])
    event = make_event(host_group=world.group, title="Canvass from Mobilize")
    ImportedEvent.objects.create(
        source=source, mobilize_event_id=1, mobilize_timeslot_id=1, event=event,
        browser_url="https://www.mobilize.us/example/event/1/",
    )  # fmt: skip
    return event


def _attendance_pages(world, organizer: Client) -> list[Page]:
    """Check-in while it is open (the world's event is days away: its page says when it opens),
    with a search, a refused walk-in and a walk-in; the message log; the thank-you form."""
    from datetime import timedelta

    from django.utils import timezone

    from events import attendance
    from events import services as event_services
    from events.models import Event, EventStatus

    now = timezone.now().replace(second=0, microsecond=0)
    event = Event.objects.create(
        slug="lowell-vigil", title="Lowell vigil", host_group=world.group, starts_at=now + timedelta(minutes=30),
        ends_at=now + timedelta(hours=2), town=world.group.home_town, district=world.group.district,
        status=EventStatus.PUBLISHED, capacity=1,
    )  # fmt: skip
    event_services.rsvp_create(event=event, user=world.users["member"])
    event_services.rsvp_create(event=event, user=world.users["other_organizer"])  # waitlisted
    ended = Event.objects.create(
        slug="lowell-past-vigil", title="Past vigil", host_group=world.group, starts_at=now - timedelta(hours=3),
        ends_at=now - timedelta(hours=1), town=world.group.home_town, district=world.group.district,
        status=EventStatus.PUBLISHED,
    )  # fmt: skip
    organizer_user = world.users["organizer"]
    attendance.walk_in_add(event=ended, by=organizer_user, name="Walt", email="walt@example.net")
    attendance.attendee_message_send(
        event=event, by=organizer_user, audiences=["going", "waitlisted"], subject="Doors", body="At six."
    )
    pages = []
    for url in (
        f"/events/{event.slug}/check-in/",
        f"/events/{event.slug}/check-in/?q=nobody-matches",
        f"/events/{event.slug}/attendees/",
        f"/events/{ended.slug}/thank-you/",
    ):
        response = organizer.get(url)
        assert response.status_code == 200, url
        pages.append(_page(f"GET {url} as organizer", response))
    for url, data in (
        (f"/events/{event.slug}/check-in/walk-in/", {"name": "Walt", "email": "not an address"}),
        (f"/events/{event.slug}/check-in/walk-in/", {"name": "Wanda"}),
    ):
        response = organizer.post(url, data, follow=True)
        assert response.status_code == 200, url
        pages.append(_page(f"POST {url} as organizer", response))
    return pages


def _recently_signed_in(user) -> Client:
    """A client whose session passed the password a moment ago (allauth asks again otherwise)."""
    from allauth.account.internal.flows.login import record_authentication

    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/")
    request.session = client.session
    request.user = user
    record_authentication(request, user, "password", email=user.email, reauthenticated=True)
    request.session.save()
    return client


def vnu(documents: list[str]) -> list[list[dict]]:
    """vnu's errors for each document, in order: one run of the checker for all of them."""
    with tempfile.TemporaryDirectory() as folder:
        paths = []
        for number, html in enumerate(documents):
            path = Path(folder) / f"{number:04d}.html"
            path.write_text(html, encoding="utf-8")
            paths.append(path)
        run = subprocess.run(
            [
                "java",
                # One short run: the JIT's first tier alone (C1) halves the CPU time of checking
                # the ~500 pages (19 s to 8 s of CPU, the same messages); C1's frames are larger,
                # and vnu asks for a thread stack of at least 512k.
                "-XX:TieredStopAtLevel=1",
                "-Xss4m",
                "-jar",
                str(VNU_JAR),
                "--format",
                "json",
                "--errors-only",
                "--no-langdetect",
                "--stdout",
                *map(str, paths),
            ],
            capture_output=True,
            text=True,
            timeout=600,
        )
        assert run.stdout, f"vnu said nothing: {run.stderr}"
        messages = json.loads(run.stdout)["messages"]
        by_path: dict[str, list[dict]] = {path.name: [] for path in paths}
        for message in messages:
            name = message.get("url", "").rsplit("/", 1)[-1]
            assert name in by_path, f"vnu could not check a document: {message}"
            by_path[name].append(message)
        return [by_path[path.name] for path in paths]


# allauth's elements restyled for features the portal has switched off: no page can show them.
SWITCHED_OFF = {
    "allauth/elements/details.html": "sign-in and email verification by code are off",
    "allauth/elements/table.html": "WebAuthn and the list of sessions are off",
}


def page_templates() -> set[str]:
    """Every template under templates/ a page is made of: not the admin's, not the emails' (their
    folders ``email/`` and ``emails/``, and ``outbox/``, the app that only sends mail)."""
    names = set()
    for path in TEMPLATES.rglob("*.html"):
        name = path.relative_to(TEMPLATES).as_posix()
        parts = name.split("/")
        if parts[0] in ("admin", "outbox") or {"email", "emails"} & set(parts[:-1]):
            continue
        if name not in SWITCHED_OFF:
            names.add(name)
    return names


def template_report(pages: list[Page]) -> str:
    rendered = set().union(*(page.templates for page in pages))
    # Controls: the walk records what pages are made of, and a server error has a page of its own.
    assert {"base.html", "partials/footer_signup.html", "500.html"} <= rendered
    missing = sorted(page_templates() - rendered)
    return f"templates no checked page renders (add the page to this test): {missing}" if missing else ""


def html_report(pages: list[Page]) -> str:
    control, *found = vnu([CONTROL, *(page.html for page in pages)])
    assert {m["message"].split(":")[0] for m in control} >= {
        "Bad value “” for attribute “action” on element “form”",
        "Duplicate ID “a”.",
    }, f"vnu missed the control document's errors: {control}"
    report = [
        f"{page.label}, line {m.get('lastLine')}: {m['message']}  [{m.get('extract', '').strip()}]"
        for page, messages in zip(pages, found, strict=True)
        for m in messages
    ]
    return f"{len(report)} HTML errors:\n" + "\n".join(report) if report else ""


def test_every_page_the_cast_can_open_is_valid_html_and_every_page_template_is_among_them(
    activist, rep_ma3, rep_ma5, coordinator, staff_client_factory, django_capture_on_commit_callbacks
):
    """One test, so that the walk and the checker run once per session (per pytest-xdist worker);
    both answers are reported together. Without Java the templates are still checked."""
    cache.clear()
    world = build_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks)
    pages = crawl(world, staff_client_factory)
    assert len(pages) > 150, f"only {len(pages)} pages checked: the walk went wrong"
    templates = template_report(pages)
    if not (shutil.which("java") and VNU_JAR.exists()):
        assert not templates, templates
    require(bool(shutil.which("java")), "no Java to run the Nu Html Checker (apt-get install default-jre-headless)")
    require(VNU_JAR.exists(), "the Nu Html Checker is not installed (npm ci)")
    problems = [report for report in (templates, html_report(pages)) if report]
    assert not problems, "\n\n".join(problems)
