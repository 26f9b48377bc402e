"""The events cast: an organizer of a Lowell group, an outsider organizer, and plain members.

- ``organizer`` (Olga) organizes ``lowell_group`` (MA-3): the shared ones, tests/conftest.py.
- ``other_organizer`` (Oscar) organizes ``worcester_group`` (MA-2), and nothing in Lowell.
- ``members``: five members, Bob .. Fay, who RSVP.
"""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta

import pytest
from django.utils import timezone

from accounts.services import user_ensure
from districts.models import Town
from events.models import Event, EventStatus
from groups.models import Group, GroupStatus, Membership, MembershipRole, MembershipStatus
from tests.conftest import PASSWORD

_slugs = itertools.count(1)


def make_group(name: str, town_name: str, organizer=None) -> Group:
    town = Town.objects.get(name=town_name)
    group = Group.objects.create(
        name=name, slug=name.lower().replace(" ", "-"), status=GroupStatus.APPROVED, home_town=town,
        district=town.primary_district,
    )  # fmt: skip
    group.towns.add(town)
    if organizer is not None:
        Membership.objects.create(
            group=group, user=organizer, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE
        )
    return group


def make_event(
    *,
    host_group: Group | None = None,
    town: str | None = "Lowell",
    start: datetime | None = None,
    hours: float = 2,
    status: str = EventStatus.PUBLISHED,
    **extra,
) -> Event:
    """An event written straight to the table: setup only; the behaviour under test goes through services."""
    start = start or (timezone.now() + timedelta(days=3)).replace(second=0, microsecond=0)
    town_obj = Town.objects.get(name=town) if town else None
    district = town_obj.primary_district if town_obj else (host_group.district if host_group else None)
    return Event.objects.create(
        slug=f"test-event-{next(_slugs)}",
        title=extra.pop("title", "Test event"),
        host_group=host_group,
        starts_at=start,
        ends_at=start + timedelta(hours=hours),
        town=town_obj,
        district=district,
        status=status,
        **extra,
    )


@pytest.fixture
def other_organizer(db):
    return user_ensure(email="oscar@example.org", password=PASSWORD, first_name="Oscar")


@pytest.fixture
def worcester_group(other_organizer):
    return make_group("Indivisible Worcester", "Worcester", other_organizer)


@pytest.fixture
def members(db):
    names = ["Bob", "Carol", "Dave", "Erin", "Fay"]
    return [user_ensure(email=f"{n.lower()}@example.org", password=PASSWORD, first_name=n) for n in names]
