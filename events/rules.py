"""What makes an event valid: one function, asked by the event form and by the services alike.

The form shows the problems next to its fields; ``events.services`` raises them as a
``ValidationError`` whoever calls it (a view, the admin, a script), so nothing can create or save
what the form forbids. Who may host or run an event is not here: that is ``events.policy``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
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
