"""The permission walk: every URL of the site and the admin, as every member of the cast.

The URLs come from the resolver (``get_resolver()``, recursing into every include), so a page
added later cannot be forgotten: a URL that has no row in the tables below fails the test, and so
does a row whose URL no longer exists. Each URL is filled with the objects of a small world (an
approved MA-3 group with its organizer and members, a published event of it with RSVPs, a team, a
sent newsletter, ...) and opened with GET by each member of the cast; the answer must be exactly
what the table says. Wherever a person is refused a GET, a POST must be refused the same way (and
the POST-only endpoints have their own POST column). Then no page that a visitor, a member or an
organizer of another group can open may show anybody's email address or surname but their own.

The tables mirror "Security and privacy" in the README.

Outcomes: ``"200"``, ``"403"``, ... are status codes; ``"login"`` is a redirect to the sign-in
page; ``"→/path/"`` is a redirect to that path. ``{group}``, ``{event}``, ``{change}`` in an
outcome stand for the MA-3 group's slug, the event's slug, and the object's admin change page.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from urllib.parse import urlsplit

import pytest
from django.contrib import admin
from django.contrib.auth.models import Group as AuthGroup
from django.contrib.contenttypes.models import ContentType
from django.contrib.sites.models import Site
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import Role
from accounts.services import user_ensure
from districts.models import BoardSeat, District, LegislativeDistrict, Precinct, Team, Town, ZipCode
from tests.conftest import PASSWORD

# The cast, in the order of the table's columns.
ROLES = ("visitor", "member", "organizer", "other_organizer", "rep", "other_rep", "coordinator")
STAFF_ROLES = ("rep", "other_rep", "coordinator")
# Whose pages must show nobody else's personal data.
OUTSIDERS = ("visitor", "member", "other_organizer")

OK, LOGIN = "200", "login"


def row(visitor, member, organizer, other_organizer, rep, other_rep, coordinator) -> dict[str, str]:
    return dict(zip(ROLES, (visitor, member, organizer, other_organizer, rep, other_rep, coordinator), strict=True))


def everyone(outcome: str) -> dict[str, str]:
    return row(*[outcome] * len(ROLES))


@dataclass
class Rule:
    get: dict[str, str]
    # Expected answer to a POST with an empty form, for the roles listed (the others are not
    # posted: a POST they are allowed would change the world). Refused GETs are posted anyway.
    post: dict[str, str] = field(default_factory=dict)


PUBLIC = Rule(everyone(OK))
SIGNED_IN = Rule(row(LOGIN, OK, OK, OK, OK, OK, OK))
# ``@require_POST`` outside ``@login_required``: every GET is 405, a visitor's POST goes to sign in.
POST_ONLY = Rule(everyone("405"), post={"visitor": LOGIN})
# ``@login_required`` outside ``@require_POST``.
SIGNED_IN_POST_ONLY = Rule(row(LOGIN, "405", "405", "405", "405", "405", "405"), post={"visitor": LOGIN})
COORDINATOR_PAGE = Rule(row(LOGIN, "403", "403", "403", "403", "403", OK))
COORDINATOR_POST = Rule(row(LOGIN, "403", "403", "403", "403", "403", "405"))
# The group's own organizers, coordinators and the reps of its districts (groups.policy.can_edit).
GROUP_EDITORS = Rule(row(LOGIN, "404", OK, "404", OK, "404", OK))
# Member lists are the group's organizers' alone (groups.policy.can_see_members).
GROUP_ORGANIZERS = Rule(row(LOGIN, "404", OK, "404", "404", "404", "404"))
# The host group's organizers and coordinators (events.policy.can_manage).
EVENT_MANAGERS = Rule(row(LOGIN, "404", OK, "404", "404", "404", OK))
# Their POST-only actions (``@login_required`` outside ``@require_POST``): the others' POSTs are 404s.
EVENT_MANAGERS_POST_ONLY = Rule(
    SIGNED_IN_POST_ONLY.get,
    post={"visitor": LOGIN, "member": "404", "other_organizer": "404", "rep": "404", "other_rep": "404"},
)
# allauth's pages for people who are not signed in yet: signed-in people are sent to their profile.
SIGNED_OUT = Rule(row(OK, *["→/accounts/profile/"] * 6))

SITE: dict[str, Rule] = {
    "home": PUBLIC,
    "about": PUBLIC,
    "privacy": PUBLIC,
    "find": PUBLIC,
    "healthz": PUBLIC,
    "favicon": Rule(everyone("→/static/img/favicon.svg")),
    "group_calendar_ics": PUBLIC,
    "district_calendar_ics": PUBLIC,
    "districts:list": PUBLIC,
    "districts:detail": PUBLIC,
    "districts:state_house_list": PUBLIC,
    "districts:state_senate_list": PUBLIC,
    "districts:state_house": PUBLIC,
    "districts:state_senate": PUBLIC,
    # groups
    "groups:directory": PUBLIC,
    "groups:map_data": PUBLIC,  # the directory map's markers (JSON): listed groups only
    "groups:submit": SIGNED_IN,
    "groups:confirm": PUBLIC,  # the yearly "still active?" link: its token is the proof
    "groups:detail": PUBLIC,
    "groups:edit": GROUP_EDITORS,
    "groups:join": POST_ONLY,
    "groups:leave": POST_ONLY,
    "groups:contact": PUBLIC,
    "groups:claim": SIGNED_IN,
    "groups:members": GROUP_ORGANIZERS,
    "groups:members_csv": GROUP_ORGANIZERS,
    "groups:member_decide": Rule(
        everyone("405"),
        post=row(LOGIN, "404", "→/groups/{group}/members/", "404", "404", "404", "404"),
    ),
    "teams:list": PUBLIC,
    "teams:detail": PUBLIC,
    "teams:volunteer": POST_ONLY,
    "teams:withdraw": POST_ONLY,
    "teams:contact": PUBLIC,
    # events
    "events:list": PUBLIC,
    "events:calendar": PUBLIC,
    "events:calendar_ics": PUBLIC,
    "events:create": Rule(row(LOGIN, "403", OK, OK, "403", "403", OK)),
    "events:member_feed_reset": SIGNED_IN_POST_ONLY,
    "events:member_feed": PUBLIC,  # the member's secret feed address is the proof
    "events:cant_come": PUBLIC,  # the reminder's signed link is the proof
    "events:detail": PUBLIC,
    "events:ics": PUBLIC,
    "events:rsvp": SIGNED_IN_POST_ONLY,
    "events:rsvp_cancel": Rule(
        SIGNED_IN_POST_ONLY.get, post={"visitor": LOGIN, "other_organizer": "404", "other_rep": "404"}
    ),
    "events:edit": EVENT_MANAGERS,
    "events:publish": EVENT_MANAGERS_POST_ONLY,
    "events:cancel": EVENT_MANAGERS,
    "events:attendees": EVENT_MANAGERS,
    "events:attendees_csv": EVENT_MANAGERS,
    "events:questions": EVENT_MANAGERS,  # the questions people answer when they RSVP
    # On the day and after (events.attendance): the check-in page, its taps and walk-ins, writing
    # to the event's people and the thank-you; the member of the cast is one of those people.
    "events:check_in": EVENT_MANAGERS,
    "events:check_in_mark": EVENT_MANAGERS_POST_ONLY,
    "events:check_in_walk_in": EVENT_MANAGERS_POST_ONLY,
    "events:message_attendees": EVENT_MANAGERS,
    "events:thank_you": EVENT_MANAGERS,
    # Another group's invitation to co-host: the invited group's organizers answer it, nobody else.
    "events:cohost_answer": GROUP_ORGANIZERS,
    # Guests (no account): the form is public; the confirm, manage and data links are signed
    # and name one RSVP or one address (the member's, in the world), which is their proof.
    "events:guest_rsvp": PUBLIC,
    "events:guest_confirm": PUBLIC,
    "events:guest_link_request": PUBLIC,
    "events:guest_manage": PUBLIC,
    "events:guest_data_request": PUBLIC,
    "events:guest_data": PUBLIC,
    # newsletter
    # The embeds: listed groups and published events only (a group not yet listed: 404 for all).
    "embed:events": PUBLIC,
    "embed:event": PUBLIC,  # a published or cancelled event's card; a draft's: 404 for all
    "embed:group_events": PUBLIC,
    "embed:district_events": PUBLIC,
    "embed:find": PUBLIC,
    "newsletter:subscribe": PUBLIC,
    "newsletter:thanks": PUBLIC,
    "newsletter:confirm": PUBLIC,  # signed tokens: the link in the subscriber's mail is the proof
    "newsletter:unsubscribe": PUBLIC,
    "newsletter:test_copy_unsubscribe": PUBLIC,  # a test copy's unsubscribe: changes nothing
    "newsletter:preferences": PUBLIC,
    "newsletter:member": SIGNED_IN_POST_ONLY,
    "newsletter:feed": PUBLIC,
    "newsletter:archive_detail": PUBLIC,
    "newsletter:staff_list": COORDINATOR_PAGE,
    "newsletter:staff_new": COORDINATOR_PAGE,
    "newsletter:staff_live_preview": COORDINATOR_POST,
    "newsletter:staff_edit": COORDINATOR_PAGE,
    "newsletter:staff_email_preview": COORDINATOR_PAGE,
    "newsletter:staff_progress": COORDINATOR_PAGE,
    "newsletter:staff_test": COORDINATOR_POST,
    "newsletter:staff_schedule": COORDINATOR_POST,
    "newsletter:staff_send": COORDINATOR_PAGE,
    "newsletter:staff_action": COORDINATOR_POST,
    # the district desk (desk.policy): the reps of the MA-3 group's district and coordinators;
    # members and organizers are refused, another district's rep finds no such desk
    "desk:index": Rule(row(LOGIN, "403", "403", "403", OK, OK, OK)),
    "desk:district": Rule(row(LOGIN, "403", "403", "403", OK, "404", OK)),
    "desk:group": Rule(row(LOGIN, "403", "403", "403", OK, "404", OK)),
    "desk:reach_out": Rule(row(LOGIN, "403", "403", "403", OK, "404", OK)),
    "desk:featured": Rule(row(LOGIN, "403", "403", "403", OK, "404", OK)),
    "desk:statewide": COORDINATOR_PAGE,
    # allies: public pages of the public allies (a private one is a 404 for all, tests/allies)
    "allies:list": PUBLIC,
    "allies:detail": PUBLIC,
    "allies:write": PUBLIC,  # the relay: the ally's address is never shown (checked below)
    "desk:statewide_csv": COORDINATOR_PAGE,
    # the public read API (JSON, anonymous: a session changes nothing) and its documentation page
    "api:index": PUBLIC,
    "api:root": PUBLIC,
    "api:events": PUBLIC,
    "api:groups": PUBLIC,
    "api:districts": PUBLIC,
    "api:teams": PUBLIC,
    "api:schema": PUBLIC,
    "api:event": PUBLIC,
    "api:group": PUBLIC,
    "api:district": PUBLIC,
    "api:team": PUBLIC,
    # accounts: the portal's own pages
    "accounts:profile": SIGNED_IN,
    "accounts:profile_edit": SIGNED_IN,
    "accounts:data_export": SIGNED_IN,
    "accounts:delete": SIGNED_IN,
    # accounts: allauth
    "account_login": SIGNED_OUT,
    "account_signup": SIGNED_OUT,
    "account_logout": Rule(row("→/", OK, OK, OK, OK, OK, OK)),
    "account_inactive": PUBLIC,
    "account_reauthenticate": SIGNED_IN,
    "account_email": SIGNED_IN,
    "account_email_verification_sent": PUBLIC,
    "account_change_password": SIGNED_IN,
    "account_set_password": Rule(row(LOGIN, *["→/accounts/password/change/"] * 6)),
    "account_reset_password": PUBLIC,
    "account_reset_password_done": PUBLIC,
    "account_reset_password_from_key": PUBLIC,  # a bad key: the page says the link is invalid
    "account_reset_password_from_key_done": PUBLIC,
    # allauth's steps of a login in progress: with none in progress they send people on.
    "account_confirm_login_code": Rule(row("→/accounts/login/", *["→/accounts/profile/"] * 6)),
    "account_confirm_email": PUBLIC,  # a bad key: the page says the link is invalid
    "mfa_index": SIGNED_IN,
    "mfa_authenticate": Rule(row("→/accounts/login/", *["→/accounts/profile/"] * 6)),
    "mfa_reauthenticate": Rule(row(LOGIN, *["→/accounts/reauthenticate/"] * 3, OK, OK, OK)),
    # Changing a second factor asks for the password again first.
    "mfa_activate_totp": Rule(row(LOGIN, *["→/accounts/reauthenticate/"] * 6)),
    "mfa_deactivate_totp": Rule(row(LOGIN, *["404"] * 3, *["→/accounts/reauthenticate/"] * 3)),
    "mfa_view_recovery_codes": Rule(row(LOGIN, *["404"] * 6), post=row(LOGIN, *["405"] * 6)),
    "mfa_generate_recovery_codes": Rule(row(LOGIN, *["→/accounts/reauthenticate/"] * 6)),
    "mfa_download_recovery_codes": Rule(row(LOGIN, *["404"] * 6)),
}

# The email service's webhooks (django-anymail) are off until ANYMAIL_WEBHOOK_SECRET is set (it is
# not, here); with it they answer only requests that carry it (test below).
ANYMAIL = Rule(everyone("404"), post=everyone("404"))

# The admin. Visitors are sent to sign in and signed-in members who are not staff get 403 for
# every admin URL (accounts.middleware.StaffAdminMFAMiddleware), so the rows below only give the
# staff columns: (rep of MA-3, rep of MA-5, coordinator), against MA-3 objects.
ADMIN_SITE: dict[str, tuple[str, str, str]] = {
    "admin:index": (OK, OK, OK),
    "admin:password_change": (OK, OK, OK),
    "admin:password_change_done": (OK, OK, OK),
    "admin:autocomplete": ("403", "403", "403"),  # a request without its parameters (POST: 405)
    "admin:jsi18n": (OK, OK, OK),
    "admin:view_on_site": ("→/groups/{group}/",) * 3,  # the public page of a public object
    "admin:app_list": ("404", "404", OK),  # the newsletter section: coordinators only
    "<catch-all>": ("404", "404", "404"),
}
# The admin's login page is never used: it sends everyone to allauth's; logging out is POST only
# (people who are not staff are sent to the admin's index, i.e. to sign in or to a 403).
ADMIN_EVERYONE: dict[str, Rule] = {
    "admin:login": Rule(everyone(LOGIN)),
    "admin:logout": Rule(row(*["→/admin/"] * 4, "405", "405", "405")),
}

ADMIN_ACTIONS = ("changelist", "add", "change", "history", "delete", "redirect")


def admin_model(changelist: tuple, add: tuple, change: tuple, history: tuple, delete: tuple, post_change=None):
    """Staff outcomes (rep, other rep, coordinator) per admin page of one model. ``post_change``:
    the answer to a POST of the change page, for those who may only look."""
    rows = {"changelist": changelist, "add": add, "change": change, "history": history, "delete": delete}
    rows["redirect"] = ("→{change}",) * 3
    return rows, post_change


DENIED = ("403", "403", "403")
COORD = ("403", "403", OK)
ALL_STAFF = (OK, OK, OK)
# Only superusers (not in the cast): Django's own permission tables, which no role is granted.
SUPERUSER_ONLY = admin_model(DENIED, DENIED, DENIED, DENIED, DENIED)
COORDINATORS_READ = admin_model(COORD, DENIED, COORD, COORD, DENIED)
STAFF_READ_COORDINATORS_MANAGE = admin_model(
    ALL_STAFF, COORD, ALL_STAFF, ALL_STAFF, COORD, post_change=("403", "403", None)
)

ADMIN_MODELS: dict[str, tuple] = {
    "auth.group": SUPERUSER_ONLY,
    "sites.site": SUPERUSER_ONLY,
    "account.emailaddress": SUPERUSER_ONLY,
    "mfa.authenticator": SUPERUSER_ONLY,
    "django_celery_beat.periodictask": SUPERUSER_ONLY,
    "django_celery_beat.clockedschedule": SUPERUSER_ONLY,
    "django_celery_beat.crontabschedule": SUPERUSER_ONLY,
    "django_celery_beat.solarschedule": SUPERUSER_ONLY,
    "django_celery_beat.intervalschedule": SUPERUSER_ONLY,
    "outbox.outboundemail": SUPERUSER_ONLY,
    "accounts.user": admin_model(COORD, COORD, COORD, COORD, COORD),
    "districts.district": STAFF_READ_COORDINATORS_MANAGE,
    "districts.town": STAFF_READ_COORDINATORS_MANAGE,
    "districts.zipcode": STAFF_READ_COORDINATORS_MANAGE,
    "districts.boardseat": STAFF_READ_COORDINATORS_MANAGE,
    "districts.team": STAFF_READ_COORDINATORS_MANAGE,
    # The loader owns the state districts and precincts: coordinators only record legislators.
    "districts.legislativedistrict": admin_model(
        ALL_STAFF, DENIED, ALL_STAFF, ALL_STAFF, DENIED, post_change=("403", "403", None)
    ),
    "districts.precinct": admin_model(ALL_STAFF, DENIED, ALL_STAFF, ALL_STAFF, DENIED, post_change=("403",) * 3),
    # Reps moderate their districts' groups and never delete; another district's group is a 404.
    "groups.group": admin_model(ALL_STAFF, COORD, (OK, "404", OK), (OK, "404", OK), ("403", "404", OK)),
    "groups.groupclaim": admin_model(ALL_STAFF, DENIED, (OK, "404", OK), (OK, "404", OK), DENIED),
    "groups.relaymessage": admin_model(COORD, DENIED, COORD, COORD, COORD),
    "groups.teamvolunteer": admin_model(COORD, DENIED, COORD, COORD, COORD),
    # Another district's event is "not found": Django sends the rep back to the admin's index.
    "events.event": admin_model(ALL_STAFF, DENIED, (OK, "→/admin/", OK), (OK, "→/admin/", OK), DENIED),
    "events.rsvp": COORDINATORS_READ,
    "events.reminder": COORDINATORS_READ,
    "newsletter.newsletter": COORDINATORS_READ,
    "newsletter.subscriber": COORDINATORS_READ,
    "newsletter.delivery": COORDINATORS_READ,
    "imports.importsource": admin_model(COORD, COORD, COORD, COORD, COORD),  # coordinators manage
    "allies.ally": admin_model(COORD, COORD, COORD, COORD, COORD),  # coordinators keep the allies
    # Reps feature their districts' events (desk.policy.can_feature); nothing to edit in a feature.
    "desk.featuredevent": admin_model(
        ALL_STAFF,
        ALL_STAFF,
        (OK, "→/admin/", OK),
        (OK, "→/admin/", OK),
        (OK, "→/admin/", OK),
        post_change=("403", "403", "403"),
    ),
}
ADMIN_CUSTOM: dict[str, tuple[str, str, str]] = {
    "admin:groups_group_decide": (OK, "404", OK),  # the approve/reject/archive page of one group
    "admin:auth_user_password_change": COORD,
}


def admin_rule(staff: tuple, post_staff: tuple | None = None) -> Rule:
    get = row(LOGIN, "403", "403", "403", *staff)
    post = dict(zip(STAFF_ROLES, post_staff, strict=True)) if post_staff else {}
    return Rule(get, post={k: v for k, v in post.items() if v is not None})


# --- Walking the resolver ------------------------------------------------------------------------


@dataclass
class Endpoint:
    key: str  # the URL's name with its namespaces, or its route when it has no name
    route: str
    name: str | None
    params: list[str]


def _params(pattern) -> list[str]:
    if hasattr(pattern, "converters") and hasattr(pattern, "_route"):
        return list(pattern.converters)
    return list(pattern.regex.groupindex)


def walk(resolver: URLResolver, prefix: str = "", namespace: str = "", params=()) -> Iterator[Endpoint]:
    for entry in resolver.url_patterns:
        found = [*params, *_params(entry.pattern)]
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            inner = f"{namespace}:{ns}" if namespace and ns else (ns or namespace)
            yield from walk(entry, prefix + str(entry.pattern), inner, found)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace and entry.name else entry.name
            route = prefix + str(entry.pattern)
            yield Endpoint(key=name or route, route=route, name=name, params=found)


ADMIN_NAME = re.compile(r"^admin:(?P<app>[a-z_]+?)_(?P<model>[a-z]+)_(?P<action>changelist|add|history|delete|change)$")
ADMIN_REDIRECT = re.compile(r"^admin/(?P<app>[a-z_]+)/(?P<model>[a-z]+)/<path:object_id>/$")


def admin_model_key(endpoint: Endpoint) -> tuple[str, str] | None:
    """``("groups.group", "change")`` for a model page of the admin, else None."""
    labels = {f"{m._meta.app_label}_{m._meta.model_name}": m._meta.label_lower for m in admin.site._registry}
    match = ADMIN_NAME.match(endpoint.name or "")
    if match and f"{match['app']}_{match['model']}" in labels:
        return labels[f"{match['app']}_{match['model']}"], match["action"]
    match = ADMIN_REDIRECT.match(endpoint.route) if endpoint.name is None else None
    if match:
        return f"{match['app']}.{match['model']}", "redirect"
    return None


def rule_for(endpoint: Endpoint) -> Rule | None:
    if endpoint.key in SITE:
        return SITE[endpoint.key]
    if endpoint.key.startswith("anymail:"):
        return ANYMAIL
    if endpoint.key in ADMIN_EVERYONE:
        return ADMIN_EVERYONE[endpoint.key]
    if endpoint.key == "admin:autocomplete":
        return admin_rule(ADMIN_SITE[endpoint.key], ("405", "405", "405"))
    if endpoint.key in ADMIN_SITE:
        return admin_rule(ADMIN_SITE[endpoint.key])
    if endpoint.route == "admin/(?P<url>.*)$":
        return admin_rule(ADMIN_SITE["<catch-all>"])
    if endpoint.key in ADMIN_CUSTOM:
        return admin_rule(ADMIN_CUSTOM[endpoint.key])
    found = admin_model_key(endpoint)
    if found and found[0] in ADMIN_MODELS:
        rows, post_change = ADMIN_MODELS[found[0]]
        return admin_rule(rows[found[1]], post_change if found[1] == "change" else None)
    return None


# --- The world -------------------------------------------------------------------------------------


@dataclass
class World:
    users: dict  # role or name -> User
    objects: dict  # model label -> the object its admin pages are opened with
    tokens: dict  # URL key -> token
    group: object
    other_group: object
    event: object
    team: object
    issue: object
    membership: object
    personal: dict = field(default_factory=dict)  # user or subscriber key -> (email, surname)


def build_world(activist, rep_ma3, rep_ma5, coordinator, capture) -> World:
    from django_celery_beat.models import (
        ClockedSchedule,
        CrontabSchedule,
        IntervalSchedule,
        PeriodicTask,
        SolarSchedule,
    )

    from events import reminders
    from events import services as event_services
    from events import tokens as event_tokens
    from events.models import Event, EventStatus, Reminder, Rsvp
    from groups import services as group_services
    from groups.models import GroupClaim, GroupStatus, Membership, MembershipStatus
    from imports.models import ImportSource
    from newsletter import services as newsletter_services
    from newsletter import tokens as newsletter_tokens
    from newsletter.models import ConsentSource, Delivery, Subscriber, SubscriberStatus, SubscriptionRequest
    from outbox.models import OutboundEmail

    lowell = Town.objects.get(name="Lowell")
    ma5_town = Town.objects.filter(primary_district__slug="ma-5").order_by("name").first()

    def person(email: str, first: str, last: str, town=lowell):
        return user_ensure(email=email, password=PASSWORD, first_name=first, last_name=last, home_town=town)

    # Surnames are personal too: the site shows organizers' first names only.
    activist.last_name = "Marrowby"
    activist.save(update_fields=["last_name"])
    organizer = person("olga@example.org", "Olga", "Thistlewood")
    other_organizer = person("oscar@example.org", "Oscar", "Brackenridge", ma5_town)
    pat = person("pat@example.org", "Pat", "Wexcombe")
    quinn = person("quinn@example.org", "Quinn", "Halloway")
    lea = person("lea@example.org", "Lea", "Fenwright")
    vic = person("vic@example.org", "Vic", "Osterhold")
    cal = person("cal@example.org", "Cal", "Dunsmere")

    def group_of(name: str, town, submitter):
        details = group_services.GroupDetails(name=name, home_town=town, description="We meet on Tuesdays.")
        group = group_services.group_submit(submitter=submitter, details=details)
        return group_services.group_approve(group=group, actor=coordinator)

    group = group_of("Lowell Indivisible", lowell, organizer)
    other_group = group_of("Metro West Indivisible", ma5_town, other_organizer)
    assert group.status == other_group.status == GroupStatus.APPROVED
    group_services.membership_join(user=activist, group=group)
    membership = group_services.membership_join(user=pat, group=group)
    Membership.objects.create(group=group, user=quinn, status=MembershipStatus.PENDING)
    GroupClaim.objects.create(group=group, user=cal, message="I lead it now.")
    group_services.relay_send(
        group=group, sender_name="Rex Quarrington", sender_email="rex@example.org", body="Hello", ip_address="10.0.0.9"
    )

    start = (timezone.now() + timedelta(days=5)).replace(second=0, microsecond=0)
    event = Event.objects.create(
        slug="lowell-town-hall",
        title="Lowell town hall",
        host_group=group,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        town=lowell,
        district=lowell.primary_district,
        venue="Pollard Library",
        status=EventStatus.PUBLISHED,
        capacity=2,
        created_by=organizer,
    )
    # The event asks a question: the answers are the organizers' alone (pages and CSV).
    [question] = event_services.event_questions_set(event=event, by=organizer, questions=[], add_accommodation=True)
    with capture(execute=True):
        own_rsvp = event_services.rsvp_create(event=event, user=activist)
        event_services.rsvp_create(event=event, user=pat, answers={question.answer_key: "Pat-needs-a-ramp"})
        event_services.rsvp_create(event=event, user=quinn)  # the waitlist
        # A guest on the waitlist too, and the member's own address used as a guest (pending):
        # the guest links below are the member's, and must show nobody else (not Gwen).
        event_services.guest_rsvp_request(
            event=event, name="Gwen Guestwick", email="gwen@example.net", answers={question.answer_key: "Gwen-asl"}
        )
        event_services.guest_rsvp_confirm(rsvp=Rsvp.objects.get(guest_email="gwen@example.net"))
        event_services.guest_rsvp_request(event=event, name="Ada", email=activist.email)
    own_guest_rsvp = Rsvp.objects.get(guest_email=activist.email)
    feed = event_services.member_calendar_ensure(user=activist)
    # The MA-5 group names the MA-3 group as co-host of its own event: an invitation to answer.
    cohost_event = Event.objects.create(
        slug="metro-west-canvass",
        title="Metro West canvass",
        host_group=other_group,
        starts_at=start,
        ends_at=start + timedelta(hours=2),
        town=ma5_town,
        district=ma5_town.primary_district,
        status=EventStatus.PUBLISHED,
        created_by=other_organizer,
    )
    event_services.event_update(event=cohost_event, by=other_organizer, co_hosts=[group])

    team = Team.objects.create(name="Voter Outreach", slug="voter-outreach", description="Doors.", lead=lea)
    group_services.team_volunteer(user=vic, team=team, message="Weekends")

    sue = Subscriber.objects.create(
        email="sue@example.org",
        name="Sue Tamberlane",
        town=lowell,
        district=lowell.primary_district,
        status=SubscriberStatus.CONFIRMED,
        consent_at=timezone.now(),
        consent_source=ConsentSource.PAGE,
        confirmed_at=timezone.now(),
    )
    own_subscription = newsletter_services.subscriber_member_subscribe(user=activist, ip=None)
    # A confirmation link names a request waiting for its click (a used one is a 404).
    asking = SubscriptionRequest.objects.create(
        subscriber=Subscriber.objects.create(email="new.reader@example.org"), source=ConsentSource.PAGE
    )
    issue = newsletter_services.newsletter_save(
        by=coordinator,
        subject="Spring update",
        preheader="What we did",
        body_markdown="Hello **everyone**.",
        audience_all=True,
        districts=[],
        include_events=False,
    )
    with capture(execute=True):
        newsletter_services.newsletter_send_now(newsletter=issue, by=coordinator)
    issue.refresh_from_db()

    # An ally shown publicly, co-hosting the event and reached through its relay: its address is
    # personal to it and must show on no page (the leak check below).
    from allies.models import Ally, AllyCohost
    from desk import services as desk_services

    ally = Ally.objects.create(
        name="Tenants Union", slug="tenants-union", is_public=True, contact_email="hidden@tenants-union.example"
    )
    ally.districts.set([District.objects.get(slug="ma-3")])
    AllyCohost.objects.create(ally=ally, event=event)
    feature = desk_services.event_feature(by=rep_ma3, event=event)

    interval = IntervalSchedule.objects.create(every=10, period=IntervalSchedule.MINUTES)
    lowell_precinct = Precinct.objects.filter(town=lowell).select_related("house", "senate").first()
    objects = {
        "auth.group": AuthGroup.objects.get(name=Role.DISTRICT_REP.value),
        "sites.site": Site.objects.get(pk=1),
        "account.emailaddress": activist.emailaddress_set.get(),
        "django_celery_beat.periodictask": PeriodicTask.objects.create(
            name="permission walk", task="imc.tasks.noop", interval=interval
        ),
        "django_celery_beat.clockedschedule": ClockedSchedule.objects.create(clocked_time=timezone.now()),
        "django_celery_beat.crontabschedule": CrontabSchedule.objects.create(minute="5"),
        "django_celery_beat.solarschedule": SolarSchedule.objects.create(
            event="sunrise", latitude=42.36, longitude=-71.06
        ),
        "django_celery_beat.intervalschedule": interval,
        "outbox.outboundemail": OutboundEmail.objects.filter(to="olga@example.org").first(),
        "accounts.user": activist,
        "districts.district": District.objects.get(slug="ma-3"),
        "districts.town": lowell,
        "districts.zipcode": ZipCode.objects.filter(town=lowell).first(),
        "districts.boardseat": BoardSeat.objects.get(user=rep_ma3),
        "districts.team": team,
        "districts.legislativedistrict": lowell_precinct.house,
        "districts.precinct": lowell_precinct,
        "groups.group": group,
        "groups.groupclaim": GroupClaim.objects.get(group=group),
        "groups.relaymessage": group.relay_messages.get(),
        "groups.teamvolunteer": team.volunteers.get(),
        "events.event": event,
        "events.rsvp": own_rsvp,
        "events.reminder": Reminder.objects.filter(rsvp=own_rsvp).first(),
        "newsletter.newsletter": issue,
        "newsletter.subscriber": sue,
        "newsletter.delivery": Delivery.objects.filter(subscriber=sue).first(),
        "allies.ally": ally,
        "desk.featuredevent": feature,
        "imports.importsource": ImportSource.objects.create(
            name="Lowell on Mobilize", mobilize_org_id=4242, host_group=group, acts_as=coordinator
        ),
    }
    # mfa.authenticator: filled in once the staff clients exist (they get their TOTP then).
    missing = [label for label, obj in objects.items() if obj is None]
    assert not missing, f"the world lacks {missing}"

    tokens = {
        "groups:confirm": group_services.confirmation_token(group),
        "events:member_feed": feed.token,
        "events:cant_come": reminders.cant_come_token(own_rsvp),
        "events:check_in_mark": own_rsvp.pk,
        "events:cohost_answer": cohost_event.cohost_invitations.get().pk,
        "events:guest_confirm": event_services.guest_confirm_token(own_guest_rsvp),
        "events:guest_manage": event_tokens.manage_token(activist.email),
        "events:guest_data": event_tokens.data_token(activist.email),
        "newsletter:confirm": newsletter_tokens.confirm_token(asking.pk),
        "newsletter:unsubscribe": newsletter_tokens.unsubscribe_token(own_subscription.pk),
        "newsletter:preferences": newsletter_tokens.preferences_token(own_subscription.pk),
    }
    users = {
        "member": activist,
        "organizer": organizer,
        "other_organizer": other_organizer,
        "rep": rep_ma3,
        "other_rep": rep_ma5,
        "coordinator": coordinator,
    }
    personal = {
        "member": (activist.email, "Marrowby"),
        "organizer": (organizer.email, "Thistlewood"),
        "other_organizer": (other_organizer.email, "Brackenridge"),
        "pat": (pat.email, "Wexcombe"),
        "quinn": (quinn.email, "Halloway"),
        "lea": (lea.email, "Fenwright"),
        "vic": (vic.email, "Osterhold"),
        "cal": (cal.email, "Dunsmere"),
        "rex": ("rex@example.org", "Quarrington"),
        "sue": (sue.email, "Tamberlane"),
        "gwen": ("gwen@example.net", "Guestwick"),
        "ally": (ally.contact_email, None),
        # Answers to the event's question: personal, shown to nobody but the event's organizers.
        "pat_answer": ("Pat-needs-a-ramp", None),
        "gwen_answer": ("Gwen-asl", None),
        "rep": (rep_ma3.email, None),
        "other_rep": (rep_ma5.email, None),
        "coordinator": (coordinator.email, None),
    }
    return World(
        users=users,
        objects=objects,
        tokens=tokens,
        group=group,
        other_group=other_group,
        event=event,
        team=team,
        issue=issue,
        membership=membership,
        personal=personal,
    )


def fill(endpoint: Endpoint, world: World) -> str:
    """The address of this endpoint, its parameters filled with the world's (MA-3) objects."""
    label = admin_model_key(endpoint)
    values: dict[str, object] = {}
    for param in endpoint.params:
        if param == "object_id":
            values[param] = world.objects[label[0]].pk if label else world.group.pk
        elif param == "id":
            values[param] = world.users["member"].pk
        elif param == "content_type_id":
            values[param] = ContentType.objects.get_for_model(world.group).pk
        elif param == "app_label":
            values[param] = "newsletter"
        elif param == "url":
            values[param] = "no-such-page/"
        elif param == "decision":
            values[param] = "approve"
        elif param == "token":
            values[param] = world.tokens[endpoint.key]
        elif param == "action":
            values[param] = "pause"
        elif param == "pk" and endpoint.key in world.tokens:
            values[param] = world.tokens[endpoint.key]
        elif param == "pk":
            values[param] = world.membership.pk if endpoint.key.startswith("groups:") else world.issue.pk
        elif param in ("key", "uidb36"):
            values[param] = "not-a-real-key"
        elif param == "event_id":
            values[param] = world.event.pk
        elif param == "slug":
            values[param] = _slug_for(endpoint, world)
        elif param == "district":
            values[param] = "ma-3"
        else:
            raise AssertionError(f"{endpoint.key}: no value for the parameter {param!r}")
    if endpoint.name is None:
        route = re.sub(r"<(?:\w+:)?(\w+)>", lambda m: str(values[m.group(1)]), endpoint.route)
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", lambda m: str(values[m.group(1)]), route)
        return "/" + route.replace("^", "").replace("$", "")
    return reverse(endpoint.name, kwargs=values)


def _slug_for(endpoint: Endpoint, world: World) -> str:
    if endpoint.key in ("districts:state_house", "districts:state_senate"):
        chamber = "house" if endpoint.key == "districts:state_house" else "senate"
        return LegislativeDistrict.objects.filter(chamber=chamber, towns__name="Lowell").first().slug
    prefix = endpoint.route.split("/", 1)[0]
    if prefix == "api":  # api/v1/<list>/<slug:slug>/: the list's own object
        prefix = endpoint.route.split("/")[2]
    return {
        "groups": world.group.slug,
        "teams": world.team.slug,
        "events": world.event.slug,
        "districts": "ma-3",
        "newsletter": world.issue.slug,
        "desk": world.group.slug,
        # embed/events/<slug>/ is one event's card; embed/groups/<slug>/events/ a group's (a district's: <district>)
        "embed": world.event.slug if endpoint.route.startswith("embed/events/") else world.group.slug,
        "allies": "tenants-union",
    }[prefix]


def outcome(response) -> str:
    if response.status_code in (301, 302, 303):
        path = urlsplit(response["Location"]).path
        return LOGIN if path == "/accounts/login/" and "next=" in response["Location"] else "→" + path
    return str(response.status_code)


def body_of(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    return content.decode("utf-8", "replace")


REFUSALS = {LOGIN, "403", "404", "→/admin/"}


# --- The test --------------------------------------------------------------------------------------


def test_every_url_answers_each_member_of_the_cast_as_the_permission_table_says(
    activist, rep_ma3, rep_ma5, coordinator, staff_client_factory, django_capture_on_commit_callbacks
):
    endpoints = list(walk(get_resolver()))
    world = build_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks)

    # Every URL has a rule, and every rule a URL.
    unlisted = sorted(e.key for e in endpoints if rule_for(e) is None)
    assert not unlisted, f"URLs missing from the permission table: {unlisted}"
    keys = {e.key for e in endpoints}
    stale = sorted(set(SITE) | set(ADMIN_EVERYONE) | set(ADMIN_CUSTOM) | (set(ADMIN_SITE) - {"<catch-all>"}))
    stale = [k for k in stale if k not in keys]
    registered = {m._meta.label_lower for m in admin.site._registry}
    stale += sorted(set(ADMIN_MODELS) - registered)
    assert not stale, f"rows for URLs that no longer exist: {stale}"

    clients = {"visitor": Client()}
    for role in ("member", "organizer", "other_organizer"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    for role in STAFF_ROLES:
        clients[role] = staff_client_factory(world.users[role])
    from allauth.mfa.models import Authenticator

    world.objects["mfa.authenticator"] = Authenticator.objects.get(user=rep_ma3)

    placeholders = {"{group}": world.group.slug, "{event}": world.event.slug}
    mismatches: list[str] = []
    opened: dict[str, list[tuple[str, str]]] = {role: [] for role in OUTSIDERS}
    # Pages that must show personal data to those entitled: proof that the search below can see it.
    controls = {
        ("organizer", "groups:members_csv"): ["pat", "quinn"],
        ("organizer", "events:attendees_csv"): ["pat", "quinn", "gwen", "pat_answer", "gwen_answer"],
        ("organizer", "events:attendees"): ["pat_answer", "gwen_answer"],
        ("coordinator", "admin:newsletter_subscriber_changelist"): ["sue"],
        ("coordinator", "admin:groups_relaymessage_changelist"): ["rex"],
        ("coordinator", "admin:allies_ally_change"): ["ally"],  # coordinators keep the ally's contact
    }
    control_bodies: dict[tuple[str, str], str] = {}
    for endpoint in endpoints:
        rule = rule_for(endpoint)
        url = fill(endpoint, world)
        found = admin_model_key(endpoint)
        if found:
            change = reverse(f"admin:{found[0].replace('.', '_')}_change", args=[world.objects[found[0]].pk])
            placeholders["{change}"] = change
        for role in ROLES:
            expected = rule.get[role]
            for name, value in placeholders.items():
                expected = expected.replace(name, value)
            response = clients[role].get(url)
            got = outcome(response)
            if got != expected:
                mismatches.append(f"GET  {url} as {role}: {got}, table says {expected}  [{endpoint.key}]")
            if got == OK and role in OUTSIDERS:
                opened[role].append((url, body_of(response)))
            if (role, endpoint.key) in controls:
                control_bodies[(role, endpoint.key)] = body_of(response)
            post_expected = rule.post.get(role, expected if expected in REFUSALS else None)
            if post_expected is None:
                continue
            for name, value in placeholders.items():
                post_expected = post_expected.replace(name, value)
            got = outcome(clients[role].post(url))
            if got != post_expected:
                mismatches.append(f"POST {url} as {role}: {got}, table says {post_expected}  [{endpoint.key}]")

    assert not mismatches, "\n".join(["answers that differ from the permission table:", *mismatches])

    # Personal data: nobody sees another person's address or surname in a page they can open.
    # The secret links (a member's feed, the unsubscribe and preference links of their mail)
    # show that member's own data to whoever holds them, and nobody else's.
    for (role, key), whose in controls.items():
        for person_key in whose:
            assert world.personal[person_key][0] in control_bodies[(role, key)], f"{key} as {role} lacks {person_key}"
    token_urls = {fill(e, world) for e in endpoints if e.key in world.tokens}
    leaks = []
    for role, pages in opened.items():
        assert len(pages) > 30, f"{role} opened only {len(pages)} pages: the walk went wrong"
        for url, body in pages:
            own = {role} | ({"member"} if url in token_urls else set())
            for whose, (email, surname) in world.personal.items():
                if whose in own:
                    continue
                for marker in filter(None, (email, surname)):
                    if marker.lower() in body.lower():
                        leaks.append(f"{url} as {role} shows {whose}'s {marker}")
    assert not leaks, "\n".join(["personal data in pages outsiders can open:", *leaks])


# --- The email service's webhooks: the one hole the walk found ---------------------------------------


FORGED_BOUNCE = {
    "RecordType": "Bounce",
    "Type": "HardBounce",
    "TypeCode": 1,
    "Email": "sue@example.org",
    "Description": "forged",
    "Details": "smtp;550 5.1.1 no such user",
    "BouncedAt": "2026-03-01T10:00:00Z",
    "MessageID": "00000000-0000-0000-0000-000000000000",
    "Metadata": {},
}


@pytest.mark.parametrize("secret", [None, "user:pass"])
def test_a_stranger_cannot_report_a_forged_bounce_and_have_a_subscriber_suppressed(db, client, settings, secret):
    """Without a webhook secret anymail accepts anyone's POST (it only warns), so the webhooks are
    off until the secret is set; with it, a POST without the secret is refused."""
    import json

    from newsletter.models import ConsentSource, Subscriber, SubscriberStatus

    settings.ANYMAIL = {"WEBHOOK_SECRET": secret} if secret else {}
    sue = Subscriber.objects.create(
        email="sue@example.org",
        status=SubscriberStatus.CONFIRMED,
        consent_at=timezone.now(),
        consent_source=ConsentSource.PAGE,
    )
    response = client.post("/anymail/postmark/tracking/", json.dumps(FORGED_BOUNCE), content_type="application/json")
    assert response.status_code == (400 if secret else 404)
    sue.refresh_from_db()
    assert not sue.suppressed
    # A service whose client library is missing (Amazon SES needs boto3) is "not here", not a 500.
    assert client.post("/anymail/amazon_ses/tracking/", "{}", content_type="application/json").status_code == 404


# --- A group that is not listed is not revealed by its calendar either ---------------------------


def test_the_calendar_of_a_group_waiting_for_its_rep_is_not_revealed_to_outsiders(client, activist):
    """The group's page is a 404 for outsiders until it is approved; its calendar was a 200 that
    named it (found by reading the views for the walk)."""
    from groups import services as group_services

    organizer = user_ensure(email="olga@example.org", password=PASSWORD, first_name="Olga")
    details = group_services.GroupDetails(name="Secret Pending Group", home_town=Town.objects.get(name="Lowell"))
    pending = group_services.group_submit(submitter=organizer, details=details)
    address = f"/groups/{pending.slug}/calendar.ics"

    assert client.get(f"/groups/{pending.slug}/").status_code == 404
    assert client.get(address).status_code == 404
    client.force_login(activist)
    assert client.get(address).status_code == 404
    client.force_login(organizer)
    response = client.get(address)
    assert response.status_code == 200 and b"Secret Pending Group" in response.content


# --- "View on site": the admin's shortcut obeys each object's own page ----------------------------


def test_view_on_site_opens_only_the_pages_each_member_of_the_cast_may_see_for_every_registered_model(
    activist, rep_ma3, rep_ma5, coordinator, staff_client_factory, django_capture_on_commit_callbacks
):
    """``/admin/r/<content type>/<id>/`` redirected any staff member to the page of any object,
    reachable or not: another district's pending group, a draft event or newsletter, a member's
    secret calendar feed. Now it redirects only where the page itself would open for that person,
    and answers exactly as for an id that does not exist otherwise (a 404, no Location)."""
    from events.models import Event, EventStatus, MemberCalendar
    from groups import services as group_services
    from newsletter import services as newsletter_services

    world = build_world(activist, rep_ma3, rep_ma5, coordinator, django_capture_on_commit_callbacks)
    ma5_town = world.other_group.home_town
    details = group_services.GroupDetails(name="Quiet Pending Group", home_town=ma5_town)
    pending = group_services.group_submit(submitter=world.users["other_organizer"], details=details)
    start = (timezone.now() + timedelta(days=9)).replace(second=0, microsecond=0)
    draft_event = Event.objects.create(
        slug="unannounced-ma5-action", title="Unannounced action", host_group=world.other_group,
        starts_at=start, ends_at=start + timedelta(hours=1), town=ma5_town, district=ma5_town.primary_district,
        status=EventStatus.DRAFT, join_url="https://meet.example/secret-room",
        created_by=world.users["other_organizer"],
    )  # fmt: skip
    draft_issue = newsletter_services.newsletter_save(
        by=coordinator, subject="Embargoed plans", preheader="", body_markdown="Soon.", audience_all=True,
        districts=[], include_events=False,
    )  # fmt: skip
    feed = MemberCalendar.objects.get(user=activist)

    clients = {"visitor": Client()}
    for role in ("member", "organizer"):
        clients[role] = Client()
        clients[role].force_login(world.users[role])
    for role in STAFF_ROLES:
        clients[role] = staff_client_factory(world.users[role])
    from allauth.mfa.models import Authenticator

    world.objects["mfa.authenticator"] = Authenticator.objects.get(user=rep_ma3)

    # Who may open each object's page on the site (the rest of the staff get a 404).
    everyone_on_staff = set(STAFF_ROLES)
    public = {"districts.district": everyone_on_staff, "districts.legislativedistrict": everyone_on_staff,
              "groups.group": everyone_on_staff,
              "events.event": everyone_on_staff, "newsletter.newsletter": everyone_on_staff}  # fmt: skip
    cases = [(label, obj, public.get(label, set())) for label, obj in world.objects.items()]
    assert {label for label, _, _ in cases} == {m._meta.label_lower for m in admin.site._registry}
    cases += [
        ("groups.group", pending, {"other_rep", "coordinator"}),  # its reps and the coordinators
        ("events.event", draft_event, {"coordinator"}),  # drafts: only those who run the event
        ("newsletter.newsletter", draft_issue, set()),  # the archive shows sent issues only
        ("events.membercalendar", feed, set()),  # a secret address: never
    ]
    secrets = [pending.slug, draft_event.slug, draft_issue.slug, feed.token]

    mismatches, redirects = [], 0
    for label, obj, viewers in cases:
        content_type = ContentType.objects.get_for_model(obj)
        url = reverse("admin:view_on_site", args=[content_type.pk, obj.pk])
        for role, client in clients.items():
            response = client.get(url)
            location = response.get("Location", "")
            if role in viewers:
                expected, got = "→" + obj.get_absolute_url(), outcome(response)
                redirects += 1
            else:
                expected = {"visitor": LOGIN, "member": "403", "organizer": "403"}.get(role, "404")
                got = outcome(response)
                if expected == "404" and location:
                    got += f" with Location {location}"
            if got != expected:
                mismatches.append(f"{label} #{obj.pk} as {role}: {got}, expected {expected}")
            leaked = [s for s in secrets if s in location and role not in viewers]
            if leaked:
                mismatches.append(f"{label} #{obj.pk} as {role}: Location {location} reveals {leaked}")
    # Control: the walk sees redirects where they are due (five public objects and two private ones).
    assert redirects == 5 * 3 + 2 + 1, redirects
    assert not mismatches, "\n".join(["view on site answers:", *mismatches])


def test_view_on_site_answers_404_to_ids_that_do_not_exist_or_do_not_parse(staff_client_factory, coordinator):
    """Bad ids, unknown content types and models without a page are one same 404, never a 500."""
    from groups.models import Group

    client = staff_client_factory(coordinator)
    group_type = ContentType.objects.get_for_model(Group).pk
    for content_type, object_id in [
        (group_type, "999999"),
        (group_type, "99999999999999999999"),
        (group_type, "not-a-number"),
        (99999999999999999999, "1"),
        (999999, "1"),
        (ContentType.objects.get_for_model(Site).pk, "1"),  # no page on the site at all
    ]:
        response = client.get(f"/admin/r/{content_type}/{object_id}/")
        assert response.status_code == 404 and "Location" not in response, (content_type, object_id)
    # A NUL in the id is refused before the admin sees it, as in every other address.
    response = client.get(f"/admin/r/{group_type}/%00/")
    assert response.status_code == 400 and "Location" not in response


def test_no_address_routes_to_djangos_unchecked_shortcut():
    """``contenttypes.views.shortcut`` redirects to any object's page; the admin's is replaced by
    the policy-aware one and no other address may serve Django's."""
    from django.contrib.contenttypes.views import shortcut

    def callbacks(resolver):
        for entry in resolver.url_patterns:
            if isinstance(entry, URLResolver):
                yield from callbacks(entry)
            else:
                yield entry.callback

    assert not [cb for cb in callbacks(get_resolver()) if getattr(cb, "__wrapped__", cb) is shortcut or cb is shortcut]


def test_the_view_on_site_button_shows_only_where_it_opens_the_page(
    rep_ma3, coordinator, staff_client_factory, lowell_group
):
    """Reps moderate their district's draft events but do not see them on the site (only the
    people who run an event do): the change page offers no link that would be a 404."""
    from events.models import Event, EventStatus

    start = (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    draft = Event.objects.create(
        slug="draft-ma3-meeting", title="Draft meeting", host_group=lowell_group, starts_at=start,
        ends_at=start + timedelta(hours=1), town=lowell_group.home_town, district=lowell_group.district,
        status=EventStatus.DRAFT,
    )  # fmt: skip
    shortcut = reverse("admin:view_on_site", args=[ContentType.objects.get_for_model(Event).pk, draft.pk])
    group_shortcut = reverse(
        "admin:view_on_site", args=[ContentType.objects.get_for_model(lowell_group).pk, lowell_group.pk]
    )
    rep, coord = staff_client_factory(rep_ma3), staff_client_factory(coordinator)

    page = rep.get(reverse("admin:events_event_change", args=[draft.pk])).content.decode()
    assert "Draft meeting" in page and shortcut not in page and "View on site" not in page
    page = coord.get(reverse("admin:events_event_change", args=[draft.pk])).content.decode()
    assert shortcut in page and "View on site" in page  # control: the page can show it
    page = rep.get(reverse("admin:groups_group_change", args=[lowell_group.pk])).content.decode()
    assert group_shortcut in page
