"""Line breaks and control characters where a header or a calendar line goes.

The rule (imc/validators.py): a single-line field (a title, a name, a subject, a town) refuses
CR, LF, tab, NUL, every other control character and the Unicode line/paragraph separators; a
multi-line field keeps line breaks and tabs but refuses NUL and the other control characters.
Every form shows a clear message and writes nothing; every service refuses the same values; the
calendar writer and the reminder mail repair rows saved before the rule instead of failing; and
no control character in an address gets past the router to the database.
"""

from __future__ import annotations

import importlib
import inspect
from datetime import timedelta

import pytest
from django import forms
from django.contrib import admin
from django.core import mail
from django.core.exceptions import ValidationError
from django.utils import timezone
from icalendar import Calendar

from accounts.models import User
from districts.models import Town
from events.models import Event, EventStatus, MemberCalendar, Reminder, ReminderKind, ReminderStatus, Rsvp
from groups.models import Group, GroupClaim, RelayMessage, TeamVolunteer
from newsletter import tokens
from newsletter.models import Newsletter, Subscriber
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

ONE_LINE = "Keep this to one line"
CONTROL = "Remove the control character"

# Each bad character sits inside the text: a form strips leading and trailing whitespace.
SINGLE_LINE_BAD = [
    "Rally\r\nBcc: victim@example.org",
    "Rally\nnext line",
    "Rally\rnext",
    "Ral\x00ly",
    "Ral\u2028ly",
    "Ral\u2029ly",
    "Ral\x07ly",
    "Ral\x1b[31mly",
    "Ral\x85ly",
    "Ral\x7fly",
    "Ral\tly",
]
MULTI_LINE_BAD = ["Text\x00more", "Text\x07more", "Text\x1b[2Jmore", "Text\x7fmore", "Text\x0bmore", "Text\x9bmore"]
MULTI_LINE_GOOD = "Line one\r\nLine two\n\tindented"
# A URL loses tabs and line feeds to urlsplit on its own; these are what gets through it.
URL_BAD = ["https://example.org/ral\x07ly", "https://example.org/ral\x1bly", "https://example.org/ral\x7fly"]


def _start() -> str:
    return (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT10:00")


def _end() -> str:
    return (timezone.localtime() + timedelta(days=10)).strftime("%Y-%m-%dT11:00")


def _event_form(group: Group) -> dict:
    return {
        "title": "Town hall", "event_type": "rally", "starts_at": _start(), "ends_at": _end(),
        "venue": "Library", "address": "1 Main St", "town": str(group.home_town_id), "description": "Come.",
        "accessibility_notes": "", "host_group": str(group.pk), "remind_day_before": "on",
    }  # fmt: skip


def _group_form(town: Town) -> dict:
    return {"name": "New Group", "home_town": str(town.pk), "description": "Hello.", "meeting_pattern": "Mondays"}


# --- every form of the site: (path, who signs in, valid data, rows it writes) -------------------


def _form_cases(ctx) -> dict:
    group, team, lowell = ctx["group"], ctx["team"], ctx["group"].home_town
    event = ctx["event"]
    subscriber = ctx["subscriber"]
    return {
        "group submit": ("/groups/submit/", "organizer", _group_form(lowell), [Group, OutboundEmail]),
        "group edit": (f"/groups/{group.slug}/edit/", "organizer", _group_form(lowell), [Group]),
        "group contact": (
            f"/groups/{group.slug}/contact/", None,
            {"name": "Sam", "email": "sam@example.org", "message": "Hi."}, [RelayMessage, OutboundEmail],
        ),
        "team contact": (
            f"/teams/{team.slug}/contact/", None,
            {"name": "Sam", "email": "sam@example.org", "message": "Hi."}, [RelayMessage, OutboundEmail],
        ),
        "group claim": (
            f"/groups/{ctx['orphan'].slug}/claim/", "activist", {"message": "Me."}, [GroupClaim, OutboundEmail],
        ),
        "team help": (f"/teams/{team.slug}/help/", "activist", {"message": "Me."}, [TeamVolunteer]),
        "event create": ("/events/new/", "organizer", _event_form(group), [Event]),
        "event edit": (f"/events/{event.slug}/edit/", "organizer", _event_form(group), [Event]),
        "subscribe": (
            "/newsletter/", None, {"email": "new@example.org", "name": "Nia", "place": "Lowell", "source": "page"},
            [Subscriber, OutboundEmail],
        ),
        "preferences": (
            f"/newsletter/preferences/{tokens.preferences_token(subscriber.pk)}/", None,
            {"name": "Kept", "place": "Lowell"}, [Subscriber],
        ),
        "compose": (
            "/newsletter/staff/new/", "coordinator",
            {"subject": "News", "preheader": "Short", "body_markdown": "Body."}, [Newsletter],
        ),
        "profile": (
            "/accounts/profile/edit/", "activist", {"first_name": "Al", "last_name": "Ice", "home": "Lowell"}, [],
        ),
    }  # fmt: skip


# Which fields of each form take which corpus.
FORM_FIELDS = [
    ("group submit", "name", "single"), ("group submit", "meeting_pattern", "single"),
    ("group submit", "description", "multi"), ("group submit", "website", "url"),
    ("group edit", "name", "single"), ("group edit", "meeting_pattern", "single"),
    ("group edit", "description", "multi"), ("group edit", "facebook_url", "url"),
    ("group contact", "name", "single"), ("group contact", "message", "multi"),
    ("team contact", "name", "single"), ("team contact", "message", "multi"),
    ("group claim", "message", "multi"), ("team help", "message", "multi"),
    ("event create", "title", "single"), ("event create", "venue", "single"),
    ("event create", "address", "single"), ("event create", "description", "multi"),
    ("event create", "accessibility_notes", "multi"), ("event create", "join_url", "url"),
    ("event edit", "title", "single"), ("event edit", "venue", "single"), ("event edit", "description", "multi"),
    ("subscribe", "name", "single"), ("subscribe", "place", "single"),
    ("preferences", "name", "single"), ("preferences", "place", "single"),
    ("compose", "subject", "single"), ("compose", "preheader", "single"), ("compose", "body_markdown", "multi"),
    ("profile", "first_name", "single"), ("profile", "last_name", "single"), ("profile", "home", "single"),
]  # fmt: skip
CORPUS = {"single": SINGLE_LINE_BAD, "multi": MULTI_LINE_BAD, "url": URL_BAD}


@pytest.fixture
def ctx(organizer, activist, coordinator, lowell_group, team, staff_client_factory):
    start = timezone.now() + timedelta(days=5)
    event = Event.objects.create(
        slug="ctx-event", title="Meeting", host_group=lowell_group, starts_at=start, ends_at=start + timedelta(hours=1),
        town=lowell_group.home_town, district=lowell_group.district, status=EventStatus.PUBLISHED,
    )  # fmt: skip
    subscriber = Subscriber.objects.create(email="kept@example.org", name="Kept")
    orphan = Group.objects.create(
        name="Orphans", slug="orphans", status="approved", home_town=lowell_group.home_town,
        district=lowell_group.district,
    )  # fmt: skip
    return {"group": lowell_group, "orphan": orphan, "team": team, "event": event, "subscriber": subscriber,
            "organizer": organizer, "activist": activist, "coordinator": coordinator,
            "staff": staff_client_factory}  # fmt: skip


def _client(client, ctx, who):
    if who == "coordinator":
        return ctx["staff"](ctx["coordinator"])
    if who:
        client.force_login(ctx[who])
    return client


def _snapshot(ctx, models_: list) -> tuple:
    """Row counts, and the rows a form may change in place (compared whole)."""
    ctx["activist"].refresh_from_db()
    return (
        tuple(m.objects.count() for m in models_),
        list(Group.objects.order_by("pk").values()),
        list(Event.objects.order_by("pk").values()),
        list(Subscriber.objects.order_by("pk").values()),
        list(User.objects.filter(pk=ctx["activist"].pk).values("first_name", "last_name", "home_town")),
    )


@pytest.mark.parametrize("case", sorted({c for c, _, _ in FORM_FIELDS}))
def test_each_form_accepts_its_valid_data_so_the_refusals_below_mean_something(client, ctx, case):
    path, who, data, _ = _form_cases(ctx)[case]
    client = _client(client, ctx, who)
    before = _snapshot(ctx, _form_cases(ctx)[case][3])
    response = client.post(path, data)
    assert response.status_code == 302, (case, response.content.decode()[:3000])
    assert _snapshot(ctx, _form_cases(ctx)[case][3]) != before


@pytest.mark.parametrize(("case", "field", "kind"), FORM_FIELDS)
def test_every_form_field_refuses_line_breaks_and_control_characters_and_writes_nothing(client, ctx, case, field, kind):
    path, who, data, rows = _form_cases(ctx)[case]
    client = _client(client, ctx, who)
    expected = {"single": ONE_LINE, "multi": CONTROL, "url": ONE_LINE}[kind]
    for bad in CORPUS[kind]:
        before = _snapshot(ctx, rows)
        response = client.post(path, {**data, field: bad})
        assert response.status_code in (200, 400), (case, field, repr(bad), response.status_code)
        assert expected in response.content.decode(), (case, field, repr(bad))
        assert _snapshot(ctx, rows) == before, (case, field, repr(bad))


@pytest.mark.parametrize(("case", "field"), [(c, f) for c, f, k in FORM_FIELDS if k == "multi"])
def test_multi_line_fields_keep_line_breaks_and_tabs(client, ctx, case, field):
    path, who, data, _ = _form_cases(ctx)[case]
    client = _client(client, ctx, who)
    response = client.post(path, {**data, field: MULTI_LINE_GOOD})
    assert response.status_code == 302, (case, field)


def test_every_form_class_of_the_project_applies_the_rule():
    """Forms nobody thought of yet are held to the rule too: they must take the shared mixin."""
    from imc.forms import TextRulesMixin

    found = []
    for module_name in ("accounts.forms", "districts.forms", "events.forms", "groups.forms", "newsletter.forms"):
        module = importlib.import_module(module_name)
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, forms.BaseForm) and cls.__module__ == module_name:
                found.append(cls)
    assert len(found) >= 10
    assert [cls for cls in found if not issubclass(cls, TextRulesMixin)] == []


# --- every admin add page ---------------------------------------------------------------------


def test_every_admin_add_form_refuses_control_characters_in_its_text_fields(rf, django_user_model):
    superuser = django_user_model.objects.create(email="root@example.org", is_superuser=True, is_staff=True)
    request = rf.get("/admin/")
    request.user = superuser
    checked = 0
    for model, model_admin in admin.site._registry.items():
        if model._meta.app_label not in {"accounts", "districts", "events", "groups", "newsletter", "outbox"}:
            continue
        if not model_admin.has_add_permission(request):
            continue
        form_class = model_admin.get_form(request, None, change=False)
        for name, field in form_class.base_fields.items():
            if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
                continue
            multi = isinstance(field.widget, forms.Textarea)
            for bad in MULTI_LINE_BAD if multi else ["Ral\x07ly", "Ra\nlly", "Ral\u2028ly"]:
                form = form_class(data={name: bad})
                assert not form.is_valid()
                assert name in form.errors, (model, name, repr(bad))
            checked += 1
    assert checked >= 15


TEAM = {"name": "Housing", "slug": "housing", "description": "Homes.", "how_to_help": "Call.", "lead": ""}


@pytest.mark.parametrize(
    ("field", "bad"),
    [("name", "Hou\r\nsing"), ("name", "Hou\x07sing"), ("name", "Hou\u2028sing"), ("description", "Ho\x07mes"),
     ("how_to_help", "Ca\x1bll")],
)  # fmt: skip
def test_an_admin_add_page_shows_the_error_and_saves_nothing(staff_client_factory, coordinator, field, bad):
    client = staff_client_factory(coordinator)
    from districts.models import Team

    response = client.post("/admin/districts/team/add/", {**TEAM, field: bad})
    assert response.status_code == 200
    assert (ONE_LINE if field == "name" else CONTROL) in response.content.decode()
    assert not Team.objects.filter(slug="housing").exists()
    response = client.post("/admin/districts/team/add/", TEAM)  # control: the same data, clean, is saved
    assert response.status_code == 302 and Team.objects.filter(slug="housing").exists()


# --- services refuse too ------------------------------------------------------------------------


def test_the_services_refuse_what_the_forms_refuse(organizer, lowell_group, coordinator, activist):
    from accounts.services import profile_update
    from events.services import event_create, event_update
    from groups import services as group_services
    from newsletter.services.compose import newsletter_save
    from newsletter.services.subscribers import subscriber_update_preferences

    start = timezone.now() + timedelta(days=9)
    values = {"title": "Rally\r\nBcc: x@example.org", "starts_at": start, "ends_at": start + timedelta(hours=1),
              "town": lowell_group.home_town}  # fmt: skip
    events_before = Event.objects.count()
    with pytest.raises(ValidationError) as refused:
        event_create(by=organizer, host_group=lowell_group, **values)
    assert "title" in refused.value.message_dict
    assert Event.objects.count() == events_before
    event = event_create(by=organizer, host_group=lowell_group, **{**values, "title": "Rally"})[0]
    with pytest.raises(ValidationError):
        event_update(event=event, by=organizer, description="Body\x00")
    with pytest.raises(ValidationError):
        newsletter_save(by=coordinator, subject="Hi\r\nBcc: x", preheader="", body_markdown="B",
                        audience_all=True, districts=[], include_events=False)  # fmt: skip
    assert not Newsletter.objects.exists()
    with pytest.raises(ValidationError):
        profile_update(user=activist, first_name="A\nB", last_name="", home_town=None)
    subscriber = Subscriber.objects.create(email="s@example.org", name="S")
    with pytest.raises(ValidationError):
        subscriber_update_preferences(subscriber=subscriber, name="S\u2028T", town=None)
    details = group_services.GroupDetails(name="G\r\nH", home_town=lowell_group.home_town, other_towns=[])
    with pytest.raises(ValidationError):
        group_services.group_submit(submitter=organizer, details=details)
    activist.refresh_from_db()
    subscriber.refresh_from_db()
    event.refresh_from_db()
    assert (activist.first_name, subscriber.name, event.description) == ("Alice", "S", "")


def test_require_clean_text_checks_each_text_field_by_its_own_rule():
    from imc.validators import require_clean_text

    require_clean_text(Event, {"title": "Fine", "description": MULTI_LINE_GOOD, "capacity": 3})
    with pytest.raises(ValidationError) as refused:
        require_clean_text(Event, {"title": "A\nB", "description": "C\x00D", "venue": "ok"})
    assert set(refused.value.message_dict) == {"title", "description"}


# --- rows saved before the rule: the calendar and the reminder still work -----------------------

OLD_TITLE = "Rally\r\nBCC: victim@example.org\nX-Evil: 1\u2028more\x07bell\x1b[0m"


@pytest.fixture
def old_event(lowell_group, activist):
    start = timezone.now() + timedelta(days=3)
    event = Event.objects.create(
        slug="old-event", title="Rally", host_group=lowell_group, starts_at=start, ends_at=start + timedelta(hours=2),
        town=lowell_group.home_town, district=lowell_group.district, status=EventStatus.PUBLISHED,
        join_url="https://example.org/join",
    )  # fmt: skip
    # Written as an old row would be: past every validator.
    Event.objects.filter(pk=event.pk).update(
        title=OLD_TITLE, venue="Hall\r\nB", address="1 Main\x0bSt", description="Line\r\none\x07\x1b[2J\u2029two"
    )
    event.refresh_from_db()
    return event


def _parse(body: bytes):
    calendar = Calendar.from_ical(body)
    for line in body.split(b"\r\n"):
        assert not any(c < 0x20 and c != 0x09 or c == 0x7F for c in line), line
    return calendar


def test_an_old_event_with_line_breaks_in_its_title_gives_a_calendar_a_parser_reads(client, old_event, activist):
    response = client.get(f"/events/{old_event.slug}/event.ics")
    assert response.status_code == 200
    calendar = _parse(response.content)
    (entry,) = calendar.walk("VEVENT")
    assert "\n" not in str(entry["SUMMARY"]) and "\r" not in str(entry["SUMMARY"])
    assert str(entry["SUMMARY"]).startswith("Rally BCC: victim@example.org X-Evil: 1")
    assert "\x07" not in str(entry["DESCRIPTION"]) and "one" in str(entry["DESCRIPTION"])
    assert str(calendar["X-WR-CALNAME"]).startswith("Rally BCC")
    for path in ("/events/calendar.ics", f"/groups/{old_event.host_group.slug}/calendar.ics"):
        response = client.get(path)
        assert response.status_code == 200
        assert any(str(e["UID"]) == old_event.uid for e in _parse(response.content).walk("VEVENT"))
    feed = MemberCalendar.objects.create(user=activist)
    Rsvp.objects.create(event=old_event, user=activist, status="going")
    response = client.get(f"/events/feed/{feed.token}.ics")
    assert response.status_code == 200 and _parse(response.content).walk("VEVENT")


def test_a_reminder_of_an_old_event_with_line_breaks_in_its_title_is_delivered(
    old_event, activist, django_capture_on_commit_callbacks
):
    from events.reminders import reminders_tick

    rsvp = Rsvp.objects.create(event=old_event, user=activist, status="going")
    reminder = Reminder.objects.create(rsvp=rsvp, kind=ReminderKind.DAY_BEFORE, due_at=timezone.now())
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        assert reminders_tick() == 1
    reminder.refresh_from_db()
    assert reminder.status == ReminderStatus.SENT and reminder.skip_reason == ""
    assert reminder.email.status == "sent"
    (message,) = mail.outbox
    assert "\n" not in message.subject and "\r" not in message.subject and "\x07" not in message.subject
    headers = message.message()
    assert "X-Evil" not in headers and "BCC" not in {k.upper() for k in headers}
    (attachment,) = [a for a in message.attachments if a[0].endswith(".ics")]
    _parse(attachment[1].encode() if isinstance(attachment[1], str) else attachment[1])


def test_an_old_newsletter_with_a_line_break_in_its_subject_still_builds_one_subject_line(coordinator):
    from newsletter import rendering
    from newsletter.services.messages import build_bulk_message

    issue = Newsletter.objects.create(subject="Hi", slug="old-issue", body_markdown="Body.", created_by=coordinator)
    Newsletter.objects.filter(pk=issue.pk).update(subject="Hi\r\nBcc: victim@example.org")
    issue.refresh_from_db()
    message = build_bulk_message(rendering.render_issue(issue), to="reader@example.org", name="", subscriber_id=None)
    headers = message.message()
    assert headers["Subject"] == "Hi Bcc: victim@example.org" and "Bcc" not in headers


def test_single_line_repairs_any_text_for_a_header():
    from imc.validators import single_line

    assert single_line(OLD_TITLE) == "Rally BCC: victim@example.org X-Evil: 1 more bell [0m"


# --- URL tokens: no control character reaches the database --------------------------------------

BAD_TOKENS = ["%00", "abc%00def", "%0A", "x%0D%0Ay", "%E2%80%A8", "%07", "%1B", "a%7Fb", "%C2%85", "%09"]


def _token_paths(ctx) -> list[str]:
    group = ctx["group"]
    return [
        "/events/feed/{t}.ics", "/events/cant-come/{t}/", "/newsletter/confirm/{t}/", "/newsletter/unsubscribe/{t}/",
        "/newsletter/preferences/{t}/", "/groups/confirm/{t}/", "/events/{t}/", "/events/{t}/event.ics",
        "/events/{t}/rsvp/", "/groups/{t}/", "/groups/{t}/calendar.ics", "/districts/{t}/",
        "/districts/{t}/calendar.ics", "/newsletter/{t}/", "/teams/{t}/", f"/groups/{group.slug}/members/{{t}}/",
        "/newsletter/staff/1/{t}/", "/accounts/confirm-email/{t}/", "/accounts/password/reset/key/{t}/",
        "/admin/newsletter/newsletter/{t}/change/", "/admin/groups/group/{t}/change/",
        "/{t}/", "/find/{t}",
    ]  # fmt: skip


def test_control_characters_in_any_url_token_answer_404_or_400_never_500(client, ctx, staff_client_factory):
    staff = staff_client_factory(ctx["coordinator"])
    for template in _token_paths(ctx):
        for token in BAD_TOKENS:
            path = template.format(t=token)
            for who in (client, staff):
                assert who.get(path).status_code in (400, 404), path
                assert who.post(path).status_code in (400, 404, 405), path


@pytest.mark.parametrize("query", ["q=%00", "q=a%00b", "town=%00&zip=1", "month=%00", "%00=1"])
def test_a_nul_in_a_query_string_answers_400(client, query):
    for path in ("/find/", "/groups/", "/events/", "/events/calendar/", "/newsletter/", "/admin/login/"):
        assert client.get(f"{path}?{query}").status_code == 400, (path, query)


def test_a_good_token_still_opens_its_page(client, ctx, activist):
    """Control: the converters and the middleware refuse only what they should."""
    feed = MemberCalendar.objects.create(user=activist)
    assert client.get(f"/events/feed/{feed.token}.ics").status_code == 200
    subscriber = ctx["subscriber"]
    assert client.get(f"/newsletter/unsubscribe/{tokens.unsubscribe_token(subscriber.pk)}/").status_code == 200
    assert client.get(f"/newsletter/preferences/{tokens.preferences_token(subscriber.pk)}/").status_code == 200
    assert client.get("/find/?q=Lowell").status_code == 200
    assert client.get("/events/?town=a%0Ab").status_code == 200  # other controls in a query: the form refuses them
