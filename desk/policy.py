"""Who opens which desk: the one policy of the desk's pages, services and emails.

A rep (a current board seat, staff in "District reps") opens the desks of their districts; a
coordinator opens every desk and the statewide view. A group's contact log is read through a
district it serves (``GroupDistrict``), by that district's reps and by coordinators, as
moderation is (``groups.policy.can_moderate``). Members, organizers and the public open nothing.
Features follow the events' moderation: a rep features the events filed under their districts.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from districts.models import District
from districts.policy import is_coordinator, rep_district_ids
from events.models import Event, EventQuerySet
from groups.models import Group, GroupDistrict, GroupQuerySet, GroupStatus

AnyUser = User | AnonymousUser

# The listings a desk shows: the approved ones and those waiting for their rep. Rejected and
# archived listings are no longer anybody's work.
DESK_STATUSES = (GroupStatus.APPROVED, GroupStatus.PENDING)


def desk_district_ids(user: AnyUser) -> set[int] | None:
    """The districts whose desks this person opens; None means every district (coordinators)."""
    if is_coordinator(user):
        return None
    cached = getattr(user, "_desk_district_ids", None)
    if cached is None:
        cached = rep_district_ids(user)
        if user.is_authenticated:
            user._desk_district_ids = cached  # type: ignore[attr-defined]  # a per-request memo
    return cached


def has_desk(user: AnyUser) -> bool:
    ids = desk_district_ids(user)
    return ids is None or bool(ids)


def can_open_district(user: AnyUser, district: District) -> bool:
    ids = desk_district_ids(user)
    return ids is None or district.pk in ids


def can_see_health(user: AnyUser) -> bool:
    return is_coordinator(user)


def desk_groups(district: District) -> GroupQuerySet:
    """The groups on a district's desk: every group serving one of its towns, listed or waiting."""
    return Group.objects.serving_district_ids({district.pk}).filter(status__in=DESK_STATUSES)


def can_read_log(user: AnyUser, group: Group) -> bool:
    """A group's contact log: coordinators, and the reps of a district the group serves."""
    ids = desk_district_ids(user)
    if ids is None:
        return True
    return bool(ids) and GroupDistrict.objects.filter(group=group, district_id__in=ids).exists()


def can_feature(user: AnyUser, event: Event) -> bool:
    """Feature or unfeature an event: coordinators anywhere; a rep for an event of their districts
    (its district, as moderation scopes events: ``events.policy.can_moderate``)."""
    if not has_desk(user):
        return False
    ids = desk_district_ids(user)
    return ids is None or (event.district_id is not None and event.district_id in ids)


def featurable_events(district: District) -> EventQuerySet:
    """The events a district's desk may feature: upcoming, published, filed under the district."""
    return Event.objects.listed().filter(district=district)
