"""Who may do what with an event: the one policy the site's views and the admin both ask.

- A group's organizers run the events their group hosts; coordinators run coalition-wide ones
  (and may run any event).
- Who RSVP'd is personal data: only the people who run the event see it, and the answers to
  the event's questions with it (nobody sees another attendee's answers).
- A private address (``Event.address_is_private``) is seen by those who run the event and by the
  people with a confirmed seat (a going RSVP, member's or guest's); everyone else, and every
  public page, feed, API answer and embed, gets the town only (``sees_address``).
- Naming another group as co-host only invites it: one of that group's own organizers accepts or
  declines (nobody else, not even a coordinator: it is that group's page and feed). The people
  who run the event may withdraw the invitation.
- District reps moderate (see, unpublish) the events of their own districts in the admin, under
  the same district scoping as groups; coordinators moderate every event.
"""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from districts.policy import is_coordinator, rep_district_ids
from events.models import CoHostInvitation, Event, EventQuerySet, EventStatus, Rsvp, RsvpStatus
from groups.models import Group, GroupStatus, MembershipRole, MembershipStatus
from groups.policy import is_organizer

AnyUser = User | AnonymousUser


def can_host_for(user: AnyUser, group: Group | None) -> bool:
    """Whether this person may create events hosted by ``group`` (None: the coalition)."""
    if is_coordinator(user):
        return True
    return group is not None and group.status == GroupStatus.APPROVED and is_organizer(user, group)


def can_manage(user: AnyUser, event: Event) -> bool:
    """Edit, publish, cancel, see RSVPs, export, mark attendance, check in, write to its people."""
    if is_coordinator(user):
        return True
    return event.host_group_id is not None and is_organizer(user, event.host_group)  # type: ignore[arg-type]


def sees_address(user: AnyUser | None, event: Event, *, rsvp: Rsvp | None = None) -> bool:
    """Whether the reader gets the venue and street address of ``event``.

    ``rsvp`` is the reader's own RSVP when there is one (a mail or a feed is for one RSVP: a guest
    has no user); waitlisted, pending and cancelled RSVPs hold no seat, so they get the town only.
    """
    if not event.address_is_private:
        return True
    if rsvp is not None and rsvp.event_id == event.pk and rsvp.status == RsvpStatus.GOING:
        return True
    return user is not None and can_manage(user, event)


def location_for(event: Event, *, user: AnyUser | None = None, rsvp: Rsvp | None = None) -> str:
    """The one line "where" this reader is shown: ``Event.location_text`` for the public."""
    return event.location_text_with(address=sees_address(user, event, rsvp=rsvp))


def can_answer_cohost(user: AnyUser, invitation: CoHostInvitation) -> bool:
    """Accept, decline or end a co-hosting: an active organizer of the invited group only."""
    return is_organizer(user, invitation.group)


def can_withdraw_cohost(user: AnyUser, invitation: CoHostInvitation) -> bool:
    """Withdraw an invitation (or drop a co-host): whoever runs the event."""
    return can_manage(user, invitation.event)


def can_cancel_rsvp(user: AnyUser, rsvp: Rsvp) -> bool:
    """An RSVP is its person's own: nobody else (not even whoever runs the event) cancels it."""
    return bool(user.is_authenticated and user.pk == rsvp.user_id)


def can_view(user: AnyUser, event: Event) -> bool:
    """Published and cancelled events are public; drafts only to those who run them."""
    return event.status != EventStatus.DRAFT or can_manage(user, event)


def hostable_groups(user: AnyUser):
    """Groups this person may pick as host of a new event."""
    if not (user.is_authenticated and user.is_active):
        return Group.objects.none()
    organized = Group.objects.filter(
        status=GroupStatus.APPROVED,
        memberships__user=user,
        memberships__role=MembershipRole.ORGANIZER,
        memberships__status=MembershipStatus.ACTIVE,
    )
    if is_coordinator(user):
        return Group.objects.filter(status=GroupStatus.APPROVED)
    return organized


def can_create_any(user: AnyUser) -> bool:
    return is_coordinator(user) or hostable_groups(user).exists()


def moderated_events(user: AnyUser) -> EventQuerySet:
    """The events a staff member sees in the admin: all for coordinators, their districts' for reps."""
    if is_coordinator(user):
        return Event.objects.all()
    district_ids = rep_district_ids(user)
    if not district_ids:
        return Event.objects.none()
    return Event.objects.filter(district_id__in=district_ids)


def can_moderate(user: AnyUser, event: Event) -> bool:
    if is_coordinator(user):
        return True
    return event.district_id is not None and event.district_id in rep_district_ids(user)


def moderates_any(user: AnyUser) -> bool:
    return is_coordinator(user) or bool(rep_district_ids(user))
