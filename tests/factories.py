"""Rows for tests, made through the services as the portal itself makes them.

The shared cast (tests/conftest.py) is built from these, and tests call them for more:

    from tests import factories

    group = factories.group("Worcester Indivisible", ("Worcester",))        # approved, with an organizer
    pending = factories.group("Lowell Pending", status=GroupStatus.PENDING, organizer=olga)
    member = factories.user("bob@example.org", first_name="Bob", home_town="Lowell")

A group goes through ``group_submit`` and then the moderation service for its status, so it has
what a real one has (towns served, districts, search text, the submitter as organizer, the
moderation log and the decision email). ``tests.events.conftest.make_event`` and
``make_group`` there still write rows directly, for states the services refuse to reach (events in
the past, groups with no organizer).
"""

from __future__ import annotations

from collections.abc import Iterable

from accounts.models import Role, User
from accounts.services import user_ensure
from districts.models import Town
from groups import services as group_services
from groups.models import Group, GroupStatus

PASSWORD = "a-long-test-password-123"
MODERATOR_EMAIL = "system-mod@example.org"


def user(
    email: str,
    *,
    first_name: str = "",
    last_name: str = "",
    home_town: str | None = None,
    roles: Iterable[Role] = (),
) -> User:
    """A signed-up member (password ``PASSWORD``), through ``user_ensure``."""
    return user_ensure(
        email=email,
        password=PASSWORD,
        first_name=first_name,
        last_name=last_name,
        home_town=Town.objects.get(name=home_town) if home_town else None,
        roles=tuple(roles),
    )


def group(
    name: str,
    towns: Iterable[str] | str = ("Lowell",),
    *,
    status: GroupStatus = GroupStatus.APPROVED,
    organizer: User | None = None,
    description: str = "",
    requires_approval: bool = False,
) -> Group:
    """A group serving ``towns`` (the first is its home town), submitted by ``organizer`` (a new
    member when None) and then approved, rejected or archived by a moderator as ``status`` says."""
    town_objs = [Town.objects.get(name=t) for t in ((towns,) if isinstance(towns, str) else towns)]
    details = group_services.GroupDetails(
        name=name,
        home_town=town_objs[0],
        other_towns=town_objs[1:],
        description=description,
        requires_approval=requires_approval,
    )
    if organizer is None:
        organizer = user(f"org-{Group.objects.count()}@example.org")
    created = group_services.group_submit(submitter=organizer, details=details)
    if status != GroupStatus.PENDING:
        moderator = user(MODERATOR_EMAIL, roles=(Role.COORDINATOR,))  # the services check the actor
        if status == GroupStatus.APPROVED:
            group_services.group_approve(group=created, actor=moderator)
        elif status == GroupStatus.REJECTED:
            group_services.group_reject(group=created, actor=moderator, reason="test")
        else:
            group_services.group_archive(group=created, actor=moderator)
    created.refresh_from_db()
    return created
