"""Who may do what with a group: the one policy the site's views and the admin both ask.

Moderation follows ``districts.policy``: coordinators (and superusers) moderate every group; a
district rep moderates the groups that serve a town in their district, so a group serving two
districts is moderated by both reps. Organizers edit their own listing and see its members.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.contrib.auth.models import AnonymousUser
from django.db.models import Q

from accounts.models import User
from districts.models import District, Town, TownQuerySet
from districts.policy import is_coordinator, rep_district_ids
from groups.models import Group, GroupQuerySet, GroupStatus, Membership, MembershipRole, MembershipStatus

AnyUser = User | AnonymousUser


def _rep_ids(user: AnyUser) -> set[int]:
    """``rep_district_ids`` once per user object: the admin asks it many times per request."""
    cached = getattr(user, "_groups_rep_district_ids", None)
    if cached is None:
        cached = rep_district_ids(user)
        if user.is_authenticated:
            user._groups_rep_district_ids = cached  # type: ignore[attr-defined]  # a per-object memo
    return cached


def is_organizer(user: AnyUser, group: Group) -> bool:
    """Whether this person is an active organizer of this group (other apps ask this too)."""
    if not (user.is_authenticated and user.is_active):
        return False
    return Membership.objects.filter(
        group=group, user=user, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE
    ).exists()


def moderated_groups(user: AnyUser) -> GroupQuerySet:
    """Every group this person moderates: all for coordinators, their districts' for reps."""
    if is_coordinator(user):
        return Group.objects.all()
    district_ids = _rep_ids(user)
    if not district_ids:
        return Group.objects.none()
    return Group.objects.serving_district_ids(district_ids)


def moderated_district_ids(user: AnyUser) -> set[int] | None:
    """The districts a moderator's choices are limited to; None means every district."""
    if is_coordinator(user):
        return None
    return _rep_ids(user)


def moderated_districts(user: AnyUser):
    ids = moderated_district_ids(user)
    return District.objects.all() if ids is None else District.objects.filter(pk__in=ids)


def can_moderate(user: AnyUser, group: Group) -> bool:
    if is_coordinator(user):
        return True
    district_ids = _rep_ids(user)
    return bool(district_ids) and group.district_links.filter(district_id__in=district_ids).exists()


def can_view(user: AnyUser, group: Group) -> bool:
    """Approved groups are public; the others only to their organizers and moderators."""
    if group.status == GroupStatus.APPROVED:
        return True
    return is_organizer(user, group) or can_moderate(user, group)


def can_edit(user: AnyUser, group: Group) -> bool:
    if group.status == GroupStatus.ARCHIVED:
        return can_moderate(user, group)
    return is_organizer(user, group) or can_moderate(user, group)


def assignable_towns(user: AnyUser, group: Group | None = None) -> TownQuerySet:
    """The towns this person may give ``group`` (a new listing when None), as its home or others.

    - A new listing may name any town: it waits for the reps of every district it serves.
    - Coordinators may give any town.
    - An organizer speaks for their own group and may give it any town, as they did when they
      listed it; the reps of a newly served district then moderate it (``can_moderate``).
    - A district rep may give the towns of the districts they moderate and keep the towns the
      group already serves, but never extend or move a group into a district that is not theirs.
    """
    if group is None or is_coordinator(user) or is_organizer(user, group):
        return Town.objects.all()
    served = Q(pk__in=group.towns.values("pk")) if group.pk else Q(pk__in=[])
    return Town.objects.filter(Q(primary_district_id__in=_rep_ids(user)) | served)


def towns_beyond_reach(user: AnyUser, group: Group | None, towns: Iterable[Town]) -> list[Town]:
    """Those of ``towns`` this person may not give ``group`` (``assignable_towns``), by name."""
    towns = list(towns)
    allowed = set(assignable_towns(user, group).filter(pk__in=[t.pk for t in towns]).values_list("pk", flat=True))
    return sorted({t.pk: t for t in towns if t.pk not in allowed}.values(), key=lambda t: t.name)


def can_see_members(user: AnyUser, group: Group) -> bool:
    """Member lists are personal data: only the group's own organizers see them."""
    return is_organizer(user, group)


def can_join(user: AnyUser, group: Group) -> bool:
    return bool(user.is_authenticated and user.is_active and group.status == GroupStatus.APPROVED)


def can_delete(user: AnyUser) -> bool:
    """Reps never delete: a rejected or archived listing keeps its history."""
    return is_coordinator(user)


def can_add_in_admin(user: AnyUser) -> bool:
    return is_coordinator(user)
