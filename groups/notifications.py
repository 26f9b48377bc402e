"""Who hears about what needs them, as it happens or in one daily digest.

An event of group life that needs somebody (a request to join → the group's organizers, an offer
to help → the team's lead, a new listing or a claim → the reps of the group's districts) goes
through ``notify``: for each active recipient, either an outbox row now or, if they chose the
digest for that kind on their profile (``accounts.NotificationPreference``), a
``NotificationItem`` that waits for ``digests_send``. Both are written in the caller's
transaction, so the event and what it owes commit together.

Answers to a member's own request (their request decided, their claim decided) are not
"what needs you": they go at once, whatever anybody chose (``services``).
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from itertools import groupby

from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.models import NotificationKind, NotificationPreference, User
from districts.models import BoardSeat, Team
from groups.models import (
    ClaimStatus,
    Group,
    GroupClaim,
    GroupDistrict,
    GroupStatus,
    Membership,
    MembershipStatus,
    NotificationItem,
    TeamVolunteer,
)
from imc.links import absolute, slug_url
from outbox.services import email_queue, email_queue_template, emails_queue_batch, render_email

DIGEST_EMAIL_KIND = "groups.digest"
DIGEST_TEMPLATE = "groups/emails/digest"
# Per batch of recipients, whatever its size: the batch's recipient ids, its items (locked, with
# everything the mail shows joined in), and marking them sent; plus one insert per mail written.
DIGEST_QUERIES_PER_BATCH = 3


# --- Who ------------------------------------------------------------------------------------------


def organizers_of(group: Group) -> list[User]:
    """The group's active organizers, by address."""
    organizer_ids = Membership.objects.organizers().filter(group=group).values("user_id")
    return list(User.objects.filter(pk__in=organizer_ids, is_active=True).order_by("email"))


def reps_of(group: Group) -> list[User]:
    """Whoever holds today the seat of a district the group serves, if active, by address."""
    return reps_in_districts(GroupDistrict.objects.filter(group=group).values("district_id"))


def reps_in_districts(district_ids) -> list[User]:
    """Whoever holds today the seat of one of these districts, if active, by address."""
    seats = BoardSeat.objects.current().filter(district_id__in=district_ids, user__isnull=False)
    return list(User.objects.filter(pk__in=seats.values("user_id"), is_active=True).order_by("email"))


def lead_of(team: Team) -> list[User]:
    lead = team.lead if team.lead_id else None
    return [lead] if lead is not None and lead.is_active else []


# --- Now or later -----------------------------------------------------------------------------


def notify(
    *,
    kind: NotificationKind,
    recipients: Iterable[User],
    email_kind: str,
    template_prefix: str,
    context: dict,
    actor: User | None = None,
    group: Group | None = None,
    membership: Membership | None = None,
    claim: GroupClaim | None = None,
    volunteer: TeamVolunteer | None = None,
) -> None:
    """Tell each active recipient (never the actor, who knows) about this event: an email now,
    or an item for their digest. Call it inside the transaction that made the event."""
    people = {u.pk: u for u in recipients if u.is_active and (actor is None or u.pk != actor.pk)}
    if not people:
        return
    digest = NotificationPreference.objects.digest_user_ids(kind, list(people))
    NotificationItem.objects.bulk_create(
        [
            NotificationItem(
                recipient_id=pk, kind=kind, group=group, membership=membership, claim=claim, volunteer=volunteer
            )
            for pk in sorted(digest)
        ]
    )
    for pk, person in sorted(people.items(), key=lambda p: p[1].email):
        if pk not in digest:
            email_queue_template(kind=email_kind, to=person.email, template_prefix=template_prefix, context=context)


def decide_url(group: Group) -> str:
    """Where an organizer approves or declines requests to join."""
    return absolute(slug_url("groups:members", group.slug))


def team_url(team: Team) -> str:
    return absolute(slug_url("teams:detail", team.slug))


def listing_admin_url(group: Group) -> str:
    return absolute(reverse("admin:groups_group_change", args=[group.pk]))


def claim_admin_url(claim: GroupClaim) -> str:
    return absolute(reverse("admin:groups_groupclaim_change", args=[claim.pk]))


# --- The daily digest -------------------------------------------------------------------------


def _still_waiting(item: NotificationItem) -> bool:
    """Whether the item still needs its recipient: a request or a claim somebody else already
    decided, a listing already approved or rejected, are left out."""
    if item.kind == NotificationKind.JOIN_REQUEST:
        return item.membership is not None and item.membership.status == MembershipStatus.PENDING
    if item.kind == NotificationKind.NEW_LISTING:
        return item.group is not None and item.group.status == GroupStatus.PENDING
    if item.kind == NotificationKind.NEW_CLAIM:
        return item.claim is not None and item.claim.status == ClaimStatus.PENDING
    return item.volunteer is not None


def _line(item: NotificationItem) -> tuple[str, str]:
    """One entry of a digest: what happened and where to act on it."""
    if item.kind == NotificationKind.JOIN_REQUEST and item.membership is not None and item.group is not None:
        return f"{item.membership.user.display_name} asks to join {item.group.name}", decide_url(item.group)
    if item.kind == NotificationKind.TEAM_OFFER and item.volunteer is not None:
        volunteer = item.volunteer
        return f"{volunteer.user.display_name} wants to help {volunteer.team.name}", team_url(volunteer.team)
    if item.kind == NotificationKind.NEW_LISTING and item.group is not None:
        return f"New listing waiting for approval: {item.group.name}", listing_admin_url(item.group)
    if item.kind == NotificationKind.NEW_CLAIM and item.claim is not None and item.group is not None:
        return f"{item.claim.user.display_name} asks to organize {item.group.name}", claim_admin_url(item.claim)
    raise ValueError(f"Notification item {item.pk} has no object for its kind {item.kind}")


def _render_digest(recipient: User, items: list[NotificationItem]) -> tuple[str, str, str]:
    sections = []
    for kind in NotificationKind:
        lines = [_line(item) for item in items if item.kind == kind]
        if lines:
            sections.append({"heading": kind.label, "lines": lines})
    context = {"recipient": recipient, "sections": sections, "count": len(items), "profile_url": _profile_url()}
    return render_email(DIGEST_TEMPLATE, context)


def _profile_url() -> str:
    return absolute(reverse("accounts:profile_edit")) + "#notifications"


def digests_send(*, now: datetime.datetime | None = None, batch: int = 200) -> int:
    """Write one digest mail per person with items waiting since before ``now``; returns how many.

    Recipients are walked in batches by id. Each batch is one transaction: its items are locked
    (``FOR UPDATE``), each person's mail is written to the outbox and every item is marked sent,
    then the batch's mails go to one worker after the commit. So a crash leaves a batch either
    whole or untouched, and a second run (or one overlapping this one: it waits on the lock,
    then finds the items sent) sends nothing twice. Reads per batch are fixed
    (``DIGEST_QUERIES_PER_BATCH``) whatever the number of people or items.
    """
    now = now or timezone.now()
    after, written = 0, 0
    while True:
        with transaction.atomic():
            waiting = NotificationItem.objects.waiting().filter(created_at__lte=now)
            recipient_ids = list(
                waiting.filter(recipient_id__gt=after)
                .order_by("recipient_id")
                .values_list("recipient_id", flat=True)
                .distinct()[:batch]
            )
            if not recipient_ids:
                return written
            after = recipient_ids[-1]
            items = list(
                waiting.filter(recipient_id__in=recipient_ids)
                .select_related(
                    "recipient",
                    "group",
                    "membership__user",
                    "claim__user",
                    "volunteer__user",
                    "volunteer__team",
                )
                .select_for_update(of=("self",))
                .order_by("recipient_id", "created_at", "pk")
            )
            email_ids = []
            for _, group_items in groupby(items, key=lambda i: i.recipient_id):
                mine = list(group_items)
                recipient = mine[0].recipient
                live = [i for i in mine if _still_waiting(i)]
                if not (recipient.is_active and live):
                    continue
                subject, text, html = _render_digest(recipient, live)
                email = email_queue(
                    kind=DIGEST_EMAIL_KIND,
                    to=recipient.email,
                    subject=subject,
                    body_text=text,
                    body_html=html,
                    dispatch=False,
                )
                email_ids.append(email.pk)
            NotificationItem.objects.filter(pk__in=[i.pk for i in items]).update(sent_at=now)
            emails_queue_batch(email_ids=email_ids)
            written += len(email_ids)
