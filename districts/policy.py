"""Who may moderate what, by district. The one policy the admin and the views both ask."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import Role, User
from districts.models import BoardSeat, District


def is_coordinator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_coordinator)


def rep_district_ids(user: User | AnonymousUser) -> set[int]:
    """The districts whose listings this person moderates as a district rep (a current seat)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return set()
    if not user.groups.filter(name=Role.DISTRICT_REP.value).exists():
        return set()
    return set(BoardSeat.objects.current().filter(user=user).values_list("district_id", flat=True))


def can_view_district(user: User | AnonymousUser, district: District) -> bool:
    """A district's page is public (its towns, board and listed groups)."""
    return True


def sees_all_districts(user: User | AnonymousUser) -> bool:
    return is_coordinator(user)
