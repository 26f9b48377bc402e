"""Local groups, their members and organizers, moderation and the relay that protects addresses.

Other apps reference ``groups.Group`` by string (``"groups.Group"``); its stable public surface is
``slug``, ``name``, ``district`` and ``towns``, plus ``groups.policy.is_organizer(user, group)``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Exists, OuterRef

from accounts.models import NotificationKind
from districts.models import District, Team, Town
from imc.links import slug_url
from imc.validators import validate_multi_line, validate_single_line


class GroupStatus(models.TextChoices):
    PENDING = "pending", "Pending approval"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ARCHIVED = "archived", "Archived"


class GroupQuerySet(models.QuerySet):
    def listed(self) -> GroupQuerySet:
        """Approved groups: the ones anybody may see (stale ones included, flagged)."""
        return self.filter(status=GroupStatus.APPROVED)

    def fresh(self) -> GroupQuerySet:
        return self.filter(is_stale=False)

    def serving_district_ids(self, district_ids: set[int] | list[int]) -> GroupQuerySet:
        """Groups that serve a town in any of these districts (the home district included)."""
        return self.filter(
            Exists(GroupDistrict.objects.filter(group=OuterRef("pk"), district_id__in=list(district_ids)))
        )

    def serving_town_ids(self, town_ids) -> GroupQuerySet:
        """Groups that serve any of these towns (ids, or a subquery of them)."""
        return self.filter(Exists(Group.towns.through.objects.filter(group_id=OuterRef("pk"), town_id__in=town_ids)))

    def serving_town(self, town: Town) -> GroupQuerySet:
        return self.filter(Exists(Group.towns.through.objects.filter(group_id=OuterRef("pk"), town_id=town.pk)))


class Group(models.Model):
    """A local group listed in the directory.

    ``home_town`` is the first town it serves; the group's ``district`` follows from it. The
    districts of every town served are kept in ``served_districts`` so that the rep of each of
    them sees the group.
    """

    name = models.CharField(max_length=120, validators=[validate_single_line])
    slug = models.SlugField(max_length=140, unique=True)
    status = models.CharField(max_length=10, choices=GroupStatus.choices, default=GroupStatus.PENDING)
    home_town = models.ForeignKey(
        Town, on_delete=models.PROTECT, related_name="home_groups", help_text="The first town the group serves."
    )
    towns = models.ManyToManyField(Town, related_name="groups", help_text="Every town served, the first included.")
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="groups")
    served_districts = models.ManyToManyField(
        District, through="GroupDistrict", related_name="served_groups", blank=True
    )
    description = models.TextField(
        blank=True, help_text="Markdown. Links and lists are fine; HTML is removed.", validators=[validate_multi_line]
    )
    meeting_pattern = models.CharField(
        max_length=200, blank=True, help_text="e.g. Second Tuesday, 7pm, library", validators=[validate_single_line]
    )
    website = models.URLField(blank=True, validators=[validate_single_line])
    facebook_url = models.URLField("Facebook", blank=True, validators=[validate_single_line])
    instagram_url = models.URLField("Instagram", blank=True, validators=[validate_single_line])
    bluesky_url = models.URLField("Bluesky", blank=True, validators=[validate_single_line])
    requires_approval = models.BooleanField(
        default=False, help_text="Organizers approve each request to join instead of open joining."
    )
    # Lowercased name, towns and description: one column the directory's ``q`` searches.
    search_text = models.TextField(blank=True, editable=False)
    submitted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="submitted_groups"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    approved_at = models.DateTimeField(null=True, blank=True)
    last_confirmed = models.DateTimeField(null=True, blank=True)
    confirmation_requested_at = models.DateTimeField(null=True, blank=True)
    is_stale = models.BooleanField(default=False, help_text="Unconfirmed for 15 months; hidden by default.")

    objects = GroupQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["status", "is_stale", "name"]),
            models.Index(fields=["status", "last_confirmed"]),
        ]

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return slug_url("groups:detail", self.slug)

    @property
    def is_listed(self) -> bool:
        return self.status == GroupStatus.APPROVED


class GroupDistrict(models.Model):
    """A district a group serves towns in; maintained by the services, never edited by hand."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="district_links")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="group_links")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "district"], name="unique_group_district")]
        indexes = [models.Index(fields=["district", "group"])]

    def __str__(self) -> str:
        return f"{self.group_id} serves {self.district_id}"


class GroupSlugHistory(models.Model):
    """An address a group had before it was renamed; it redirects to the current one."""

    slug = models.SlugField(max_length=140, unique=True)
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="old_slugs")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "group slug history"

    def __str__(self) -> str:
        return f"{self.slug} → {self.group.slug}"


class MembershipRole(models.TextChoices):
    MEMBER = "member", "Member"
    ORGANIZER = "organizer", "Organizer"


class MembershipStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    PENDING = "pending", "Asked to join"


class MembershipQuerySet(models.QuerySet):
    def active(self) -> MembershipQuerySet:
        return self.filter(status=MembershipStatus.ACTIVE)

    def organizers(self) -> MembershipQuerySet:
        return self.active().filter(role=MembershipRole.ORGANIZER)


class Membership(models.Model):
    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="memberships")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_memberships")
    role = models.CharField(max_length=10, choices=MembershipRole.choices, default=MembershipRole.MEMBER)
    status = models.CharField(max_length=10, choices=MembershipStatus.choices, default=MembershipStatus.ACTIVE)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = MembershipQuerySet.as_manager()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "user"], name="unique_membership")]
        indexes = [
            models.Index(fields=["group", "status", "role"]),
            models.Index(fields=["user", "status"]),
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.group} ({self.role}, {self.status})"


class ModerationAction(models.TextChoices):
    SUBMITTED = "submitted", "Submitted"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"
    ARCHIVED = "archived", "Archived"
    CONFIRMED = "confirmed", "Confirmed still active"
    MARKED_STALE = "stale", "Marked stale"
    CLAIM_APPROVED = "claim_approved", "Claim approved"
    CLAIM_REJECTED = "claim_rejected", "Claim rejected"
    DISTRICT_ADDED = "district_added", "Now serves another district"


class ModerationLogEntry(models.Model):
    """Who decided what about a group, when and why. Written by the services, never edited."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="moderation_log")
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(max_length=20, choices=ModerationAction.choices)
    reason = models.TextField(blank=True, validators=[validate_multi_line])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name_plural = "moderation log entries"

    def __str__(self) -> str:
        return f"{self.get_action_display()}: {self.group}"


class ClaimStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    APPROVED = "approved", "Approved"
    REJECTED = "rejected", "Rejected"


class GroupClaim(models.Model):
    """A member asks to become organizer of a listing that has no active organizer."""

    group = models.ForeignKey(Group, on_delete=models.CASCADE, related_name="claims")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="group_claims")
    message = models.TextField(blank=True, validators=[validate_multi_line])
    status = models.CharField(max_length=10, choices=ClaimStatus.choices, default=ClaimStatus.PENDING)
    created_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "user"], condition=models.Q(status="pending"), name="one_pending_claim_per_user"
            )
        ]

    def __str__(self) -> str:
        return f"{self.user} claims {self.group}"


class RelayMessage(models.Model):
    """A message sent through a contact form. Kept 90 days: long enough to rate limit and to
    answer an abuse report, short enough not to hoard what people wrote."""

    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="relay_messages")
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.CASCADE, related_name="relay_messages")
    sender = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    sender_name = models.CharField(max_length=120, validators=[validate_single_line])
    sender_email = models.EmailField()
    body = models.TextField(validators=[validate_multi_line])
    ip_address = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [
            models.Index(fields=["sender_email", "created_at"]),
            models.Index(fields=["ip_address", "created_at"]),
        ]

    def __str__(self) -> str:
        return f"from {self.sender_email} to {self.group or self.team}"


class TeamVolunteer(models.Model):
    """A member who said "I want to help" a team; the team's lead sees them on the team page."""

    team = models.ForeignKey(Team, on_delete=models.CASCADE, related_name="volunteers")
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="team_offers")
    message = models.TextField(blank=True, validators=[validate_multi_line])
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["team", "user"], name="unique_team_volunteer")]

    def __str__(self) -> str:
        return f"{self.user} for {self.team}"


class NotificationItemQuerySet(models.QuerySet):
    def waiting(self) -> NotificationItemQuerySet:
        return self.filter(sent_at__isnull=True)


class NotificationItem(models.Model):
    """Something that needs a person who chose the daily digest for its kind: it waits here for
    their next digest (``groups.notifications.digests_send``).

    The object is one typed key (a request to join, a claim, an offer to help, or the listing
    itself), not a generic one: a request declined or withdrawn, an offer taken back or a
    member's account deleted takes its waiting item with it, and the digest reads each item's
    state through joins instead of one query per item. ``sent_at`` is set in the transaction
    that writes the digest mail, also for an item left out because it no longer waits (a
    request another organizer already decided).
    """

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=NotificationKind.choices)
    group = models.ForeignKey(Group, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    membership = models.ForeignKey(Membership, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    claim = models.ForeignKey(GroupClaim, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    volunteer = models.ForeignKey(TeamVolunteer, null=True, blank=True, on_delete=models.CASCADE, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = NotificationItemQuerySet.as_manager()

    class Meta:
        ordering = ["recipient_id", "created_at", "pk"]
        indexes = [
            # The digest's walk: unsent items, recipient by recipient.
            models.Index(
                fields=["recipient", "created_at"],
                condition=models.Q(sent_at__isnull=True),
                name="notification_item_waiting",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} for {self.recipient_id}"
