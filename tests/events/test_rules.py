"""Every rule of a valid event, asked through the form and through the services directly.

The rules live once, in ``events.rules``: the form shows them, and ``event_create`` /
``event_update`` refuse them whoever calls (a script, the admin, another service), writing nothing.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from districts.models import Town
from events import services
from events.forms import EventForm
from events.models import Event, EventStatus, EventType
from groups.models import GroupStatus
from tests.events.conftest import make_event, make_group

SOON = (timezone.now() + timedelta(days=7)).replace(second=0, microsecond=0)


def _valid(lowell: Town) -> dict:
    return {
        "title": "Monthly meeting",
        "event_type": EventType.GROUP_MEETING,
        "starts_at": SOON,
        "ends_at": SOON + timedelta(hours=2),
        "is_online": False,
        "join_url": "",
        "venue": "Pollard Library",
        "town": lowell,
        "capacity": None,
    }


def _as_form_data(values: dict) -> dict:
    """The same values as the browser would post them."""
    data = {}
    for name, value in values.items():
        if value is None or value is False:
            data[name] = ""
        elif value is True:
            data[name] = "on"
        elif hasattr(value, "astimezone"):
            data[name] = timezone.localtime(value).strftime("%Y-%m-%dT%H:%M")
        elif hasattr(value, "pk"):
            data[name] = value.pk
        elif isinstance(value, list):
            data[name] = [getattr(v, "pk", v) for v in value]
        else:
            data[name] = value
    return data


# (what is wrong, the values that differ from a valid event, the field that must carry the problem)
CREATE_RULES = [
    ("ends before it starts", {"ends_at": SOON - timedelta(hours=1)}, "ends_at"),
    ("lasts longer than 14 days", {"ends_at": SOON + timedelta(days=15)}, "ends_at"),
    ("in person without a town", {"town": None}, "town"),
    ("online without a join link", {"is_online": True, "town": None, "join_url": ""}, "join_url"),
    (
        "starts in the past",
        {"starts_at": SOON - timedelta(days=9), "ends_at": SOON - timedelta(days=9, hours=-1)},
        "starts_at",
    ),
    ("repeats with one date", {"recurrence": "weekly", "occurrences": 1}, "occurrences"),
    ("repeats with too many dates", {"recurrence": "weekly", "occurrences": 27}, "occurrences"),
    ("repeats by an unknown rule", {"recurrence": "yearly", "occurrences": 2}, "recurrence"),
    ("has a negative capacity", {"capacity": -1}, "capacity"),
    ("has an unknown type", {"event_type": "rave"}, "event_type"),
    ("has no title", {"title": ""}, "title"),
    ("names unknown accessibility", {"accessibility": ["teleport"]}, "accessibility"),
    ("is co-hosted by its host", {"co_hosts": "HOST"}, "co_hosts"),
    ("is co-hosted by an unlisted group", {"co_hosts": "PENDING"}, "co_hosts"),
]
SERVICE_ONLY = {"recurrence", "occurrences", "co_hosts"}


@pytest.fixture
def setting(coordinator, lowell_group):
    pending = make_group("Indivisible Pending", "Worcester")
    pending.status = GroupStatus.PENDING
    pending.save()
    return {"HOST": [lowell_group], "PENDING": [pending], "lowell": Town.objects.get(name="Lowell")}


def _case(setting, overrides):
    values = _valid(setting["lowell"]) | overrides
    if isinstance(values.get("co_hosts"), str):
        values["co_hosts"] = setting[values["co_hosts"]]
    return values


@pytest.mark.parametrize(("problem", "overrides", "field"), CREATE_RULES, ids=[r[0] for r in CREATE_RULES])
def test_the_form_refuses_a_new_event_that(problem, overrides, field, setting, coordinator, lowell_group):
    values = _case(setting, overrides)
    form = EventForm(
        _as_form_data(values | {"host_group": lowell_group}), user=coordinator, creating=True, instance=Event()
    )
    assert not form.is_valid()
    assert field in form.errors, form.errors


@pytest.mark.parametrize(("problem", "overrides", "field"), CREATE_RULES, ids=[r[0] for r in CREATE_RULES])
def test_the_service_refuses_a_new_event_that(problem, overrides, field, setting, coordinator, lowell_group):
    values = _case(setting, overrides)
    extra = {name: values.pop(name) for name in SERVICE_ONLY if name in values}
    with pytest.raises(ValidationError) as refused:
        services.event_create(by=coordinator, host_group=lowell_group, **extra, **values)
    assert field in refused.value.message_dict
    assert not Event.objects.exists()


def test_the_valid_event_of_the_table_is_created(setting, coordinator, lowell_group):
    """The control: without the one wrong value, both accept it."""
    values = _valid(setting["lowell"])
    form = EventForm(
        _as_form_data(values | {"host_group": lowell_group}), user=coordinator, creating=True, instance=Event()
    )
    assert form.is_valid(), form.errors
    assert len(services.event_create(by=coordinator, host_group=lowell_group, **values)) == 1


UPDATE_RULES = [
    ("ends before it starts", {"ends_at": SOON - timedelta(hours=1)}, "ends_at"),
    ("lasts longer than 14 days", {"ends_at": SOON + timedelta(days=15)}, "ends_at"),
    ("in person without a town", {"town": None}, "town"),
    ("online without a join link", {"is_online": True, "town": None, "join_url": ""}, "join_url"),
    ("has a negative capacity", {"capacity": -1}, "capacity"),
    ("has an unknown type", {"event_type": "rave"}, "event_type"),
    ("has no title", {"title": ""}, "title"),
    ("is co-hosted by its host", {"co_hosts": "HOST"}, "co_hosts"),
]


@pytest.mark.parametrize(("problem", "overrides", "field"), UPDATE_RULES, ids=[r[0] for r in UPDATE_RULES])
def test_the_form_refuses_a_change_that_leaves_an_event_that(
    problem, overrides, field, setting, coordinator, lowell_group
):
    event = make_event(host_group=lowell_group, start=SOON, status=EventStatus.DRAFT)
    values = _case(setting, overrides)
    form = EventForm(_as_form_data(values), user=coordinator, creating=False, instance=event)
    assert not form.is_valid()
    assert field in form.errors, form.errors


@pytest.mark.parametrize(("problem", "overrides", "field"), UPDATE_RULES, ids=[r[0] for r in UPDATE_RULES])
def test_the_service_refuses_a_change_that_leaves_an_event_that(
    problem, overrides, field, setting, coordinator, lowell_group
):
    event = make_event(host_group=lowell_group, start=SOON, status=EventStatus.DRAFT, title="Before")
    values = _case(setting, overrides)
    co_hosts = values.pop("co_hosts", None)
    with pytest.raises(ValidationError) as refused:
        services.event_update(event=event, by=coordinator, co_hosts=co_hosts, **values)
    assert field in refused.value.message_dict
    event.refresh_from_db()
    assert (event.title, event.sequence) == ("Before", 0)


def test_an_event_already_past_can_still_be_corrected(coordinator, lowell_group):
    """The rule against a past start is for new events: organizers fix typos afterwards."""
    event = make_event(host_group=lowell_group, start=timezone.now() - timedelta(days=3))
    services.event_update(event=event, by=coordinator, title="Fixed title")
    event.refresh_from_db()
    assert event.title == "Fixed title"
