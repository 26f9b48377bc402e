"""The groups tests use the shared cast (``organizer``, ``lowell_group``, ``make_group`` in
tests/conftest.py) and add:

- ``staff_client``: the one way admin tests sign in (``staff_client_factory``, TOTP satisfied).
"""

from __future__ import annotations

import pytest

from districts.models import Town
from groups.models import Group, GroupStatus


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
