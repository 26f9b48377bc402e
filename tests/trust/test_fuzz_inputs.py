"""Property-based tests: arbitrary strings and numbers at every query parameter and form.

Whatever comes in, the answer is never a 500, and a submission that is refused (the form shown
again, 400, 429) writes nothing: the rows that the form would create or change are counted or
compared before and after. Hypothesis's text includes NUL characters, which PostgreSQL refuses
in strings; each fixed ``@example`` is an input that once broke a similar site.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, Phase, example, given, settings
from hypothesis import strategies as st

from events.models import Event
from groups.models import Group, GroupClaim, RelayMessage, TeamVolunteer
from newsletter import tokens
from newsletter.models import Newsletter, Subscriber
from outbox.models import OutboundEmail

pytestmark = pytest.mark.django_db

ANY_TEXT = st.text(max_size=300)
# Numbers as people and scripts type them: huge, negative, fractional, exponent, or not a number.
NUMBERISH = st.one_of(
    st.integers(min_value=-(10**30), max_value=10**30).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(str),
    st.sampled_from(["", "0", "-1", "1e309", "0x10", "١٢", "NaN", "2" * 400, "1,000", " 3 "]),
    ANY_TEXT,
)
DATEISH = st.one_of(
    st.dates().map(lambda d: d.isoformat()),
    st.datetimes().map(lambda d: d.isoformat()),
    st.sampled_from(["", "2026-02-30", "0000-00-00", "9999-12-31", "2026-13", "-1-1", "2026-1-1T25:61"]),
    ANY_TEXT,
)
# No shrinking: on a shared machine it can take minutes, and the failing example is reported anyway.
# How many random inputs each test tries is the Hypothesis profile's (tests/conftest.py).
FUZZ = settings(
    deadline=None,
    phases=[Phase.explicit, Phase.reuse, Phase.generate],
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
REFUSED = (200, 400, 403, 404, 429)


def _rows(*models) -> tuple[int, ...]:
    return tuple(model.objects.count() for model in models)


def _page_status(params: dict) -> int:
    """What a page answers for these query parameters: 400 for a NUL anywhere in the query (no
    lookup may meet it: imc.middleware.RefuseControlCharactersMiddleware), else the page."""
    values = [str(v) for value in params.values() for v in (value if isinstance(value, list) else [value])]
    return 400 if any("\x00" in v for v in values) else 200


# --- query parameters of the public pages --------------------------------------------------


@FUZZ
@given(q=ANY_TEXT)
@example(q="\x00")
@example(q="01852\x00")
@example(q="%" * 100)
def test_find_never_fails_whatever_the_query(client, q):
    assert client.get("/find/", {"q": q}).status_code == _page_status({"q": q})


@FUZZ
@given(q=ANY_TEXT, town=ANY_TEXT, zip_code=ANY_TEXT, district=ANY_TEXT, page=NUMBERISH, stale=ANY_TEXT)
@example(q="\x00", town="\x00", zip_code="\x00", district="\x00", page="\x00", stale="\x00")
@example(q="a", town="Lowell", zip_code="01852", district="ma-3", page="99999999999999999999", stale="on")
def test_the_directory_never_fails_whatever_the_filters(client, lowell_group, q, town, zip_code, district, page, stale):
    params = {"q": q, "town": town, "zip": zip_code, "district": district, "page": page, "stale": stale}
    assert client.get("/groups/", params).status_code == _page_status(params)


@FUZZ
@given(
    zip_code=ANY_TEXT, town=ANY_TEXT, distance=NUMBERISH, district=ANY_TEXT, kind=ANY_TEXT,
    date_from=DATEISH, date_to=DATEISH, page=NUMBERISH, access=st.lists(ANY_TEXT, max_size=3), online=ANY_TEXT,
)  # fmt: skip
@example(zip_code="\x00", town="\x00", distance="\x00", district="\x00", kind="\x00", date_from="\x00",
         date_to="\x00", page="\x00", access=["\x00"], online="\x00")  # fmt: skip
@example(zip_code="01852", town="", distance="1e309", district="ma-3", kind="rally", date_from="2026-01-01",
         date_to="1900-01-01", page="-1", access=["asl"], online="on")  # fmt: skip
def test_the_event_list_and_calendar_never_fail_whatever_the_filters(
    client, zip_code, town, distance, district, kind, date_from, date_to, page, access, online
):
    params = {"zip": zip_code, "town": town, "distance": distance, "district": district, "type": kind,
              "date_from": date_from, "date_to": date_to, "page": page, "access": access, "online": online}  # fmt: skip
    assert client.get("/events/", params).status_code == _page_status(params)
    calendar = params | {"month": date_from[:7]}
    assert client.get("/events/calendar/", calendar).status_code == _page_status(calendar)


@FUZZ
@given(month=st.one_of(DATEISH, NUMBERISH), page=NUMBERISH)
@example(month="9999-12", page="1")  # once a 500: the next month is in year 10000
@example(month="0001-01", page="1")
@example(month="2026-0", page="0")
def test_the_calendar_and_archive_never_fail_whatever_the_month_or_page(client, month, page):
    assert client.get("/events/calendar/", {"month": month}).status_code == _page_status({"month": month})
    assert client.get("/newsletter/", {"page": page}).status_code == _page_status({"page": page})
    assert client.get("/groups/", {"page": page}).status_code == _page_status({"page": page})


# --- forms: no 500 and no partial write -----------------------------------------------------


@FUZZ
@given(
    name=ANY_TEXT, description=ANY_TEXT, meeting=ANY_TEXT, website=ANY_TEXT, home_town=NUMBERISH,
    other_towns=st.lists(NUMBERISH, max_size=3), approval=ANY_TEXT,
)  # fmt: skip
@example(name="\x00", description="\x00", meeting="\x00", website="javascript:alert(1)", home_town="1",
         other_towns=["\x00"], approval="")  # fmt: skip
@example(
    name="G", description="", meeting="", website="", home_town="1", other_towns=["-" + "1" * 31], approval=""
)  # once a 500 on SQLite: a key too big for an integer column
def test_the_group_forms_never_fail_and_never_half_write(
    client, organizer, lowell_group, name, description, meeting, website, home_town, other_towns, approval
):
    client.force_login(organizer)
    form = {"name": name, "description": description, "meeting_pattern": meeting, "website": website,
            "home_town": home_town, "other_towns": other_towns, "requires_approval": approval}  # fmt: skip
    before = _rows(Group, OutboundEmail)
    response = client.post("/groups/submit/", form)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _rows(Group, OutboundEmail) == before
    listing = Group.objects.values().get(pk=lowell_group.pk)
    towns = set(lowell_group.towns.values_list("pk", flat=True))
    response = client.post(f"/groups/{lowell_group.slug}/edit/", form)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Group.objects.values().get(pk=lowell_group.pk) == listing
        assert set(lowell_group.towns.values_list("pk", flat=True)) == towns


@FUZZ
@given(name=ANY_TEXT, email=ANY_TEXT, message=ANY_TEXT, volunteer=ANY_TEXT, claim=ANY_TEXT)
@example(name="\x00", email="a@example.org", message="\x00", volunteer="\x00", claim="\x00")
@example(name="A", email="a@example.org", message="x" * 5001, volunteer="x" * 2001, claim="x" * 2001)
def test_the_relay_volunteer_and_claim_forms_never_fail_and_never_half_write(
    client, activist, lowell_group, team, name, email, message, volunteer, claim
):
    for path in (f"/groups/{lowell_group.slug}/contact/", f"/teams/{team.slug}/contact/"):
        before = _rows(RelayMessage, OutboundEmail)
        response = client.post(path, {"name": name, "email": email, "message": message})
        assert response.status_code in (302, *REFUSED)
        if response.status_code != 302:
            assert _rows(RelayMessage, OutboundEmail) == before
    client.force_login(activist)
    before = _rows(TeamVolunteer)
    response = client.post(f"/teams/{team.slug}/help/", {"message": volunteer})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert _rows(TeamVolunteer) == before
    before = _rows(GroupClaim, OutboundEmail)
    response = client.post(f"/groups/{lowell_group.slug}/claim/", {"message": claim})
    assert response.status_code in (302, 200)
    if response.status_code == 200:
        assert _rows(GroupClaim, OutboundEmail) == before
    client.logout()


@FUZZ
@given(
    title=ANY_TEXT, kind=ANY_TEXT, starts=DATEISH, ends=DATEISH, online=ANY_TEXT, join_url=ANY_TEXT,
    venue=ANY_TEXT, town=NUMBERISH, capacity=NUMBERISH, recurrence=ANY_TEXT, occurrences=NUMBERISH,
    access=st.lists(ANY_TEXT, max_size=2), host=NUMBERISH,
)  # fmt: skip
@example(title="\x00", kind="rally", starts="2030-01-01T10:00", ends="2030-01-01T11:00", online="", join_url="",
         venue="\x00", town="1", capacity="\x00", recurrence="", occurrences="1", access=[], host="1")  # fmt: skip
@example(title="T", kind="rally", starts="2030-01-01T10:00", ends="2030-01-01T11:00", online="", join_url="",
         venue="", town="1", capacity="99999999999999999999", recurrence="weekly", occurrences="26", access=[],
         host="1")  # fmt: skip
def test_the_event_forms_never_fail_and_never_half_write(
    client, organizer, lowell_group, title, kind, starts, ends, online, join_url, venue, town, capacity,
    recurrence, occurrences, access, host,
):  # fmt: skip
    client.force_login(organizer)
    host = str(lowell_group.pk) if host == "1" else host
    form = {"title": title, "event_type": kind, "starts_at": starts, "ends_at": ends, "is_online": online,
            "join_url": join_url, "venue": venue, "address": venue, "town": town, "description": title,
            "capacity": capacity, "recurrence": recurrence, "occurrences": occurrences, "accessibility": access,
            "host_group": host, "remind_day_before": "on"}  # fmt: skip
    before = _rows(Event)
    response = client.post("/events/new/", form)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert _rows(Event) == before
    event = Event.objects.filter(host_group=lowell_group).first() or _event(lowell_group)
    saved = Event.objects.values().get(pk=event.pk)
    response = client.post(f"/events/{event.slug}/edit/", form)
    assert response.status_code in (200, 302)
    if response.status_code == 200:
        assert Event.objects.values().get(pk=event.pk) == saved


def _event(group: Group) -> Event:
    start = timezone.now() + timedelta(days=5)
    return Event.objects.create(
        slug=f"fuzz-{Event.objects.count()}", title="Meeting", host_group=group, starts_at=start,
        ends_at=start + timedelta(hours=1), town=group.home_town, district=group.district,
    )  # fmt: skip


@FUZZ
@given(email=ANY_TEXT, name=ANY_TEXT, place=ANY_TEXT, source=ANY_TEXT)
@example(email="a@example.org", name="\x00", place="\x00", source="page")
@example(email="a\x00@example.org", name="", place="", source="page")
@example(email="a@example.org", name="x" * 121, place="Lowell", source="footer")
def test_the_subscribe_and_preferences_forms_never_fail_and_never_half_write(client, email, name, place, source):
    before = _rows(Subscriber, OutboundEmail)
    response = client.post("/newsletter/", {"email": email, "name": name, "place": place, "source": source})
    assert response.status_code in (302, 400, 429)
    if response.status_code != 302:
        assert _rows(Subscriber, OutboundEmail) == before
    subscriber, _ = Subscriber.objects.get_or_create(email="kept@example.org", defaults={"name": "Kept"})
    saved = Subscriber.objects.values().get(pk=subscriber.pk)
    path = f"/newsletter/preferences/{tokens.preferences_token(subscriber.pk)}/"
    response = client.post(path, {"name": name, "place": place})
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert Subscriber.objects.values().get(pk=subscriber.pk) == saved


# Every address with a token or a slug in it; the token fills {t}.
TOKEN_PATHS = [
    "/newsletter/confirm/{t}/", "/newsletter/unsubscribe/{t}/", "/newsletter/preferences/{t}/",
    "/groups/confirm/{t}/", "/events/cant-come/{t}/", "/events/feed/{t}.ics", "/events/{t}/",
    "/events/{t}/event.ics", "/groups/{t}/", "/groups/{t}/calendar.ics", "/districts/{t}/", "/newsletter/{t}/",
    "/teams/{t}/",
]  # fmt: skip
CONTROL_CHARACTERS = st.characters(categories=["Cc"]) | st.sampled_from(["\u2028", "\u2029"])


@FUZZ
@given(token=ANY_TEXT)
@example(token="\x00")
@example(token="1:" + "A" * 500)
@example(token="abc\x00def")  # once a 500: the NUL reached PostgreSQL through the feed lookup
def test_token_links_never_fail_whatever_the_token(client, token):
    token = quote("x" + token, safe="")
    for template in TOKEN_PATHS:
        assert client.get(template.format(t=token)).status_code in (200, 400, 404, 410), template


@FUZZ
@given(before=ANY_TEXT, control=CONTROL_CHARACTERS, after=ANY_TEXT)
@example(before="", control="\x00", after="")
@example(before="abc", control="\n", after="def")
@example(before="1:", control="\u2028", after="x")
def test_a_control_character_in_a_token_is_refused_before_any_lookup(client, before, control, after):
    token = quote("x" + before + control + after, safe="")
    for template in TOKEN_PATHS:
        assert client.get(template.format(t=token)).status_code in (400, 404), template


@FUZZ
@given(subject=ANY_TEXT, preheader=ANY_TEXT, body=ANY_TEXT, districts=st.lists(NUMBERISH, max_size=3), when=DATEISH)
@example(subject="\x00", preheader="\x00", body="\x00", districts=["\x00"], when="\x00")
@example(subject="S", preheader="", body="[x](javascript:alert(1))", districts=["99999999999999999999"], when="")
def test_the_compose_page_never_fails_and_never_half_writes(
    staff_client_factory, coordinator, subject, preheader, body, districts, when
):
    client = staff_client_factory(coordinator)
    form = {"subject": subject, "preheader": preheader, "body_markdown": body, "districts": districts}
    before = _rows(Newsletter)
    response = client.post("/newsletter/staff/new/", form)
    assert response.status_code in (302, 400)
    if response.status_code == 400:
        assert _rows(Newsletter) == before
    response = client.post("/newsletter/staff/preview/", form)
    assert response.status_code == 200 and set(response.json()) == {"html", "text", "reader"}
    draft = Newsletter.objects.order_by("pk").first()
    if draft is not None:
        saved = Newsletter.objects.values().get(pk=draft.pk)
        response = client.post(f"/newsletter/staff/{draft.pk}/schedule/", {"when": when})
        assert response.status_code == 302
        after = Newsletter.objects.values().get(pk=draft.pk)
        if after != saved:  # scheduled (or moved): only the status and time change, to a time ahead
            assert after["status"] == "scheduled" and after["scheduled_at"] > timezone.now()
            assert {k: v for k, v in after.items() if k not in ("status", "scheduled_at", "updated_at")} == {
                k: v for k, v in saved.items() if k not in ("status", "scheduled_at", "updated_at")
            }


@FUZZ
@given(home=ANY_TEXT, first=ANY_TEXT, last=ANY_TEXT)
@example(home="\x00", first="\x00", last="\x00")
@example(home="01852", first="x" * 151, last="")
def test_profile_form_never_fails_and_never_half_saves(client, activist, home, first, last):
    client.force_login(activist)
    before = (activist.first_name, activist.last_name, activist.home_town_id)
    response = client.post("/accounts/profile/edit/", {"first_name": first, "last_name": last, "home": home})
    assert response.status_code in (200, 302)
    activist.refresh_from_db()
    if response.status_code == 200:
        assert (activist.first_name, activist.last_name, activist.home_town_id) == before
    else:
        activist.first_name, activist.last_name, activist.home_town_id = before
        activist.save()


@FUZZ
@given(password=ANY_TEXT, decision=ANY_TEXT)
@example(password="\x00", decision="\x00")
def test_account_delete_and_member_decisions_never_fail_on_bad_input(
    client, activist, organizer, lowell_group, password, decision
):
    from accounts.models import User
    from groups.models import Membership

    client.force_login(activist)
    response = client.post("/accounts/delete/", {"password": password})
    assert response.status_code == 200  # never the right password: the form again, nothing deleted
    assert User.objects.filter(pk=activist.pk).exists()
    membership = Membership.objects.filter(group=lowell_group).first()
    saved = Membership.objects.values().get(pk=membership.pk)
    client.force_login(organizer)
    response = client.post(f"/groups/{lowell_group.slug}/members/{membership.pk}/", {"decision": decision})
    assert response.status_code == 302
    if decision not in {"approve", "decline", "make_organizer", "make_member"}:
        assert Membership.objects.values().get(pk=membership.pk) == saved
