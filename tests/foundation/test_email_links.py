"""Every link of every kind of email the portal sends, resolved against the running site.

One email of each kind is produced the way the portal produces it (the services, allauth's own
views), and every address in it is checked: each ``href`` and ``src`` of the HTML part and each
URL of the text part must be absolute, on SITE_URL's host (``mailto:`` aside), and GETting its
path and query from the site (the test client, as an anonymous visitor) must answer 200, 302 or
304, never a 404 or a 500. A path written without SITE_URL in a text part (``/groups/``) fails too.

Kinds covered (``KINDS``): the outbox's ``account.email_confirmation_signup``,
``account.email_confirmation``, ``account.password_reset_key``, ``account.unknown_account``,
``account.account_already_exists`` (allauth, through ``accounts.adapter``),
``events.changed``, ``events.cancelled``, ``events.promoted``, ``events.reminder``,
``events.cohost_invitation``, ``events.rsvp_confirmation`` and a guest's ``events.guest_confirm``,
``events.guest_already``, ``events.guest_manage_link``, ``events.guest_data_link``, an
organizer's ``events.attendee_message`` and ``events.thank_you`` (to a member and a guest),
``groups.pending_listing``, ``groups.district_added``, ``groups.decision``,
``groups.confirm``, ``groups.claim``, ``groups.relay``, ``teams.relay``, the notices of group
life (``groups.join_request``, ``groups.request_decided``, ``groups.claim_decided``,
``teams.offer``, ``groups.digest``), the district desk's ``desk.outreach`` and ``desk.weekly``,
the relay to an allied organization (``allies.relay``),
``newsletter.confirm``, ``newsletter.already``, ``newsletter.test`` (for a subscriber and for
somebody who is not one), and the newsletter's bulk message (``newsletter.issue``, not an outbox
row), for an issue whose Markdown links are relative (as the demo issue's are) with its events
block.

``test_every_kind_of_email_in_the_code_is_covered`` reads the code for the kinds it queues (each
``email_queue``/``email_queue_template`` call's ``kind`` and each ``notify`` call's
``email_kind``, through module constants and
``a if .. else b``) and for the allauth templates that can be sent under our settings: a kind
added without a place here fails it.
"""

from __future__ import annotations

import ast
import re
from datetime import timedelta
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core import mail
from django.test import Client
from django.utils import timezone

from accounts.models import Role
from districts.models import Team
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

SITE = "https://portal.example.org"
BASE = Path(settings.BASE_DIR)
APPS = ("accounts", "allies", "desk", "districts", "events", "groups", "imc", "newsletter", "outbox", "portal")

# Every kind this test produces. ``account.*`` kinds are named by allauth's template (the adapter
# queues ``account.<template>``); ``newsletter.issue`` is the bulk message.
KINDS = {
    "account.email_confirmation_signup",
    "account.email_confirmation",
    "account.password_reset_key",
    "account.unknown_account",
    "account.account_already_exists",
    "events.changed",
    "events.cancelled",
    "events.promoted",
    "events.reminder",
    "events.cohost_invitation",
    "events.rsvp_confirmation",
    "events.guest_confirm",
    "events.guest_already",
    "events.guest_manage_link",
    "events.guest_data_link",
    "events.attendee_message",
    "events.thank_you",
    "groups.pending_listing",
    "groups.district_added",
    "groups.decision",
    "groups.confirm",
    "groups.claim",
    "groups.claim_decided",
    "groups.join_request",
    "groups.request_decided",
    "groups.digest",
    "teams.offer",
    "desk.outreach",
    "desk.weekly",
    "groups.relay",
    "teams.relay",
    "allies.relay",
    "newsletter.confirm",
    "newsletter.already",
    "newsletter.test",
    "newsletter.issue",
}

# Addresses on other sites a kind may carry on purpose, by host: not GETted here.
ELSEWHERE = {"events.reminder": {"calendar.google.com"}}  # "add to Google Calendar"

# Kinds whose mail holds no link at all.
LINKLESS = {"groups.relay", "teams.relay", "allies.relay"}

# allauth's mail templates that our settings never send, each with the setting that says so
# (None: no code of allauth's names it).
ALLAUTH_NOT_SENT = {
    "email_changed": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "email_confirm": None,
    "email_deleted": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "password_changed": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "password_reset": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "password_set": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "recovery_codes_generated": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "totp_activated": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "totp_deactivated": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "webauthn_added": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "webauthn_removed": "ACCOUNT_EMAIL_NOTIFICATIONS",
    "login_code": "ACCOUNT_LOGIN_BY_CODE_ENABLED",
    "password_reset_code": "ACCOUNT_PASSWORD_RESET_BY_CODE_ENABLED",
}


# --- the kinds in the code ---------------------------------------------------------------------


def _constants(tree: ast.Module) -> dict[str, str]:
    return {
        target.id: node.value.value
        for node in tree.body
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant) and isinstance(node.value.value, str)
        for target in node.targets
        if isinstance(target, ast.Name)
    }


def _kind_values(node: ast.expr, constants: dict[str, str]) -> set[str]:
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return _kind_values(node.body, constants) | _kind_values(node.orelse, constants)
    if isinstance(node, ast.Name) and node.id in constants:
        return {constants[node.id]}
    if isinstance(node, ast.JoinedStr) and node.values and isinstance(node.values[0], ast.Constant):
        return {f"{node.values[0].value}*"}  # a family, e.g. allauth's "account.<template>"
    return set()  # a parameter passed on (``kind=kind``): its callers are read instead


def kinds_in_code() -> set[str]:
    """Each kind given to ``email_queue``, ``email_queue_template``, ``_email_rsvps`` or
    ``notify`` in the apps' code."""
    found: set[str] = set()
    for app in APPS:
        for path in (BASE / app).rglob("*.py"):
            if "migrations" in path.parts:
                continue
            tree = ast.parse(path.read_text())
            constants = _constants(tree)
            for node in ast.walk(tree):
                if not isinstance(node, ast.Call):
                    continue
                name = getattr(node.func, "id", None) or getattr(node.func, "attr", None)
                if name not in {"email_queue", "email_queue_template", "_email_rsvps", "notify"}:
                    continue
                for keyword in node.keywords:
                    # ``notify`` (groups.notifications) takes the notification's own kind as
                    # ``kind`` and the email's as ``email_kind``.
                    if keyword.arg == ("email_kind" if name == "notify" else "kind"):
                        found |= _kind_values(keyword.value, constants)
    return found


def allauth_templates() -> set[str]:
    import allauth
    from django.apps import apps

    root = Path(allauth.__file__).parent / "templates"
    return {
        p.name[: -len("_subject.txt")]
        for p in root.glob("*/email/*_subject.txt")
        if apps.is_installed(f"allauth.{p.parent.parent.name}")  # account, mfa, socialaccount...
    }


def test_every_kind_of_email_in_the_code_is_covered():
    found = kinds_in_code()
    # Control: the scan sees the kinds it must (a literal, a constant, both sides of an if, a family).
    assert {"groups.claim", "events.reminder", "groups.relay", "teams.relay", "account.*"} <= found
    literal = {kind for kind in found if not kind.endswith("*")}
    assert literal - KINDS == set(), "a kind of email with no place in this test"
    families = {kind for kind in found if kind.endswith("*")}
    assert families == {"account.*"}, "a new family of kinds: cover its members here"
    sent_by_allauth = allauth_templates() - set(ALLAUTH_NOT_SENT)
    assert {f"account.{name}" for name in sent_by_allauth} - KINDS == set()
    import allauth
    from allauth.account import app_settings

    allauth_code = "\n".join(p.read_text() for p in Path(allauth.__file__).parent.rglob("*.py"))
    for name, setting in ALLAUTH_NOT_SENT.items():
        if setting is None:
            assert f'/email/{name}"' not in allauth_code, f"{name} is sent: cover it"
        else:
            assert not getattr(app_settings, setting.removeprefix("ACCOUNT_")), f"{name} is sent: cover it"
            assert f'/email/{name}"' in allauth_code  # control: the check above reads real names


# --- producing one of each -----------------------------------------------------------------------


class _Addresses(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        self.found += [value or "" for name, value in attrs if name in ("href", "src")]


def html_addresses(html: str) -> list[str]:
    parser = _Addresses()
    parser.feed(html)
    return parser.found


TEXT_URL = re.compile(r"\b(?:https?|mailto):[^\s<>()\[\]\"']+")
# A site path written on its own in a text part: "/groups/", "(/events/x/)".
TEXT_PATH = re.compile(
    r"(?:^|[\s(<\[\"'])(/[A-Za-z0-9_\-.~%]+(?:/[A-Za-z0-9_\-.~%:=]*)*/?(?:\?\S*)?)(?=$|[\s)>\]\"'.,;])"
)


def _trim(url: str) -> str:
    return url.rstrip(".,;:!?")


@pytest.fixture(autouse=True)
def _site_url(settings):
    """Before the cast is made: its fixtures queue mail too (a group's approval)."""
    settings.SITE_URL = SITE


@pytest.fixture(autouse=True)
def _fresh_rate_limits():
    """allauth counts sign-ups and resets per address and IP in the cache: this test's must not
    refuse a later test's (nor an earlier one's refuse this test's)."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def emails(
    settings,
    client,
    activist,
    organizer,
    lowell_group,
    rep_ma3,
    rep_ma5,
    coordinator,
    django_capture_on_commit_callbacks,
):
    """(kind, text, html, headers) of one email of each kind in ``KINDS`` (some kinds more than once)."""
    from events import services as event_services
    from events.reminders import reminders_tick
    from groups import services as group_services
    from groups.models import GroupStatus
    from newsletter import services as newsletter_services
    from newsletter.demo import BODY
    from newsletter.models import ConsentSource
    from tests import factories
    from tests.events.conftest import make_event
    from tests.events.conftest import make_group as make_group_row
    from tests.newsletter.conftest import make_subscriber
    from tests.newsletter.helpers import compose, send_all

    password = factories.PASSWORD
    # allauth, through its own views.
    Client().post("/accounts/signup/", {"email": "newbie@example.org", "password1": password, "password2": password})
    Client().post(
        "/accounts/signup/",
        {"email": activist.email, "password1": "other-long-pass-77", "password2": "other-long-pass-77"},
    )
    Client().post("/accounts/password/reset/", {"email": activist.email})
    Client().post("/accounts/password/reset/", {"email": "nobody@example.org"})
    member = Client()
    member.force_login(activist)
    member.post("/accounts/email/", {"email": "alice.second@example.org", "action_add": ""})

    # Groups: a listing waits for its rep, is decided, is asked to confirm a year on; an orphan is
    # claimed; messages go to a group's organizers and a team's lead.
    pending = factories.group("Chelmsford Pending", ("Chelmsford",), status=GroupStatus.PENDING, organizer=organizer)
    moderator = factories.user(factories.MODERATOR_EMAIL, roles=(Role.COORDINATOR,))
    group_services.group_approve(group=pending, actor=moderator)
    group_services.groups_request_confirmation(now=timezone.now() + timedelta(days=400))
    orphan = group_services.group_refresh_derived(group=make_group_row("Dracut Orphans", "Dracut"))
    group_services.claim_submit(user=activist, group=orphan, message="We run it now.")
    group_services.relay_send(
        group=lowell_group, sender_name="Vic", sender_email="vic@example.org", body="Hello", ip_address=None
    )
    team = Team.objects.create(name="Data Team", slug="data-team", lead=coordinator)
    group_services.relay_send(team=team, sender_name="Vic", sender_email="vic@example.org", body="Hi", ip_address=None)

    # Group life (groups.notifications): a request to join reaches the organizers and its
    # decision the member; a claim's decision the claimant; an offer to help the team's lead; one
    # organizer takes the daily digest instead.
    from accounts.models import NotificationKind, NotificationMode
    from accounts.services import notification_preferences_set
    from groups.models import GroupClaim, Membership
    from groups.notifications import digests_send

    asking = factories.group("Lowell Asks First", ("Lowell",), organizer=organizer)
    asking.requires_approval = True
    asking.save(update_fields=["requires_approval"])
    request = group_services.membership_join(user=activist, group=asking)
    group_services.membership_decide(organizer=organizer, membership=request, approve=True)
    group_services.claim_decide(claim=GroupClaim.objects.get(group=orphan), actor=rep_ma3, approve=True)
    group_services.team_volunteer(user=activist, team=team, message="Count me in.")
    notification_preferences_set(user=organizer, modes={NotificationKind.JOIN_REQUEST: NotificationMode.DIGEST})
    late = factories.user("late.joiner@example.org", first_name="Lee")
    group_services.membership_join(user=late, group=asking)
    assert Membership.objects.filter(user=late, group=asking).exists()
    digests_send(now=timezone.now() + timedelta(days=1))
    # Its organizer gives a group a town in another district, whose rep is told.
    from districts.models import Town

    group_services.group_update(
        group=lowell_group,
        actor=organizer,
        details=group_services.GroupDetails(
            name=lowell_group.name,
            home_town=lowell_group.home_town,
            other_towns=[
                *lowell_group.towns.exclude(pk=lowell_group.home_town_id),
                Town.objects.get(name="Framingham"),
            ],
            description=lowell_group.description,
        ),
    )

    # The district desk: a rep writes to a group's organizers; each rep's weekly email.
    from desk import services as desk_services
    from districts.models import District

    desk_services.outreach_send(
        rep=rep_ma3, district=District.objects.get(number=3), groups=[lowell_group], subject="Hi", body="How are you?"
    )
    desk_services.digests_send_weekly()

    # An allied organization written to through its relay.
    from allies import services as allies_services
    from allies.models import Ally

    ally = Ally.objects.create(name="Tenants Union", slug="tenants", is_public=True, contact_email="t@tenants.example")
    allies_services.ally_write(
        ally=ally, sender_name="Ada", sender_email="ada@example.org", body="Shall we?", client="10.0.0.1"
    )

    # Events: a change, a cancellation, a waitlist promotion, a reminder, a co-host invitation.
    people = [factories.user(f"rsvp{n}@example.org", first_name=f"R{n}") for n in range(3)]
    event = make_event(host_group=lowell_group, title="Lowell town hall", capacity=1)
    first = event_services.rsvp_create(event=event, user=people[0])
    event_services.rsvp_create(event=event, user=people[1])  # waitlisted
    event_services.rsvp_cancel(rsvp=first, by=people[0])  # people[1] is promoted
    other_group = factories.group("Dracut Indivisible", ("Dracut",))
    event_services.event_update(event=event, by=organizer, co_hosts=[other_group])
    event_services.event_update(event=event, by=organizer, venue="The library")
    reminders_tick(now=event.starts_at - timedelta(minutes=90))
    doomed = make_event(host_group=lowell_group, title="Rained out")
    event_services.rsvp_create(event=doomed, user=people[2])
    event_services.event_cancel(event=doomed, by=organizer)

    # Guests: a request mails its confirmation link; confirming mails the RSVP's confirmation; a
    # second request from the same address then gets its manage link instead; an address asks
    # for its manage link and for its data.
    guest_event = make_event(host_group=lowell_group, title="Guests welcome")
    event_services.guest_rsvp_request(event=guest_event, name="Gail", email="gail@example.org")
    guest = event_services.guest_rsvp_from_token(
        event_services.guest_confirm_token(guest_event.rsvps.get(guest_email="gail@example.org"))
    )
    event_services.guest_rsvp_confirm(rsvp=guest)
    event_services.guest_rsvp_request(event=guest_event, name="Gail", email="gail@example.org")
    event_services.guest_link_send(email="gail@example.org", purpose="manage")
    event_services.guest_link_send(email="gail@example.org", purpose="data")

    # An organizer writes to the people going (a member and the guest) and, after the event,
    # thanks those who came.
    from events import attendance

    attendance.attendee_message_send(
        event=guest_event, by=organizer, audiences=["going"], subject="Doors at six", body="See you there."
    )
    thanked = make_event(host_group=lowell_group, title="Thanks all", start=timezone.now() + timedelta(hours=1))
    for person in (people[0], None):
        if person is None:
            attendance.walk_in_add(event=thanked, by=organizer, name="Walt", email="walt@example.org")
        else:
            attendance.check_in_mark(rsvp=event_services.rsvp_create(event=thanked, user=person), by=organizer)
    thanked.starts_at, thanked.ends_at = timezone.now() - timedelta(hours=3), timezone.now() - timedelta(hours=1)
    thanked.save(update_fields=["starts_at", "ends_at"])
    attendance.thank_you_send(event=thanked, by=organizer, subject="Thank you", body="It mattered.")

    # The newsletter: a confirmation, an "already subscribed", test copies, the bulk message.
    newsletter_services.subscriber_request(email="reader@example.org", source=ConsentSource.PAGE, ip=None)
    bob = make_subscriber("bob@example.org", town="Lowell", name="Bob")
    newsletter_services.subscriber_request(email=bob.email, source=ConsentSource.PAGE, ip=None)
    body = BODY + "\n\n[Find a group](/groups/)"
    # Test copies of a draft that is never sent (whose web version does not exist yet), to a
    # coordinator who is not a subscriber and to one who is.
    draft = compose(subject="Still a draft", body=body, include_events=True)
    newsletter_services.newsletter_send_test(newsletter=draft, by=coordinator)
    make_subscriber(moderator.email, town="Springfield", name="Mo")
    newsletter_services.newsletter_send_test(newsletter=draft, by=moderator)
    issue = compose(subject="Spring", body=body, include_events=True)
    mail.outbox.clear()
    send_all(issue, django_capture_on_commit_callbacks)

    produced = [(row.kind, row.body_text, row.body_html, row.headers) for row in OutboundEmail.objects.order_by("pk")]
    produced += [
        ("newsletter.issue", m.body, next(c for c, t in m.alternatives if t == "text/html"), m.extra_headers)
        for m in mail.outbox
        if "X-IMC-Delivery" in m.extra_headers
    ]
    return produced


def test_every_link_of_every_kind_of_email_is_absolute_and_answers(emails):
    kinds = {kind for kind, *_ in emails}
    assert kinds == KINDS, f"missing: {KINDS - kinds}, unexpected: {kinds - KINDS}"
    site = urlsplit(SITE)
    problems: list[tuple[str, str, str]] = []
    checked: dict[str, int] = {}
    links: list[tuple[str, str]] = []
    one_click: list[tuple[str, str]] = []
    for kind, text, html, headers in emails:
        for address in re.findall(r"<([^>]+)>", headers.get("List-Unsubscribe", "")):
            if address.startswith("mailto:"):
                continue
            parts = urlsplit(address)
            if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
                problems.append((kind, "List-Unsubscribe", f"not on {SITE}: {address}"))
            else:
                one_click.append((kind, parts.path + (f"?{parts.query}" if parts.query else "")))
        addresses = [("html", a) for a in html_addresses(html)] + [("text", _trim(u)) for u in TEXT_URL.findall(text)]
        problems += [(kind, "text", f"a path without the site: {p}") for p in TEXT_PATH.findall(text)]
        if not any(part == "html" for part, _ in addresses) and html:
            problems.append((kind, "html", "no link at all"))
        for part, address in addresses:
            parts = urlsplit(address)
            if parts.scheme == "mailto":
                continue
            if parts.scheme == "https" and parts.netloc in ELSEWHERE.get(kind, ()):
                continue
            if (parts.scheme, parts.netloc) != (site.scheme, site.netloc):
                problems.append((kind, part, f"not on {SITE}: {address}"))
                continue
            links.append((kind, parts.path + (f"?{parts.query}" if parts.query else "")))
    # Control: the parsers see the links of every kind that has any (a relay is the sender's text).
    assert {kind for kind, _ in links} == KINDS - LINKLESS
    for kind, target in links:
        if target not in checked:
            checked[target] = Client().get(target).status_code
        if checked[target] not in (200, 302, 304):
            problems.append((kind, "GET", f"{target} answers {checked[target]}"))
    # Last, as they may unsubscribe: what a mail program does with List-Unsubscribe-Post (RFC 8058).
    assert {kind for kind, _ in one_click} == {"newsletter.test", "newsletter.issue"}
    for kind, target in one_click:
        status = (
            Client()
            .post(target, "List-Unsubscribe=One-Click", content_type="application/x-www-form-urlencoded")
            .status_code
        )
        if not 200 <= status < 300:
            problems.append((kind, "one-click POST", f"{target} answers {status}"))
    assert problems == [], "\n".join(map(str, problems))
