"""What makes an event valid: one function, asked by the event form and by the services alike.

The form shows the problems next to its fields; ``events.services`` raises them as a
``ValidationError`` whoever calls it (a view, the admin, a script), so nothing can create or save
what the form forbids. Who may host or run an event is not here: that is ``events.policy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from events.models import MAX_EVENT_DAYS, Accessibility, Event, Recurrence
from groups.models import Group, GroupStatus

MAX_OCCURRENCES = 26
# The fields every new event must have; the others have defaults.
REQUIRED_FIELDS = ("title", "starts_at", "ends_at")


def _field_problems(values: Mapping[str, Any]) -> dict[str, list[str]]:
    """The model's own field rules (length, choices, single line, URL, not negative)."""
    problems: dict[str, list[str]] = {}
    for name, value in values.items():
        field = Event._meta.get_field(name)
        if field.is_relation:
            continue  # a town is a Town: the caller's lookup already proved it exists
        try:
            field.clean(value, None)
        except ValidationError as exc:
            problems[name] = list(exc.messages)
    return problems


def event_problems(
    *,
    values: Mapping[str, Any],
    creating: bool,
    host_group: Group | None = None,
    co_hosts: Iterable[Group] = (),
    recurrence: str = Recurrence.NONE,
    occurrences: int = 1,
    now: datetime | None = None,
) -> dict[str, list[str]]:
    """Every reason ``values`` (the event's fields, after the change) cannot be saved, by field.

    ``creating`` adds the rules of a new event: the required fields, no start in the past, and a
    repeating event's dates. An existing event may be in the past (its organizers fix a typo).
    """
    problems = _field_problems(values)

    def add(field: str, message: str) -> None:
        problems.setdefault(field, []).append(message)

    if creating:
        for name in REQUIRED_FIELDS:
            if values.get(name) in (None, "") and name not in problems:
                add(name, "This field is required.")
    unknown_needs = sorted(set(values.get("accessibility") or []) - set(Accessibility.values))
    if unknown_needs:
        add("accessibility", f"Unknown accessibility features: {', '.join(map(str, unknown_needs))}.")
    starts, ends = values.get("starts_at"), values.get("ends_at")
    if starts and ends and ends < starts:
        add("ends_at", "The event must end after it starts.")
    elif starts and ends and ends - starts > timedelta(days=MAX_EVENT_DAYS):
        add("ends_at", f"An event lasts at most {MAX_EVENT_DAYS} days; make a repeating event instead.")
    if not values.get("is_online") and not values.get("town"):
        add("town", "Give the town of an in-person event, or mark it online.")
    if values.get("is_online") and not values.get("join_url"):
        add("join_url", "An online event needs a join link (only people who RSVP see it).")
    if creating and starts and timezone.localdate(starts) < timezone.localdate(now or timezone.now()):
        add("starts_at", "The event cannot start in the past.")
    if creating and recurrence not in Recurrence.values:
        add("recurrence", "Choose how the event repeats.")
    elif creating and recurrence and (occurrences or 1) < 2:
        add("occurrences", "A repeating event needs at least two dates.")
    elif creating and recurrence and occurrences > MAX_OCCURRENCES:
        add("occurrences", f"A repeating event has at most {MAX_OCCURRENCES} dates.")
    co_hosts = list(co_hosts)
    if host_group is not None and any(g.pk == host_group.pk for g in co_hosts):
        add("co_hosts", f"{host_group.name} hosts this event; it cannot co-host it too.")
    unlisted = [g.name for g in co_hosts if g.status != GroupStatus.APPROVED]
    if unlisted:
        add("co_hosts", f"Only listed groups can co-host: {', '.join(unlisted)}.")
    return problems


def event_check(**kwargs: Any) -> None:
    """``event_problems``, raised: what the services call before they write."""
    problems = event_problems(**kwargs)
    if problems:
        raise ValidationError(problems)


# --- RSVPs: seats, parties and the waitlist ------------------------------------------------------


class RsvpRefused(ValidationError):
    """An RSVP that cannot be taken as asked (the party does not fit); the message says why."""


def rsvp_outcome(*, capacity: int | None, taken: int, someone_waiting: bool, party_size: int) -> str:
    """Where an RSVP for ``party_size`` people goes: ``"going"`` or ``"waitlisted"``.

    ``taken`` counts people (each RSVP's whole party, and guests' holds still running). The
    rules, each a plain answer rather than a guess:

    - A party is 1 to MAX_PARTY people; one larger than the event's seats can never fit (an
      event with no seats at all takes a waitlist only).
    - Someone already waiting keeps their turn: a newcomer never jumps the waitlist.
    - A party fits in the seats left, or the event is full and it joins the waitlist; a party
      larger than the seats that are still left is refused, so it can come with fewer people
      (or wait until the event is full and join the waitlist).
    """
    from events.models import MAX_PARTY, RsvpStatus

    if not 1 <= party_size <= MAX_PARTY:
        raise RsvpRefused(f"An RSVP is for 1 to {MAX_PARTY} people, you included.")
    if capacity is None:
        return RsvpStatus.GOING
    if 0 < capacity < party_size:  # (no seats at all is "waitlist only": the organizer adds seats later)
        raise RsvpRefused(f"This event has {capacity} seats in all: a party of {party_size} cannot fit.")
    left = max(capacity - taken, 0)
    if someone_waiting or left == 0:
        return RsvpStatus.WAITLISTED
    if party_size > left:
        seats = "1 seat is" if left == 1 else f"{left} seats are"
        raise RsvpRefused(f"Only {seats} left: RSVP for {left} or fewer people.")
    return RsvpStatus.GOING


def waitlist_serves(*, free: int, parties: list[int]) -> int:
    """How many of the waiting parties (in line order) the ``free`` seats take: in order, and
    the first that does not fit stops the line (nobody behind overtakes it)."""
    served = 0
    for size in parties:
        if size > free:
            break
        free -= size
        served += 1
    return served


# --- the event's questions and the answers to them -----------------------------------------------
# Asked by the questions form and by ``events.services.event_questions_set`` (what a question may
# be), and by both RSVP forms and the RSVP services (what an answer may be), so a script or a
# forged POST cannot store what the forms refuse.

MAX_QUESTIONS = 5
MAX_CHOICES = 10
MAX_CHOICE_LENGTH = 100
MAX_LABEL_LENGTH = 200
MAX_ANSWER_LENGTH = 500
YES, NO = "yes", "no"
# The ready-made question an organizer adds with one tick.
ACCOMMODATION_QUESTION = {
    "kind": "text",
    "label": "Do you need any accommodation to take part?",
    "choices": [],
    "required": False,
}


def question_problems(*, kind: str, label: str, choices: list[str]) -> dict[str, list[str]]:
    """Why one question cannot be saved, by field (``kind``, ``label``, ``choices``)."""
    from events.models import QuestionKind

    problems: dict[str, list[str]] = {}
    if kind not in QuestionKind.values:
        problems["kind"] = ["Choose what kind of answer the question takes."]
    label = (label or "").strip()
    if not label:
        problems["label"] = ["Write the question."]
    elif len(label) > MAX_LABEL_LENGTH or "\n" in label or "\r" in label:
        problems["label"] = [f"A question is one line of at most {MAX_LABEL_LENGTH} characters."]
    if kind in (QuestionKind.ONE, QuestionKind.MANY):
        if len(choices) < 2:
            problems["choices"] = ["Give at least two choices, one a line."]
        elif len(choices) > MAX_CHOICES:
            problems["choices"] = [f"Give at most {MAX_CHOICES} choices."]
        elif any(not c or len(c) > MAX_CHOICE_LENGTH for c in choices):
            problems["choices"] = [f"Each choice is 1 to {MAX_CHOICE_LENGTH} characters."]
        elif len(set(choices)) != len(choices):
            problems["choices"] = ["Each choice may be given only once."]
    elif choices:
        problems["choices"] = ["Only a one-choice or several-choices question has choices."]
    return problems


def questions_check(questions: Sequence[Mapping[str, Any]]) -> None:
    """Raise ``ValidationError`` when a set of questions cannot be saved (too many, or one bad)."""
    if len(questions) > MAX_QUESTIONS:
        raise ValidationError(f"An event asks at most {MAX_QUESTIONS} questions.")
    for number, question in enumerate(questions, start=1):
        problems = question_problems(
            kind=question.get("kind", ""), label=question.get("label", ""), choices=list(question.get("choices") or [])
        )
        if problems:
            messages = [m for found in problems.values() for m in found]
            raise ValidationError(f"Question {number}: {' '.join(messages)}")


def answer_problems(questions: Iterable, answers: Mapping[str, Any]) -> dict[str, list[str]]:
    """Why ``answers`` (keyed by ``EventQuestion.answer_key``) cannot be taken, by key.

    A required question must be answered; a choice must be one of the question's choices; a text
    is one line of at most MAX_ANSWER_LENGTH characters. An answer to no question of the event
    is refused too (a forged key).
    """
    from events.models import QuestionKind

    problems: dict[str, list[str]] = {}
    known = set()
    for question in questions:
        key = question.answer_key
        known.add(key)
        value = answers.get(key)
        empty = value in (None, "", [])
        if empty:
            if question.required:
                problems[key] = ["Please answer this question."]
            continue
        if question.kind == QuestionKind.TEXT:
            if not isinstance(value, str) or len(value) > MAX_ANSWER_LENGTH or "\n" in value or "\r" in value:
                problems[key] = [f"Answer in one line of at most {MAX_ANSWER_LENGTH} characters."]
        elif question.kind == QuestionKind.ONE:
            if value not in question.choices:
                problems[key] = ["Choose one of the answers given."]
        elif question.kind == QuestionKind.MANY:
            if not isinstance(value, list) or any(item not in question.choices for item in value):
                problems[key] = ["Choose among the answers given."]
        elif question.kind == QuestionKind.YES_NO and value not in (YES, NO):
            problems[key] = ["Answer yes or no."]
    for key in set(answers) - known:
        problems[key] = ["This event asks no such question."]
    return problems


def answers_clean(questions: Iterable, answers: Mapping[str, Any] | None) -> dict[str, Any]:
    """The answers to store: checked (``ValidationError`` naming each problem), texts stripped,
    empty answers left out, several choices in the question's order."""
    from events.models import QuestionKind

    questions = list(questions)
    tidy: dict[str, Any] = {}
    for key, value in (answers or {}).items():
        tidy[str(key)] = value.strip() if isinstance(value, str) else value
    problems = answer_problems(questions, tidy)
    if problems:
        labels = {q.answer_key: q.label for q in questions}
        raise ValidationError(
            [f"{labels.get(key, 'An answer')}: {' '.join(messages)}" for key, messages in sorted(problems.items())]
        )
    cleaned: dict[str, Any] = {}
    for question in questions:
        value = tidy.get(question.answer_key)
        if value in (None, "", []):
            continue
        if question.kind == QuestionKind.MANY:
            value = [choice for choice in question.choices if choice in value]
        cleaned[question.answer_key] = value
    return cleaned
