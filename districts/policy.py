"""Who may moderate what, by district. The one policy the admin and the views both ask.

Districts stand below accounts (a member's home town is a district's town), so the person is
asked through the user model's own ``is_coordinator`` and ``is_district_rep``, not imported.
"""

from __future__ import annotations

from typing import Protocol

from django.contrib.auth.models import AnonymousUser

from districts.models import BoardSeat, District, LegislativeDistrict


class User(Protocol):
    """What this policy asks of a person; the portal's user model (accounts.User) has it."""

    @property
    def is_authenticated(self) -> bool: ...
    @property
    def is_active(self) -> bool: ...
    @property
    def is_staff(self) -> bool: ...
    @property
    def is_coordinator(self) -> bool: ...
    @property
    def is_district_rep(self) -> bool: ...


def is_coordinator(user: User | AnonymousUser) -> bool:
    return bool(user.is_authenticated and user.is_active and user.is_coordinator)


def rep_district_ids(user: User | AnonymousUser) -> set[int]:
    """The districts whose listings this person moderates as a district rep (a current seat)."""
    if not (user.is_authenticated and user.is_active and user.is_staff):
        return set()
    if not user.is_district_rep:
        return set()
    return set(BoardSeat.objects.current().filter(user=user).values_list("district_id", flat=True))


def can_view_district(user: User | AnonymousUser, district: District) -> bool:
    """A district's page is public (its towns, board and listed groups)."""
    return True


def can_view_state_district(user: User | AnonymousUser, district: LegislativeDistrict) -> bool:
    """A State House or Senate district's page is public (its towns, precincts, legislator)."""
    return True


def sees_all_districts(user: User | AnonymousUser) -> bool:
    return is_coordinator(user)
