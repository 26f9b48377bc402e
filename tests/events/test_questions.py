"""The event's questions (issue 12): organizers ask up to five, everyone who RSVPs answers them,
and the answers are the event's organizers' alone (page, CSV), in the person's data download,
and gone with the account.

The rules table is ``events.rules.answer_problems`` / ``question_problems``; the pages are walked
with the outsiders of the cast (a member, another group's organizer, a visitor) and with the
bad inputs: a missing required answer, a choice that is not offered, a text too long, a forged
question id, a sixth question. Each gets a plain answer and writes nothing.
"""

from __future__ import annotations

import csv
import io
import json
import re

import pytest
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import rules, services
from events.models import EventQuestion, QuestionKind, Rsvp, RsvpStatus
from tests.conftest import PASSWORD
from tests.events.conftest import make_event

pytestmark = pytest.mark.django_db

ACCOMMODATION = rules.ACCOMMODATION_QUESTION["label"]


@pytest.fixture(autouse=True)
def _fresh_limits():
    cache.clear()  # the guest rate limits count in the cache
    yield
    cache.clear()


@pytest.fixture
def event(lowell_group):
    return make_event(host_group=lowell_group, capacity=20)


@pytest.fixture
def asked(event, organizer):
    """The event asks a required one-choice, an optional several-choices, a yes/no and a text."""
    return services.event_questions_set(
        event=event,
        by=organizer,
        questions=[
            {"kind": "one", "label": "Which shift?", "choices": ["Morning", "Afternoon"], "required": True},
            {"kind": "many", "label": "What can you bring?", "choices": ["Signs", "Water", "Snacks"]},
            {"kind": "yes_no", "label": "First time with us?"},
        ],
        add_accommodation=True,
    )


def _key(questions, label: str) -> str:
    return next(q for q in questions if q.label == label).answer_key


def _member_post(client, event, questions, **answers_by_label):
    data = {"bringing": "0"}
    for question in questions:
        value = answers_by_label.get(question.label)
        if value is not None:
            data[f"question_{question.pk}"] = value
    return client.post(f"/events/{event.slug}/rsvp/", data)


# --- the rules table ---------------------------------------------------------------------------


def _q(kind: str, *, required: bool = False, choices=("A", "B")):
    return EventQuestion(pk=1, kind=kind, label="Q", required=required, choices=list(choices))


@pytest.mark.parametrize(
    ("question", "answer", "problem"),
    [
        (_q("text"), "Wheelchair access, please", None),
        (_q("text"), None, None),  # optional: no answer is fine
        (_q("text", required=True), None, "Please answer"),
        (_q("text", required=True), "", "Please answer"),
        (_q("text"), "x" * rules.MAX_ANSWER_LENGTH, None),
        (_q("text"), "x" * (rules.MAX_ANSWER_LENGTH + 1), "one line"),
        (_q("text"), "two\nlines", "one line"),
        (_q("text"), ["a", "list"], "one line"),
        (_q("one"), "A", None),
        (_q("one"), "C", "one of the answers"),
        (_q("one", required=True), None, "Please answer"),
        (_q("many"), ["A", "B"], None),
        (_q("many"), ["A", "Z"], "among the answers"),
        (_q("many"), "A", "among the answers"),
        (_q("many", required=True), [], "Please answer"),
        (_q("yes_no"), "yes", None),
        (_q("yes_no"), "no", None),
        (_q("yes_no"), "maybe", "yes or no"),
    ],
)
def test_the_answer_rules(question, answer, problem):
    answers = {} if answer is None else {"1": answer}
    problems = rules.answer_problems([question], answers)
    if problem is None:
        assert problems == {}
    else:
        assert problem in problems["1"][0]


def test_an_answer_to_a_question_the_event_does_not_ask_is_refused():
    assert "no such question" in rules.answer_problems([_q("text")], {"99": "hi"})["99"][0]


@pytest.mark.parametrize(
    ("kind", "label", "choices", "field"),
    [
        ("text", "Anything we should know?", [], None),
        ("one", "Which shift?", ["Morning", "Evening"], None),
        ("text", "", [], "label"),
        ("text", "x" * (rules.MAX_LABEL_LENGTH + 1), [], "label"),
        ("text", "Two\nlines", [], "label"),
        ("one", "Which shift?", ["Only one"], "choices"),
        ("many", "Which?", [str(n) for n in range(rules.MAX_CHOICES + 1)], "choices"),
        ("many", "Which?", ["Same", "Same"], "choices"),
        ("text", "Which?", ["A", "B"], "choices"),  # a text question has no choices
        ("essay", "Which?", [], "kind"),
    ],
)
def test_the_question_rules(kind, label, choices, field):
    problems = rules.question_problems(kind=kind, label=label, choices=choices)
    assert (field in problems) if field else problems == {}


# --- organizers edit the questions ---------------------------------------------------------------


def _questions_post(client, event, items, *, accommodation=False, initial=0):
    data = {
        "questions-TOTAL_FORMS": str(rules.MAX_QUESTIONS),
        "questions-INITIAL_FORMS": str(initial),
        "questions-MIN_NUM_FORMS": "0",
        "questions-MAX_NUM_FORMS": str(rules.MAX_QUESTIONS),
    }
    for n in range(rules.MAX_QUESTIONS):
        item = items[n] if n < len(items) else {}
        data[f"questions-{n}-kind"] = item.get("kind", "text")
        for name in ("id", "label", "choices", "required", "DELETE"):
            if item.get(name) not in (None, False):
                data[f"questions-{n}-{name}"] = "on" if item[name] is True else item[name]
    if accommodation:
        data["add_accommodation"] = "on"
    return client.post(f"/events/{event.slug}/questions/", data)


def test_an_organizer_adds_questions_and_the_accommodation_one_with_a_tick(client, organizer, event):
    client.force_login(organizer)
    page = client.get(event.get_absolute_url()).content.decode()
    assert f"/events/{event.slug}/questions/" in page  # reachable from the event's page
    form = client.get(f"/events/{event.slug}/questions/").content.decode()
    assert ACCOMMODATION in form
    response = _questions_post(
        client,
        event,
        [{"kind": "one", "label": "Which shift?", "choices": "Morning\nAfternoon\n", "required": True}],
        accommodation=True,
    )
    assert response.status_code == 302
    questions = list(event.questions.all())
    assert [(q.label, q.kind, q.choices, q.required) for q in questions] == [
        ("Which shift?", QuestionKind.ONE, ["Morning", "Afternoon"], True),
        (ACCOMMODATION, QuestionKind.TEXT, [], False),
    ]
    # Ticking it again does not ask it twice.
    services.event_questions_set(
        event=event, by=organizer, questions=[{"id": q.pk, **_item(q)} for q in questions], add_accommodation=True
    )
    assert event.questions.filter(label=ACCOMMODATION).count() == 1


def _item(question) -> dict:
    return {"kind": question.kind, "label": question.label, "choices": question.choices, "required": question.required}


def test_a_bad_question_re_renders_the_form_and_saves_nothing(client, organizer, event):
    client.force_login(organizer)
    response = _questions_post(
        client, event, [{"kind": "text", "label": "Fine question"}, {"kind": "one", "label": "Pick", "choices": "One"}]
    )
    assert response.status_code == 400
    assert "at least two choices" in response.content.decode()
    assert not EventQuestion.objects.exists()


def test_an_event_asks_at_most_five_questions(client, organizer, event, asked):
    five = [_item(q) for q in asked] + [{"kind": "text", "label": "Fifth?"}]
    services.event_questions_set(
        event=event, by=organizer, questions=[{"id": q.pk, **_item(q)} for q in asked] + five[4:]
    )
    assert event.questions.count() == 5
    with pytest.raises(ValidationError, match="at most 5"):
        services.event_questions_set(event=event, by=organizer, questions=[*five, {"kind": "text", "label": "Sixth?"}])
    client.force_login(organizer)
    # Five forms filled, and the accommodation tick would make six: refused on the page.
    saved = list(event.questions.all())
    four = [{"id": str(q.pk), **_item(q), "choices": "\n".join(q.choices)} for q in saved if q.label != ACCOMMODATION]
    response = _questions_post(
        client, event, [*four, {"kind": "text", "label": "Another?"}], accommodation=True, initial=4
    )
    assert response.status_code == 400 and "at most 5" in response.content.decode()
    assert event.questions.count() == 5


def test_a_question_of_another_event_cannot_be_changed_through_this_one(organizer, lowell_group, event, asked):
    other = make_event(host_group=lowell_group)
    theirs = services.event_questions_set(event=other, by=organizer, questions=[{"kind": "text", "label": "Theirs"}])
    with pytest.raises(ValidationError):
        services.event_questions_set(
            event=event, by=organizer, questions=[{"id": theirs[0].pk, "kind": "text", "label": "Hijacked"}]
        )
    assert EventQuestion.objects.get(pk=theirs[0].pk).label == "Theirs"
    assert event.questions.count() == 4


@pytest.mark.parametrize("who", ["visitor", "member", "other_organizer"])
def test_outsiders_cannot_open_or_post_the_questions_page(client, who, event, asked, members, other_organizer):
    person = {"visitor": None, "member": members[0], "other_organizer": other_organizer}[who]
    if person is not None:
        client.force_login(person)
    url = f"/events/{event.slug}/questions/"
    expected = 302 if person is None else 404
    assert client.get(url).status_code == expected
    assert _questions_post(client, event, [{"kind": "text", "label": "Mine now"}]).status_code == expected
    assert event.questions.count() == 4
    if person is not None:
        with pytest.raises(PermissionDenied):
            services.event_questions_set(event=event, by=person, questions=[])


def test_removing_a_question_removes_its_answers(organizer, event, asked, members):
    shift = _key(asked, "Which shift?")
    first = _key(asked, "First time with us?")
    services.rsvp_create(event=event, user=members[0], answers={shift: "Morning", first: "yes"})
    kept = [q for q in asked if q.label != "First time with us?"]
    services.event_questions_set(event=event, by=organizer, questions=[{"id": q.pk, **_item(q)} for q in kept])
    assert Rsvp.objects.get().answers == {shift: "Morning"}


# --- answering: members and guests -------------------------------------------------------------


def test_a_member_answers_the_questions_when_they_rsvp(client, members, event, asked):
    client.force_login(members[0])
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Which shift?" in page and ACCOMMODATION in page
    response = _member_post(
        client,
        event,
        asked,
        **{"Which shift?": "Afternoon", "What can you bring?": ["Water", "Signs"], ACCOMMODATION: "  A ramp  "},
    )
    assert response.status_code == 302
    rsvp = Rsvp.objects.get()
    assert rsvp.status == RsvpStatus.GOING
    assert rsvp.answers == {
        _key(asked, "Which shift?"): "Afternoon",
        _key(asked, "What can you bring?"): ["Signs", "Water"],  # in the question's order
        _key(asked, ACCOMMODATION): "A ramp",
    }


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ({}, "This field is required"),  # the required shift
        ({"Which shift?": "Midnight"}, "Select a valid choice"),
        ({"Which shift?": "Morning", "First time with us?": "perhaps"}, "Select a valid choice"),
        ({"Which shift?": "Morning", ACCOMMODATION: "x" * 501}, "at most 500 characters"),
        ({"Which shift?": "Morning", ACCOMMODATION: "line\nbreak"}, "one line"),
    ],
)
def test_a_member_rsvp_with_a_bad_answer_re_renders_the_page_and_writes_nothing(
    client, members, event, asked, answers, message
):
    client.force_login(members[0])
    response = _member_post(client, event, asked, **answers)
    assert response.status_code == 400
    body = response.content.decode()
    assert message in body
    if answers.get("Which shift?") == "Morning":  # what was typed stays in the form
        assert re.search(r'<input[^>]*value="Morning"[^>]*checked', body)
    assert not Rsvp.objects.exists()


def test_the_service_refuses_bad_answers_whoever_calls_it(members, event, asked):
    with pytest.raises(ValidationError, match="Which shift"):
        services.rsvp_create(event=event, user=members[0], answers={})
    with pytest.raises(ValidationError, match="no such question"):
        services.rsvp_create(event=event, user=members[0], answers={_key(asked, "Which shift?"): "Morning", "999": "x"})
    with pytest.raises(ValidationError):
        services.guest_rsvp_request(event=event, name="G", email="g@example.net", answers={"999": "x"})
    assert not Rsvp.objects.exists()


def _guest_post(client, event, questions, **answers_by_label):
    data = {"name": "Gina Guest", "email": "gina@example.net", "zip_code": "", "bringing": "0"}
    for question in questions:
        value = answers_by_label.get(question.label)
        if value is not None:
            data[f"question_{question.pk}"] = value
    return client.post(f"/events/{event.slug}/rsvp/guest/", data)


def test_a_guest_answers_on_the_guest_form_and_a_bad_answer_is_told_plainly(client, event, asked):
    form = client.get(f"/events/{event.slug}/rsvp/guest/").content.decode()
    assert "Which shift?" in form and "First time with us?" in form
    response = _guest_post(client, event, asked, **{"Which shift?": "Never"})
    assert response.status_code == 400 and "Select a valid choice" in response.content.decode()
    assert not Rsvp.objects.exists()
    response = _guest_post(client, event, asked, **{"Which shift?": "Morning", "First time with us?": "yes"})
    assert response.status_code == 200
    rsvp = Rsvp.objects.get()
    assert rsvp.status == RsvpStatus.PENDING
    assert rsvp.answers == {_key(asked, "Which shift?"): "Morning", _key(asked, "First time with us?"): "yes"}


# --- who sees the answers ------------------------------------------------------------------------


@pytest.fixture
def answered(event, asked, members):
    """Bob and Carol answered; Carol's accommodation answer tries to be a spreadsheet formula."""
    shift, access = _key(asked, "Which shift?"), _key(asked, ACCOMMODATION)
    services.rsvp_create(event=event, user=members[0], answers={shift: "Morning", access: "Bob needs a ramp"})
    services.rsvp_create(event=event, user=members[1], answers={shift: "Afternoon", access: '=HYPERLINK("x")'})
    return members[0], members[1]


def test_the_organizer_sees_every_answer_on_the_attendees_page_and_in_the_csv(
    client, organizer, event, asked, answered
):
    client.force_login(organizer)
    page = client.get(f"/events/{event.slug}/attendees/").content.decode()
    assert "Which shift?" in page and "Bob needs a ramp" in page and "Afternoon" in page
    body = client.get(f"/events/{event.slug}/attendees.csv").content.decode()
    header, *rows = list(csv.reader(io.StringIO(body)))
    assert header[-4:] == ["Which shift?", "What can you bring?", "First time with us?", ACCOMMODATION]
    by_name = {row[0]: row for row in rows}
    assert by_name["Bob"][-4:] == ["Morning", "", "", "Bob needs a ramp"]
    assert by_name["Carol"][-1] == '\'=HYPERLINK("x")'  # neutralised (imc.csvsafe)


def test_the_attendee_csv_query_count_does_not_grow_with_the_rsvps(client, organizer, event, asked, answered, members):
    client.force_login(organizer)
    client.get(f"/events/{event.slug}/attendees.csv")  # warm the session and the user

    with CaptureQueriesContext(connection) as few:
        client.get(f"/events/{event.slug}/attendees.csv")
    for member in members[2:]:
        services.rsvp_create(event=event, user=member, answers={_key(asked, "Which shift?"): "Morning"})
    with CaptureQueriesContext(connection) as many:
        client.get(f"/events/{event.slug}/attendees.csv")
    assert len(many) == len(few)


@pytest.mark.parametrize("who", ["visitor", "attendee", "other_organizer"])
def test_nobody_but_the_organizers_sees_the_answers(client, who, event, asked, answered, other_organizer):
    bob, carol = answered
    person = {"visitor": None, "attendee": carol, "other_organizer": other_organizer}[who]
    if person is not None:
        client.force_login(person)
    page = client.get(event.get_absolute_url()).content.decode()
    assert "Bob needs a ramp" not in page  # another attendee's answer
    for url in (f"/events/{event.slug}/attendees/", f"/events/{event.slug}/attendees.csv"):
        assert client.get(url).status_code == (302 if person is None else 404)


def test_the_answers_are_in_the_members_data_download_and_go_with_the_account(client, event, asked, answered):
    bob, carol = answered
    client.force_login(bob)
    data = json.loads(client.get("/accounts/data/").content)
    [rsvp] = data["events"]["rsvps"]
    assert rsvp["answers"] == {"Which shift?": "Morning", ACCOMMODATION: "Bob needs a ramp"}
    assert "=HYPERLINK" not in json.dumps(data)  # Carol's answers are not Bob's
    assert client.post("/accounts/delete/", {"password": PASSWORD}).status_code == 302
    assert not Rsvp.objects.filter(answers__icontains="ramp").exists()
    assert Rsvp.objects.filter(user=carol).exists()


def test_a_guests_answers_are_in_their_data_download_and_erased_with_it(event, asked):
    from events.contributions import erase_address_data, export_address_data

    services.guest_rsvp_request(
        event=event, name="Gina", email="gina@example.net", answers={_key(asked, "Which shift?"): "Morning"}
    )
    [row] = export_address_data("gina@example.net")["rsvps"]
    assert row["answers"] == {"Which shift?": "Morning"}
    erase_address_data("gina@example.net")
    assert not Rsvp.objects.exists()
