"""Demo groups for local use. Everything here is fictional: names end in "(demo)" and the
accounts use the demo email domain. Idempotent: a group that exists already is left alone."""

from __future__ import annotations

import datetime

from django.utils import timezone

from accounts.demo import DEMO_PASSWORD, demo_email
from accounts.models import NotificationKind, NotificationMode, User
from accounts.services import notification_preferences_set, user_ensure
from districts.models import BoardSeat, Town
from groups import services
from groups.models import Group, GroupStatus, Membership

# name, towns served (first = home), description, meeting pattern, status
DEMO_GROUPS = [
    ("Merrimack Valley Indivisible (demo)", ["Lowell", "Chelmsford", "Dracut"], "approved"),
    ("Nashoba Action (demo)", ["Acton", "Westford", "Littleton"], "approved"),
    ("Pioneer Valley Resisters (demo)", ["Northampton", "Amherst", "Hadley"], "approved"),
    ("Worcester Together (demo)", ["Worcester", "Shrewsbury"], "approved"),
    ("Metrowest Climate Indivisible (demo)", ["Framingham", "Natick"], "approved"),
    ("Arlington and Lowell Bridge (demo)", ["Arlington", "Lowell"], "approved"),
    ("Newton Neighbors (demo)", ["Newton", "Wellesley"], "approved"),
    ("Boston Indivisible (demo)", ["Boston"], "approved"),
    ("North Shore Action (demo)", ["Salem", "Beverly", "Peabody"], "approved"),
    ("South Coast Indivisible (demo)", ["New Bedford", "Fall River", "Dartmouth"], "approved"),
    ("Cape Cod Democracy Defenders (demo)", ["Barnstable", "Falmouth"], "approved"),
    ("Quincy Climate Circle (demo)", ["Quincy", "Braintree"], "approved"),
    ("Billerica Rising (demo)", ["Billerica"], "pending"),
    ("Sleepy Hollow Indivisible (demo)", ["Concord"], "stale"),
    ("Orphaned Group of Andover (demo)", ["Andover"], "orphan"),
]

DESCRIPTION = (
    "A **fictional** demo group. We meet to talk about *climate*, voting rights and democracy, "
    "write letters and show up at town halls.\n\n- New members welcome\n- [Coalition site](https://example.org)"
)


def _organizer(index: int, town: Town) -> User:
    return user_ensure(
        email=demo_email(f"organizer-{index}"),
        password=DEMO_PASSWORD,
        first_name=["Olga", "Pat", "Sam", "Jordan", "Riley", "Morgan", "Casey", "Drew"][index % 8],
        last_name="Organizer (demo)",
        home_town=town,
    )


def _moderator_for(group: Group) -> User | None:
    """The district's rep, or the demo coordinator (districts.demo seeds both first): approving
    asks the same policy as in the admin."""
    seat = BoardSeat.objects.current().filter(district=group.district, user__isnull=False).first()
    return seat.user if seat else User.objects.filter(email=demo_email("coordinator")).first()


def seed(stdout) -> None:
    made = 0
    for index, (name, town_names, kind) in enumerate(DEMO_GROUPS):
        if Group.objects.filter(name=name).exists():
            continue
        towns = [Town.objects.get(name=t) for t in town_names]
        details = services.GroupDetails(
            name=name,
            home_town=towns[0],
            other_towns=towns[1:],
            description=DESCRIPTION,
            meeting_pattern="Second Tuesday of the month, 7pm, public library (demo)",
            website="https://example.org/",
            requires_approval=index % 5 == 4,
        )
        organizer = _organizer(index, towns[0])
        group = services.group_submit(submitter=organizer, details=details)
        made += 1
        if kind == "pending":
            continue
        services.group_approve(group=group, actor=_moderator_for(group), reason="Demo data")
        if kind == "stale":
            Group.objects.filter(pk=group.pk).update(last_confirmed=timezone.now() - datetime.timedelta(days=500))
            services.groups_mark_stale()
        if kind == "orphan":
            Membership.objects.filter(group=group).delete()
    activist = User.objects.filter(email=demo_email("activist")).first()
    if activist:
        for group in Group.objects.filter(name__in=[DEMO_GROUPS[0][0], DEMO_GROUPS[1][0]]):
            if group.status == GroupStatus.APPROVED:
                services.membership_join(user=activist, group=group)
        _digest_demo(activist)
    stdout.write(f"groups: {made} demo groups (of {len(DEMO_GROUPS)}); organizers organizer-N@ the demo domain")


# The organizer who chose the daily digest for requests to join, and the group (it approves its
# members) the demo activist asks to join, so one item waits for their next digest.
DIGEST_GROUP = "Metrowest Climate Indivisible (demo)"


def _digest_demo(activist: User) -> None:
    """Organizer 4 of the Metrowest group reads requests to join in the daily digest; the demo
    activist's request to join waits there. Asking again finds the request and adds nothing."""
    group = Group.objects.filter(name=DIGEST_GROUP, status=GroupStatus.APPROVED).first()
    if group is None:
        return
    index = [name for name, _, _ in DEMO_GROUPS].index(DIGEST_GROUP)
    organizer = User.objects.get(email=demo_email(f"organizer-{index}"))
    notification_preferences_set(user=organizer, modes={NotificationKind.JOIN_REQUEST: NotificationMode.DIGEST})
    services.membership_join(user=activist, group=group)
