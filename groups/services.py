"""Every write about groups, teams and their messages. Views, forms, the admin and tasks call these.

Each function is atomic; the emails a write owes are ``OutboundEmail`` rows created in the same
transaction (``outbox.services``), so they are sent after the commit or recovered by the sweeper.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.core import signing
from django.db import IntegrityError, connection, transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import NotificationKind, User
from districts.models import Team, Town
from groups import notifications
from groups.models import (
    ClaimStatus,
    Group,
    GroupClaim,
    GroupDistrict,
    GroupSlugHistory,
    GroupStatus,
    Membership,
    MembershipRole,
    MembershipStatus,
    ModerationAction,
    ModerationLogEntry,
    RelayMessage,
    TeamVolunteer,
)
from groups.policy import can_add_in_admin, can_edit, can_join, can_moderate, is_organizer, towns_beyond_reach
from groups.selectors import RELAY_EMAIL_TEMPLATE, relay_messages_of
from imc import pagecache
from imc.links import absolute
from imc.markdown import plain_text
from imc.validators import require_clean_text
from outbox.services import email_queue_template

CONFIRM_SALT = "groups.confirm"


class GroupError(Exception):
    """A write that the rules refuse; the message is safe to show to the person."""


class RateLimited(GroupError):
    pass


@dataclass
class GroupDetails:
    """What a submitter or an organizer fills in about a group."""

    name: str
    home_town: Town
    other_towns: Iterable[Town] = ()
    description: str = ""
    meeting_pattern: str = ""
    website: str = ""
    facebook_url: str = ""
    instagram_url: str = ""
    bluesky_url: str = ""
    requires_approval: bool = False


DETAIL_FIELDS = [
    "description",
    "meeting_pattern",
    "website",
    "facebook_url",
    "instagram_url",
    "bluesky_url",
    "requires_approval",
]


def _require_clean_details(details: GroupDetails) -> None:
    """The single-line rule (imc.validators) for a listing, whoever calls the service."""
    require_clean_text(Group, {"name": details.name, **{f: getattr(details, f) for f in DETAIL_FIELDS}})


# --- Slugs and derived fields -------------------------------------------------------------------


# Addresses under /groups/ that are pages, not groups.
RESERVED_SLUGS = {"submit", "confirm"}


def _slug_taken(slug: str, group: Group | None) -> bool:
    if slug in RESERVED_SLUGS:
        return True
    groups = Group.objects.filter(slug=slug)
    history = GroupSlugHistory.objects.filter(slug=slug)
    if group is not None and group.pk:
        groups = groups.exclude(pk=group.pk)
        history = history.exclude(group=group)
    return groups.exists() or history.exists()


def unique_slug(name: str, group: Group | None = None) -> str:
    base = (slugify(name) or "group")[:120]
    slug, n = base, 2
    while _slug_taken(slug, group):
        slug, n = f"{base}-{n}", n + 1
    return slug


def group_refresh_derived(*, group: Group) -> Group:
    """Bring district, served districts and the search column in line with the towns served.

    The group belongs to the district of its first town; every district a served town lies in
    (its primary district) is linked, so each of those reps sees it.
    """
    towns = list(group.towns.select_related("primary_district"))
    if group.home_town_id and group.home_town_id not in {t.pk for t in towns}:
        group.towns.add(group.home_town_id)
        towns.append(group.home_town)
    group.district_id = group.home_town.primary_district_id
    district_ids = {t.primary_district_id for t in towns} | {group.district_id}
    GroupDistrict.objects.filter(group=group).exclude(district_id__in=district_ids).delete()
    existing = set(GroupDistrict.objects.filter(group=group).values_list("district_id", flat=True))
    GroupDistrict.objects.bulk_create(
        [GroupDistrict(group=group, district_id=d) for d in sorted(district_ids - existing)]
    )
    group.search_text = " ".join([group.name, *sorted(t.name for t in towns), plain_text(group.description)]).lower()
    Group.objects.filter(pk=group.pk).update(district_id=group.district_id, search_text=group.search_text)
    return group


def _set_towns(group: Group, home_town: Town, other_towns: Iterable[Town]) -> None:
    group.towns.set({home_town.pk, *(t.pk for t in other_towns)})


def _check_towns(actor: User, group: Group, towns: Iterable[Town]) -> None:
    """Refuse towns ``groups.policy.assignable_towns`` does not give this person for this group."""
    beyond = towns_beyond_reach(actor, group, towns)
    if beyond:
        names = ", ".join(t.name for t in beyond)
        raise GroupError(
            f"You can only give this group towns in the districts you moderate or towns it already serves: not {names}."
        )


def _log(group: Group, actor: User | None, action: ModerationAction, reason: str = "") -> ModerationLogEntry:
    return ModerationLogEntry.objects.create(group=group, actor=actor, action=action, reason=reason)


def _rep_emails(group: Group) -> list[str]:
    return [u.email for u in notifications.reps_of(group)]


def _organizer_emails(group: Group) -> list[str]:
    return [u.email for u in notifications.organizers_of(group)]


def _absolute(path: str) -> str:
    return absolute(path)


# --- Listing a group and keeping it ---------------------------------------------------------------


@transaction.atomic
def group_submit(*, submitter: User, details: GroupDetails) -> Group:
    """A member lists a new group: it waits (pending) for its reps, and the submitter organizes it."""
    _require_clean_details(details)
    group = Group(
        name=details.name.strip(),
        slug=unique_slug(details.name),
        status=GroupStatus.PENDING,
        home_town=details.home_town,
        district_id=details.home_town.primary_district_id,
        submitted_by=submitter,
        **{f: getattr(details, f) for f in DETAIL_FIELDS},
    )
    group.save()
    _set_towns(group, details.home_town, details.other_towns)
    group_refresh_derived(group=group)
    Membership.objects.create(
        group=group, user=submitter, role=MembershipRole.ORGANIZER, status=MembershipStatus.ACTIVE
    )
    _log(group, submitter, ModerationAction.SUBMITTED)
    notifications.notify(
        kind=NotificationKind.NEW_LISTING,
        recipients=notifications.reps_of(group),
        actor=submitter,
        email_kind="groups.pending_listing",
        template_prefix="groups/emails/pending_listing",
        context={"group": group, "admin_url": notifications.listing_admin_url(group)},
        group=group,
    )
    return group


@transaction.atomic
def group_add_listed(*, actor: User, details: GroupDetails) -> Group:
    """A coordinator lists a known group directly (approved, no organizer yet: its leaders can
    claim it)."""
    _require_clean_details(details)
    if not can_add_in_admin(actor):
        raise GroupError("Only coordinators list groups directly; submit the listing for its reps instead.")
    now = timezone.now()
    group = Group.objects.create(
        name=details.name.strip(),
        slug=unique_slug(details.name),
        status=GroupStatus.APPROVED,
        home_town=details.home_town,
        district_id=details.home_town.primary_district_id,
        approved_at=now,
        last_confirmed=now,
        **{f: getattr(details, f) for f in DETAIL_FIELDS},
    )
    _set_towns(group, details.home_town, details.other_towns)
    group_refresh_derived(group=group)
    _log(group, actor, ModerationAction.APPROVED, "Listed by a coordinator")
    return group


@transaction.atomic
def group_update(*, group: Group, actor: User, details: GroupDetails) -> Group:
    """An organizer (or a moderator) edits the listing. A new name gets a new address; the old
    one keeps redirecting.

    Whoever calls it (the site, the admin, a script), the actor must be allowed to edit this group
    and to give it each of the towns (``groups.policy``); the towns are checked against the group
    as it is before this edit, so a rep keeps another district's town but cannot add one.
    """
    _require_clean_details(details)
    group = Group.objects.select_for_update().get(pk=group.pk)
    if not can_edit(actor, group):
        raise GroupError("You cannot edit this listing.")
    other_towns = list(details.other_towns)
    _check_towns(actor, group, [details.home_town, *other_towns])
    new_name = details.name.strip()
    if new_name != group.name:
        new_slug = unique_slug(new_name, group)
        if new_slug != group.slug:
            GroupSlugHistory.objects.filter(slug=new_slug, group=group).delete()
            GroupSlugHistory.objects.create(slug=group.slug, group=group)
            group.slug = new_slug
        group.name = new_name
    group.home_town = details.home_town
    for field in DETAIL_FIELDS:
        setattr(group, field, getattr(details, field))
    if group.status == GroupStatus.APPROVED and is_organizer(actor, group):
        # An organizer who edits the listing has just shown it is alive.
        group.last_confirmed, group.is_stale = timezone.now(), False
    group.save()
    served_before = set(GroupDistrict.objects.filter(group=group).values_list("district_id", flat=True))
    _set_towns(group, details.home_town, other_towns)
    group_refresh_derived(group=group)
    _tell_new_districts(group, actor, served_before)
    return group


def _tell_new_districts(group: Group, actor: User, served_before: set[int]) -> None:
    """An organizer may give their group towns anywhere (``groups.policy.assignable_towns``): the
    reps of each district it newly serves moderate it from now on, so they are told at once and
    the log says when it happened. A listed group stays listed; theirs is to review it."""
    added = GroupDistrict.objects.filter(group=group).exclude(district_id__in=served_before)
    districts = [gd.district for gd in added.select_related("district").order_by("district__number")]
    if not districts or group.status not in (GroupStatus.PENDING, GroupStatus.APPROVED):
        return
    names = ", ".join(str(d) for d in districts)
    _log(group, actor, ModerationAction.DISTRICT_ADDED, f"Now also serves {names}")
    reps = notifications.reps_in_districts([d.pk for d in districts])
    new_towns = sorted(t.name for t in group.towns.filter(primary_district__in=districts))
    for rep in reps:
        if rep.pk == actor.pk:
            continue
        email_queue_template(
            kind="groups.district_added",
            to=rep.email,
            template_prefix="groups/emails/district_added",
            context={
                "group": group,
                "actor": actor,
                "districts": names,
                "towns": ", ".join(new_towns),
                "admin_url": notifications.listing_admin_url(group),
            },
        )


# --- Moderation -------------------------------------------------------------------------------------


def _decide(
    group: Group, actor: User, status: GroupStatus, action: ModerationAction, reason: str
) -> tuple[Group, bool]:
    """Move a group to a status and log it; a repeated decision (double click) changes nothing.

    Whoever calls it (the admin, a script), the actor must moderate this group (``groups.policy``).
    """
    require_clean_text(ModerationLogEntry, {"reason": reason})
    group = Group.objects.select_for_update().get(pk=group.pk)
    if not can_moderate(actor, group):
        raise GroupError(f"Only the representatives of {group.name}'s districts or a coordinator decide on it.")
    if group.status == status:
        return group, False
    now = timezone.now()
    group.status = status
    fields = ["status", "updated_at"]
    if status == GroupStatus.APPROVED:
        group.approved_at = now
        group.last_confirmed = now
        group.is_stale = False
        fields += ["approved_at", "last_confirmed", "is_stale"]
    group.save(update_fields=fields)
    _log(group, actor, action, reason)
    return group, True


def _email_decision(group: Group, reason: str) -> None:
    submitter = group.submitted_by if group.submitted_by_id else None
    if submitter is not None and submitter.is_active:
        email_queue_template(
            kind="groups.decision",
            to=submitter.email,
            template_prefix="groups/emails/decision",
            context={"group": group, "reason": reason, "group_url": _absolute(group.get_absolute_url())},
        )


@transaction.atomic
def group_approve(*, group: Group, actor: User, reason: str = "") -> Group:
    group, changed = _decide(group, actor, GroupStatus.APPROVED, ModerationAction.APPROVED, reason)
    if changed:
        _email_decision(group, reason)
    return group


@transaction.atomic
def group_reject(*, group: Group, actor: User, reason: str) -> Group:
    if not reason.strip():
        raise GroupError("Give the submitter a reason for the rejection.")
    group, changed = _decide(group, actor, GroupStatus.REJECTED, ModerationAction.REJECTED, reason.strip())
    if changed:
        _email_decision(group, reason.strip())
    return group


@transaction.atomic
def group_archive(*, group: Group, actor: User, reason: str = "") -> Group:
    return _decide(group, actor, GroupStatus.ARCHIVED, ModerationAction.ARCHIVED, reason)[0]


# --- Freshness ------------------------------------------------------------------------------------


def confirmation_token(group: Group) -> str:
    return signing.dumps(group.pk, salt=CONFIRM_SALT)


def group_from_confirmation_token(token: str) -> Group | None:
    max_age = settings.GROUPS_CONFIRM_LINK_MAX_AGE_DAYS * 86400
    try:
        group_id = signing.loads(token, salt=CONFIRM_SALT, max_age=max_age)
    except signing.BadSignature:
        return None
    return Group.objects.filter(pk=group_id).exclude(status=GroupStatus.ARCHIVED).first()


@transaction.atomic
def group_confirm(*, group: Group, actor: User | None, token: str = "") -> Group:
    """An organizer says the group is still active: fresh again for another year.

    The proof is the yearly mail's link (``token``, signed for this group: whoever holds it may
    confirm, signed in or not) or an actor who may edit the listing.
    """
    by_token = bool(token) and (found := group_from_confirmation_token(token)) is not None and found.pk == group.pk
    if not by_token and not (actor is not None and can_edit(actor, group)):
        raise GroupError("Only the group's organizers, or the link of its confirmation mail, confirm it.")
    now = timezone.now()
    Group.objects.filter(pk=group.pk).update(last_confirmed=now, is_stale=False)
    pagecache.invalidate()
    group.last_confirmed, group.is_stale = now, False
    _log(group, actor, ModerationAction.CONFIRMED)
    return group


def groups_request_confirmation(*, now: datetime.datetime | None = None, batch: int = 500) -> int:
    """Email the organizers of each approved group last confirmed a year ago, once per year.

    A group is asked when it was confirmed more than a year ago and has not been asked since;
    marking ``confirmation_requested_at`` in the same transaction as the emails makes a second
    run a no-op.
    """
    now = now or timezone.now()
    due_before = now - datetime.timedelta(days=365)
    asked = 0
    while True:
        with transaction.atomic():
            groups = list(
                Group.objects.listed()
                .filter(last_confirmed__lt=due_before)
                .filter(Q(confirmation_requested_at__isnull=True) | Q(confirmation_requested_at__lt=due_before))
                .select_for_update(skip_locked=True)
                .order_by("pk")[:batch]
            )
            if not groups:
                return asked
            for group in groups:
                url = _absolute(reverse("groups:confirm", args=[confirmation_token(group)]))
                for email in _organizer_emails(group):
                    email_queue_template(
                        kind="groups.confirm",
                        to=email,
                        template_prefix="groups/emails/confirm",
                        context={"group": group, "confirm_url": url},
                    )
            Group.objects.filter(pk__in=[g.pk for g in groups]).update(confirmation_requested_at=now)
            asked += len(groups)


@transaction.atomic
def groups_mark_stale(*, now: datetime.datetime | None = None) -> int:
    """Flag approved groups unconfirmed for 15 months: hidden by default, still reachable."""
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.GROUPS_STALE_AFTER_DAYS)
    ids = list(Group.objects.listed().filter(is_stale=False, last_confirmed__lt=cutoff).values_list("pk", flat=True))
    Group.objects.filter(pk__in=ids).update(is_stale=True)
    if ids:
        pagecache.invalidate()
    ModerationLogEntry.objects.bulk_create(
        [ModerationLogEntry(group_id=pk, action=ModerationAction.MARKED_STALE) for pk in ids]
    )
    return len(ids)


# --- Members --------------------------------------------------------------------------------------


@transaction.atomic
def membership_join(*, user: User, group: Group) -> Membership:
    """Join at once, or ask to join where the group's organizers approve members."""
    if not can_join(user, group):
        raise GroupError("This group is not open for members.")
    status = MembershipStatus.PENDING if group.requires_approval else MembershipStatus.ACTIVE
    membership, created = Membership.objects.get_or_create(group=group, user=user, defaults={"status": status})
    if created and membership.status == MembershipStatus.PENDING:
        notifications.notify(
            kind=NotificationKind.JOIN_REQUEST,
            recipients=notifications.organizers_of(group),
            actor=user,
            email_kind="groups.join_request",
            template_prefix="groups/emails/join_request",
            context={"group": group, "member": user, "decide_url": notifications.decide_url(group)},
            group=group,
            membership=membership,
        )
    return membership


@transaction.atomic
def membership_leave(*, user: User, group: Group) -> None:
    membership = Membership.objects.select_for_update().filter(group=group, user=user).first()
    if membership is None:
        return
    if membership.role == MembershipRole.ORGANIZER and membership.status == MembershipStatus.ACTIVE:
        others = Membership.objects.organizers().filter(group=group).exclude(pk=membership.pk)
        if not others.exists() and group.status == GroupStatus.PENDING:
            raise GroupError("A listing that waits for approval needs its organizer.")
    membership.delete()


@transaction.atomic
def membership_decide(*, organizer: User, membership: Membership, approve: bool) -> Membership | None:
    """An organizer approves or declines a request to join their group."""
    if not is_organizer(organizer, membership.group):
        raise GroupError("Only the group's organizers decide on requests to join.")
    membership = Membership.objects.select_for_update().select_related("group", "user").get(pk=membership.pk)
    if membership.status != MembershipStatus.PENDING:
        return membership
    _email_request_decided(membership, approve)
    if approve:
        membership.status = MembershipStatus.ACTIVE
        membership.save(update_fields=["status"])
        return membership
    membership.delete()
    return None


def _email_request_decided(membership: Membership, approved: bool) -> None:
    """The answer to a member's own request goes at once (no digest: they are waiting for it)."""
    member, group = membership.user, membership.group
    if member.is_active:
        email_queue_template(
            kind="groups.request_decided",
            to=member.email,
            template_prefix="groups/emails/request_decided",
            context={
                "group": group,
                "member": member,
                "approved": approved,
                "group_url": absolute(group.get_absolute_url()),
            },
        )


@transaction.atomic
def membership_set_role(*, organizer: User, membership: Membership, role: MembershipRole) -> Membership:
    if not is_organizer(organizer, membership.group):
        raise GroupError("Only the group's organizers choose organizers.")
    if membership.status != MembershipStatus.ACTIVE:
        raise GroupError("Approve the request to join first.")
    demoting = role == MembershipRole.MEMBER and membership.role == MembershipRole.ORGANIZER
    others = Membership.objects.organizers().filter(group=membership.group).exclude(pk=membership.pk)
    if demoting and not others.exists():
        raise GroupError("A group keeps at least one organizer.")
    membership.role = role
    membership.save(update_fields=["role"])
    return membership


# --- Claims of orphaned listings -------------------------------------------------------------------


def is_orphaned(group: Group) -> bool:
    return not Membership.objects.organizers().filter(group=group, user__is_active=True).exists()


def _require_active(user: User) -> None:
    if not user.is_active:
        raise GroupError("This account is deactivated.")


@transaction.atomic
def claim_submit(*, user: User, group: Group, message: str = "") -> GroupClaim:
    _require_active(user)
    require_clean_text(GroupClaim, {"message": message})
    if group.status != GroupStatus.APPROVED or not is_orphaned(group):
        raise GroupError("Only a listed group without an active organizer can be claimed.")
    try:
        with transaction.atomic():
            claim = GroupClaim.objects.create(group=group, user=user, message=message.strip())
    except IntegrityError:
        raise GroupError("You have already claimed this group; its district rep will decide.") from None
    notifications.notify(
        kind=NotificationKind.NEW_CLAIM,
        recipients=notifications.reps_of(group),
        actor=user,
        email_kind="groups.claim",
        template_prefix="groups/emails/claim",
        context={"group": group, "claim": claim, "admin_url": notifications.claim_admin_url(claim)},
        group=group,
        claim=claim,
    )
    return claim


@transaction.atomic
def claim_decide(*, claim: GroupClaim, actor: User, approve: bool, reason: str = "") -> GroupClaim:
    """A moderator of the group approves (the claimant becomes its organizer and sees its members)
    or rejects a claim. Nobody decides their own claim: a rep who claims a group of their own
    district waits for another rep of a district it serves, or a coordinator."""
    claim = GroupClaim.objects.select_for_update(of=("self",)).select_related("group").get(pk=claim.pk)
    if claim.user_id == actor.pk:
        raise GroupError(
            f"You cannot decide your own claim of {claim.group.name}: another representative of its "
            "district or a coordinator decides it."
        )
    if not can_moderate(actor, claim.group):
        raise GroupError(
            f"Only the representatives of {claim.group.name}'s districts or a coordinator decide its claims."
        )
    if claim.status != ClaimStatus.PENDING:
        return claim
    claim.status = ClaimStatus.APPROVED if approve else ClaimStatus.REJECTED
    claim.decided_by, claim.decided_at = actor, timezone.now()
    claim.save(update_fields=["status", "decided_by", "decided_at"])
    if approve:
        Membership.objects.update_or_create(
            group=claim.group,
            user=claim.user,
            defaults={"role": MembershipRole.ORGANIZER, "status": MembershipStatus.ACTIVE},
        )
    action = ModerationAction.CLAIM_APPROVED if approve else ModerationAction.CLAIM_REJECTED
    _log(claim.group, actor, action, reason or f"Claim by {claim.user.display_name}")
    if claim.user.is_active:
        group = claim.group
        email_queue_template(
            kind="groups.claim_decided",
            to=claim.user.email,
            template_prefix="groups/emails/claim_decided",
            context={
                "group": group,
                "claim": claim,
                "approved": approve,
                "reason": reason.strip(),
                "group_url": absolute(group.get_absolute_url()),
                "members_url": notifications.decide_url(group),
            },
        )
    return claim


# --- Relay messages -------------------------------------------------------------------------------


def _serialize_relay(sender_email: str, ip_address: str | None) -> None:
    """Hold, until the transaction ends, a lock per sender address and per IP.

    Two posts from one sender (or one network) at the same moment would otherwise both count the
    rows before either wrote its own, and both pass a limit only one of them should. On
    PostgreSQL a transaction-level advisory lock makes the count-then-insert of each sender and IP
    one at a time (taken in a fixed order, so two of them cannot deadlock); SQLite already lets
    one writer at a time.
    """
    if connection.vendor != "postgresql":
        return
    keys = sorted({f"relay:sender:{sender_email.strip().lower()}", *([f"relay:ip:{ip_address}"] if ip_address else [])})
    with connection.cursor() as cursor:
        for key in keys:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [key])


def _check_relay_limits(sender_email: str, ip_address: str | None, now: datetime.datetime) -> None:
    _serialize_relay(sender_email, ip_address)
    since = now - datetime.timedelta(hours=1)
    recent = RelayMessage.objects.filter(created_at__gte=since)
    if recent.filter(sender_email__iexact=sender_email).count() >= settings.GROUPS_RELAY_PER_SENDER_PER_HOUR:
        raise RateLimited("You have sent several messages in the last hour. Please try again later.")
    if ip_address and recent.filter(ip_address=ip_address).count() >= settings.GROUPS_RELAY_PER_IP_PER_HOUR:
        raise RateLimited("Too many messages were sent from your network in the last hour. Please try later.")


@transaction.atomic
def relay_send(
    *,
    sender_name: str,
    sender_email: str,
    body: str,
    ip_address: str | None,
    group: Group | None = None,
    team: Team | None = None,
    sender: User | None = None,
) -> RelayMessage:
    """Pass a message to a group's organizers (or a team's lead) without showing their address;
    to a group with no active organizer, to the reps of its districts.

    The sender's address is the reply-to, so the organizer's answer reveals theirs only if they
    choose to answer. Each message is a row: the rate limits count rows, per sender and per IP.
    """
    if (group is None) == (team is None):
        raise ValueError("A relay message goes to one group or one team.")
    require_clean_text(RelayMessage, {"sender_name": sender_name, "body": body})
    _check_relay_limits(sender_email, ip_address, timezone.now())
    to_reps = False
    if group is not None:
        recipients = _organizer_emails(group)
        if not recipients:
            # No organizer on the portal: the coalition's reps for the group's districts read it
            # (the page says so above the form, ``selectors.relay_to_reps_districts``).
            recipients, to_reps = _rep_emails(group), True
    else:
        lead = team.lead if team is not None and team.lead_id else None  # team is set: checked above
        recipients = [lead.email] if lead is not None and lead.is_active else []
    if not recipients:
        raise GroupError("Nobody can receive messages for this listing right now.")
    message = RelayMessage.objects.create(
        group=group,
        team=team,
        sender=sender if sender and sender.is_authenticated else None,
        sender_name=sender_name.strip(),
        sender_email=sender_email.strip(),
        body=body.strip(),
        ip_address=ip_address,
    )
    for email in recipients:
        email_queue_template(
            kind="groups.relay" if group is not None else "teams.relay",
            to=email,
            template_prefix=RELAY_EMAIL_TEMPLATE,
            context={"message": message, "target": group or team, "to_reps": to_reps},
            reply_to=message.sender_email,
        )
    return message


def relay_purge(*, now: datetime.datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - datetime.timedelta(days=settings.GROUPS_RELAY_KEEP_DAYS)
    deleted, _ = RelayMessage.objects.filter(created_at__lt=cutoff).delete()
    return deleted


# --- Teams --------------------------------------------------------------------------------------------


@transaction.atomic
def team_volunteer(*, user: User, team: Team, message: str = "") -> TeamVolunteer:
    _require_active(user)
    require_clean_text(TeamVolunteer, {"message": message})
    volunteer, created = TeamVolunteer.objects.get_or_create(
        team=team, user=user, defaults={"message": message.strip()}
    )
    if not created and message.strip():
        volunteer.message = message.strip()
        volunteer.save(update_fields=["message"])
    if created:
        notifications.notify(
            kind=NotificationKind.TEAM_OFFER,
            recipients=notifications.lead_of(team),
            actor=user,
            email_kind="teams.offer",
            template_prefix="groups/emails/team_offer",
            context={"team": team, "volunteer": volunteer, "team_url": notifications.team_url(team)},
            volunteer=volunteer,
        )
    return volunteer


@transaction.atomic
def team_unvolunteer(*, user: User, team: Team) -> None:
    TeamVolunteer.objects.filter(team=team, user=user).delete()


def user_groups_erase(*, user: User) -> None:
    """What deleting the account would leave behind: the relay messages they wrote (kept under
    the sender's address, linked to the user only with SET_NULL). Only those written signed in or
    under a verified address of theirs: another address added to the account may be somebody
    else's, whose messages stay. Memberships, claims and offers go with the user row; listings
    they submitted stay (their group still exists) without a link to them."""
    relay_messages_of(user).delete()
