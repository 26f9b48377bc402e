"""The groups cast adds an organizer to the shared one, and a factory for groups.

- ``organizer``: Olga, the organizer of ``lowell_group`` (approved, MA-3, serves Lowell and
  Chelmsford).
- ``staff_client``: the one way admin tests sign in (``staff_client_factory``, TOTP satisfied).
"""

from __future__ import annotations

import pytest

from accounts.services import user_ensure
from districts.models import Town
from groups import services
from groups.models import Group, GroupStatus
from tests.conftest import PASSWORD


@pytest.fixture
def make_group(db):
    def make(
        name: str,
        towns: tuple[str, ...] = ("Lowell",),
        *,
        status: GroupStatus = GroupStatus.APPROVED,
        organizer=None,
        description: str = "",
        requires_approval: bool = False,
    ) -> Group:
        town_objs = [Town.objects.get(name=t) for t in towns]
        details = services.GroupDetails(
            name=name,
            home_town=town_objs[0],
            other_towns=town_objs[1:],
            description=description,
            requires_approval=requires_approval,
        )
        if organizer is None:
            organizer = user_ensure(email=f"org-{Group.objects.count()}@example.org", password=PASSWORD)
        group = services.group_submit(submitter=organizer, details=details)
        if status != GroupStatus.PENDING:
            moderator = user_ensure(email="system-mod@example.org", password=PASSWORD)
            if status == GroupStatus.APPROVED:
                services.group_approve(group=group, actor=moderator)
            elif status == GroupStatus.REJECTED:
                services.group_reject(group=group, actor=moderator, reason="test")
            else:
                services.group_archive(group=group, actor=moderator)
        group.refresh_from_db()
        return group

    return make


@pytest.fixture
def organizer(db):
    return user_ensure(
        email="olga@example.org",
        password=PASSWORD,
        first_name="Olga",
        last_name="Okonkwo",
        home_town=Town.objects.get(name="Lowell"),
    )


@pytest.fixture
def lowell_group(make_group, organizer):
    return make_group(
        "Lowell Indivisible",
        ("Lowell", "Chelmsford"),
        organizer=organizer,
        description="We meet about **climate** and democracy.",
    )


@pytest.fixture
def staff_client(staff_client_factory):
    """A client signed in as this user with the staff second factor satisfied (the shared way)."""
    return staff_client_factory


@pytest.fixture
def bulk_groups(db):
    """Many approved groups quickly (bulk inserts, no services): for query-count tests only."""
    from django.utils import timezone

    from groups.models import GroupDistrict

    def make(count: int, start: int = 0) -> None:
        # Towns taken round-robin over the districts, so that any 9 groups cover all nine.
        by_district: dict[int, list[Town]] = {}
        for town in Town.objects.order_by("name"):
            by_district.setdefault(town.primary_district_id, []).append(town)
        columns = list(by_district.values())
        towns = [col[i] for i in range(max(map(len, columns))) for col in columns if i < len(col)]
        now = timezone.now()
        groups = Group.objects.bulk_create(
            [
                Group(
                    name=f"Bulk group {n:04d}" + (" climate" if n % 3 == 0 else ""),
                    slug=f"bulk-group-{n:04d}",
                    status=GroupStatus.APPROVED,
                    home_town=towns[n % len(towns)],
                    district_id=towns[n % len(towns)].primary_district_id,
                    search_text=f"bulk group {n:04d} {towns[n % len(towns)].name.lower()}"
                    + (" climate" if n % 3 == 0 else ""),
                    approved_at=now,
                    last_confirmed=now,
                )
                for n in range(start, start + count)
            ]
        )
        through = Group.towns.through
        links, districts = [], []
        for i, group in enumerate(groups):
            home = towns[(start + i) % len(towns)]
            other = towns[(start + i + 1) % len(towns)]
            links += [through(group_id=group.pk, town_id=home.pk), through(group_id=group.pk, town_id=other.pk)]
            for district_id in {home.primary_district_id, other.primary_district_id}:
                districts.append(GroupDistrict(group=group, district_id=district_id))
        through.objects.bulk_create(links)
        GroupDistrict.objects.bulk_create(districts)

    return make
