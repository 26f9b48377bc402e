"""Events, RSVPs, reminders and private calendar feeds.

Writes go through ``events.services`` (and ``events.reminders`` for reminder delivery); the
models only hold data and small read helpers.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone

from imc.links import slug_url
from imc.validators import validate_multi_line, validate_single_line

# The longest an event may last (a multi-day canvass weekend fits); see EventQuerySet.upcoming.
MAX_EVENT_DAYS = 14


class EventType(models.TextChoices):
    RALLY = "rally", "Rally or protest"
    TOWN_HALL = "town_hall", "Town hall"
    GROUP_MEETING = "group_meeting", "Group meeting"
    PHONE_BANK = "phone_bank", "Phone bank"
    TEXT_BANK = "text_bank", "Text bank"
    POSTCARDS = "postcards", "Postcard writing"
    CANVASS = "canvass", "Canvass"
    TRAINING = "training", "Training"
    SOCIAL = "social", "Social"
    OTHER = "other", "Other"


class EventStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"
    CANCELLED = "cancelled", "Cancelled"


class Accessibility(models.TextChoices):
    """Accessibility features an event can offer; the listing filters on each."""

    WHEELCHAIR = "wheelchair", "Wheelchair accessible"
    ASL = "asl", "ASL interpretation"
    CHILDCARE = "childcare", "Childcare"
    TRANSIT = "transit", "Near public transit"


class Recurrence(models.TextChoices):
    NONE = "", "Does not repeat"
    WEEKLY = "weekly", "Every week"
    BIWEEKLY = "biweekly", "Every other week"
    MONTHLY = "monthly", "Monthly on the same weekday (e.g. 2nd Tuesday)"


class EventSeries(models.Model):
    """The rule a recurring event was created from. Each date is its own ``Event``."""

    rule = models.CharField(max_length=10, choices=Recurrence.choices)
    count = models.PositiveSmallIntegerField()
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name_plural = "event series"

    def __str__(self) -> str:
        return f"{self.get_rule_display()} × {self.count}"


class EventQuerySet(models.QuerySet):
    def published(self) -> EventQuerySet:
        return self.filter(status=EventStatus.PUBLISHED)

    def upcoming(self, now: datetime | None = None) -> EventQuerySet:
        """Events that have not ended yet, soonest first.

        The bound on the start (no event lasts longer than MAX_EVENT_DAYS) lets the
        (status, starts_at) index skip the years of past events instead of filtering them.
        """
        now = now or timezone.now()
        return self.filter(starts_at__gte=now - timedelta(days=MAX_EVENT_DAYS), ends_at__gte=now).order_by(
            "starts_at", "pk"
        )

    def listed(self, now: datetime | None = None) -> EventQuerySet:
        return self.published().upcoming(now)

    def in_district(self, district) -> EventQuerySet:
        """Events filed under the district, and events in any of its towns.

        An event's ``district`` is its town's primary one (Boston: MA-7), but a town split between
        districts belongs to each of them, as groups do: its events show on every one's pages.
        """
        from districts.models import TownDistrict

        shared_towns = TownDistrict.objects.filter(district=district).values("town_id")
        return self.filter(models.Q(district=district) | models.Q(town_id__in=shared_towns))

    def for_cards(self) -> EventQuerySet:
        """What an event card shows (title, time, type, town, host): one query, no prefetch."""
        return self.select_related("host_group", "town")


class Event(models.Model):
    slug = models.SlugField(max_length=120, unique=True)
    title = models.CharField(max_length=200, validators=[validate_single_line])
    # No host group means the coalition itself hosts it (coordinators run those).
    host_group = models.ForeignKey(
        "groups.Group", null=True, blank=True, on_delete=models.PROTECT, related_name="hosted_events"
    )
    # The groups that accepted to co-host (see CoHostInvitation): only ``events.services`` writes
    # it, when an organizer of the group accepts, so every page and feed reading it is safe.
    co_hosts = models.ManyToManyField("groups.Group", blank=True, related_name="cohosted_events")
    event_type = models.CharField("type", max_length=20, choices=EventType.choices, default=EventType.OTHER)
    starts_at = models.DateTimeField("starts")
    ends_at = models.DateTimeField("ends")
    is_online = models.BooleanField("online", default=False)
    join_url = models.URLField(
        "join link",
        blank=True,
        help_text="Shown only to people who RSVP'd (their reminder includes it too).",
        validators=[validate_single_line],
    )
    venue = models.CharField(max_length=200, blank=True, validators=[validate_single_line])
    address = models.CharField(max_length=250, blank=True, validators=[validate_single_line])
    # A house meeting in someone's home: the venue and street address are shown only to the people
    # with a confirmed seat and to those who run the event (``events.policy.sees_address``);
    # everyone else, every public feed, the API and the embeds get the town alone.
    address_is_private = models.BooleanField(
        "keep the address private",
        default=False,
        help_text="Show the venue and street address only to people with a confirmed seat; others see the town.",
    )
    town = models.ForeignKey("districts.Town", null=True, blank=True, on_delete=models.PROTECT, related_name="events")
    # Derived from the town (or the host group for online events) by the services, so that
    # district pages, district feeds and the admin's district scoping are one indexed filter.
    district = models.ForeignKey(
        "districts.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="events"
    )
    description = models.TextField(
        blank=True, help_text="Markdown. Links and lists are fine; HTML is removed.", validators=[validate_multi_line]
    )
    accessibility = models.JSONField(default=list, blank=True)
    accessibility_notes = models.TextField(blank=True, validators=[validate_multi_line])
    capacity = models.PositiveIntegerField(null=True, blank=True, help_text="Empty means no limit.")
    status = models.CharField(max_length=10, choices=EventStatus.choices, default=EventStatus.DRAFT)
    # RFC 5545 SEQUENCE: raised by every change so calendar apps update instead of duplicating.
    sequence = models.PositiveIntegerField(default=0)
    remind_day_before = models.BooleanField(default=True)
    remind_two_hours = models.BooleanField(default=True)
    series = models.ForeignKey(EventSeries, null=True, blank=True, on_delete=models.SET_NULL, related_name="events")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = EventQuerySet.as_manager()

    class Meta:
        ordering = ["starts_at", "pk"]
        indexes = [
            models.Index(fields=["status", "starts_at"], name="event_status_start"),
            models.Index(fields=["status", "ends_at"], name="event_status_end"),
            models.Index(fields=["district", "status", "starts_at"], name="event_district_start"),
            models.Index(fields=["town", "status", "starts_at"], name="event_town_start"),
            # A group's next event (directory cards) without scanning the whole calendar.
            models.Index(fields=["host_group", "status", "starts_at"], name="event_host_start"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(ends_at__gte=models.F("starts_at")), name="event_end_after_start")
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return slug_url("events:detail", self.slug)

    @property
    def is_cancelled(self) -> bool:
        return self.status == EventStatus.CANCELLED

    @property
    def is_published(self) -> bool:
        return self.status == EventStatus.PUBLISHED

    def accessibility_labels(self) -> list[str]:
        labels = dict(Accessibility.choices)
        return [labels[key] for key in self.accessibility if key in labels]

    @property
    def uid(self) -> str:
        """The iCalendar UID: fixed for the life of the event, whatever else changes."""
        return f"event-{self.pk}@indivisiblemass.org"

    @property
    def host_name(self) -> str:
        return self.host_group.name if self.host_group_id else settings.SITE_NAME

    def place_lines(self, *, address: bool) -> tuple[str, str]:
        """The venue and street address to show: both blank when the address is private and the
        reader may not see it (``address``: the answer of ``events.policy.sees_address``)."""
        if self.address_is_private and not address:
            return "", ""
        return self.venue, self.address

    def location_text_with(self, *, address: bool) -> str:
        """Where the event is, in one line, with or without a private street address."""
        if self.is_online and not self.town_id:
            return "Online"
        venue, street = self.place_lines(address=address)
        parts = [p for p in (venue, street, self.town.name if self.town_id else "") if p]
        text = ", ".join(parts)
        if self.town_id:
            text += ", MA"
        return text + (" (also online)" if self.is_online else "")

    @property
    def location_text(self) -> str:
        """What anyone may read (pages, feeds, the newsletter): the town only when the address is
        private. A person with a seat gets ``events.policy.location_for`` instead."""
        return self.location_text_with(address=False)


class QuestionKind(models.TextChoices):
    TEXT = "text", "Short text"
    ONE = "one", "One choice"
    MANY = "many", "Several choices"
    YES_NO = "yes_no", "Yes or no"


class EventQuestion(models.Model):
    """A question the organizers ask everyone who RSVPs (at most ``events.rules.MAX_QUESTIONS``).

    The answers live on the RSVP (``Rsvp.answers``, keyed by ``answer_key``), so they go with the
    RSVP: erased with the account or the guest's address. What a question and an answer may be is
    ``events.rules``; only ``events.services.event_questions_set`` writes these rows, and only the
    people who run the event read the answers.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="questions")
    position = models.PositiveSmallIntegerField(default=0)
    kind = models.CharField(max_length=10, choices=QuestionKind.choices, default=QuestionKind.TEXT)
    label = models.CharField("question", max_length=200, validators=[validate_single_line])
    # The options of a one-choice or several-choices question, in order; empty for the others.
    choices = models.JSONField(default=list, blank=True)
    required = models.BooleanField(default=False)

    class Meta:
        ordering = ["position", "pk"]

    def __str__(self) -> str:
        return self.label

    @property
    def answer_key(self) -> str:
        """The key of this question's answer in ``Rsvp.answers`` (JSON keys are strings)."""
        return str(self.pk)

    def answer_text(self, answers: dict) -> str:
        """The answer in ``answers`` as one line for a page or a CSV cell ("" when unanswered)."""
        value = (answers or {}).get(self.answer_key)
        if isinstance(value, list):
            return "; ".join(str(item) for item in value)
        return "" if value is None else str(value)


class CoHostStatus(models.TextChoices):
    PENDING = "pending", "Awaiting reply"
    ACCEPTED = "accepted", "Co-hosting"
    DECLINED = "declined", "Declined"
    WITHDRAWN = "withdrawn", "Withdrawn by the host"


class CoHostInvitation(models.Model):
    """One group asked to co-host one event, and its answer.

    Naming a group as co-host attaches the event to that group's page and feeds, so it takes the
    consent of one of that group's organizers: the row starts pending and only their acceptance
    adds the group to ``Event.co_hosts`` (in the same transaction); declining, or the host
    withdrawing, takes it off again. One row per event and group: a decline is remembered, so the
    host cannot mail the same invitation again; a withdrawn one may be sent anew.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="cohost_invitations")
    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="cohost_invitations")
    status = models.CharField(max_length=10, choices=CoHostStatus.choices, default=CoHostStatus.PENDING)
    invited_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    answered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    invited_at = models.DateTimeField(default=timezone.now)
    answered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["event", "group"], name="one_cohost_invitation_per_group")]
        indexes = [
            # A group's open invitations, for its organizers on the group page.
            models.Index(fields=["group", "status"], name="cohost_group_status"),
        ]

    def __str__(self) -> str:
        return f"{self.group} co-hosting {self.event} ({self.status})"

    def get_absolute_url(self) -> str:
        return reverse("events:cohost_answer", args=[self.pk])


class RsvpStatus(models.TextChoices):
    GOING = "going", "Going"
    WAITLISTED = "waitlisted", "Waitlisted"
    CANCELLED = "cancelled", "Cancelled"
    # A guest's RSVP until they click the link mailed to them: it holds a seat (or a waitlist
    # place) until ``hold_until``, and is nobody's RSVP yet (no reminders, notices, CSV row).
    PENDING = "pending", "Awaiting the guest's confirmation"


# How long a guest's unconfirmed RSVP holds its seat, and how long its confirmation link works.
GUEST_HOLD = timedelta(minutes=60)
# The most people one RSVP brings, the person included.
MAX_PARTY = 10


class RsvpQuerySet(models.QuerySet):
    def going(self) -> RsvpQuerySet:
        return self.filter(status=RsvpStatus.GOING)

    def waitlisted(self) -> RsvpQuerySet:
        return self.filter(status=RsvpStatus.WAITLISTED).order_by("status_changed_at", "pk")

    def active(self) -> RsvpQuerySet:
        return self.filter(status__in=[RsvpStatus.GOING, RsvpStatus.WAITLISTED])

    def holding_seats(self, now: datetime | None = None) -> RsvpQuerySet:
        """The RSVPs that take seats: going, and guests' unconfirmed holds still running."""
        now = now or timezone.now()
        return self.filter(
            Q(status=RsvpStatus.GOING) | Q(status=RsvpStatus.PENDING, holds_seat=True, hold_until__gt=now)
        )

    def seats_taken(self, now: datetime | None = None) -> int:
        """People, not RSVPs: each RSVP counts its whole party."""
        return self.holding_seats(now).aggregate(total=models.Sum("party_size"))["total"] or 0

    def of_guest(self, email: str) -> RsvpQuerySet:
        """A guest's RSVPs (no account): by the address, in any case."""
        return self.filter(user__isnull=True, guest_email=email.strip().lower())


class Rsvp(models.Model):
    """One person's RSVP: a member's (``user``) or a guest's (no account: name and address).

    Mail for the RSVP goes to ``recipient_email`` and greets ``person_name``, whoever it is.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="rsvps")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="event_rsvps"
    )
    guest_name = models.CharField(max_length=150, blank=True, validators=[validate_single_line])
    # Lower-cased by the services; empty for a member's RSVP.
    guest_email = models.EmailField(blank=True)
    guest_zip = models.CharField("ZIP code", max_length=10, blank=True, validators=[validate_single_line])
    # The people this RSVP brings, the person included: seats and the waitlist count them.
    party_size = models.PositiveSmallIntegerField(default=1)
    # The answers to the event's questions, keyed by question (the questions are another change).
    answers = models.JSONField(default=dict, blank=True)
    status = models.CharField(max_length=10, choices=RsvpStatus.choices)
    # A pending guest RSVP: whether it holds a seat (else a waitlist place), and until when.
    holds_seat = models.BooleanField(default=False)
    hold_until = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    # When the RSVP entered its status: the waitlist is served in this order.
    status_changed_at = models.DateTimeField(default=timezone.now)
    attended = models.BooleanField(null=True, blank=True)
    # Added at the door by an organizer (``events.attendance.walk_in_add``): a name, the address
    # only if they gave one.
    walk_in = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = RsvpQuerySet.as_manager()

    class Meta:
        verbose_name = "RSVP"
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_rsvp_per_person"),
            models.UniqueConstraint(
                fields=["event", "guest_email"],
                condition=Q(user__isnull=True) & ~Q(guest_email=""),
                name="one_guest_rsvp_per_address",
            ),
            # A member, a guest's address, or a walk-in's name (a walk-in need not give an address).
            models.CheckConstraint(
                condition=Q(user__isnull=False) | ~Q(guest_email="") | (Q(walk_in=True) & ~Q(guest_name="")),
                name="rsvp_has_a_person",
            ),
            models.CheckConstraint(condition=Q(party_size__gte=1), name="rsvp_party_at_least_one"),
        ]
        indexes = [
            models.Index(fields=["event", "status", "status_changed_at"], name="rsvp_event_status"),
            models.Index(fields=["user", "status"], name="rsvp_user_status"),
            models.Index(fields=["guest_email", "status"], name="rsvp_guest_status", condition=Q(user__isnull=True)),
        ]

    def __str__(self) -> str:
        return f"{self.person_name} → {self.event} ({self.status})"

    @property
    def is_guest(self) -> bool:
        return self.user_id is None

    @property
    def recipient_email(self) -> str:
        """Where every mail about this RSVP goes: the member's address, or the guest's."""
        return self.user.email if self.user_id else self.guest_email  # type: ignore[union-attr]

    @property
    def person_name(self) -> str:
        if self.user_id:
            return self.user.display_name  # type: ignore[union-attr]
        return self.guest_name or self.guest_email


class ReminderKind(models.TextChoices):
    DAY_BEFORE = "day_before", "The day before"
    TWO_HOURS = "two_hours", "Shortly before"


class ReminderStatus(models.TextChoices):
    PENDING = "pending", "Pending"  # waits for its due time
    SENT = "sent", "Sent"  # its email is written to the outbox, which delivers it
    SKIPPED = "skipped", "Skipped"  # RSVP or event cancelled, reminder turned off, or too late


class Reminder(models.Model):
    """One reminder one person is owed for one event: the row is the promise.

    The beat tick claims due rows (``select_for_update(skip_locked=True)``) and, in the same
    transaction, writes each one's email to the outbox and marks the row sent (or skipped). From
    there the outbox owns delivery: its row says whether the mail went out, it retries and
    recovers it, and it shows in the member's mail log and data download.
    """

    rsvp = models.ForeignKey(Rsvp, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=ReminderKind.choices)
    due_at = models.DateTimeField()
    status = models.CharField(max_length=10, choices=ReminderStatus.choices, default=ReminderStatus.PENDING)
    sent_at = models.DateTimeField(null=True, blank=True, help_text="When its email was written to the outbox")
    email = models.ForeignKey(
        "outbox.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    skip_reason = models.CharField(max_length=40, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rsvp", "kind"], name="one_reminder_per_kind")]
        indexes = [
            # The beat tick's question, answered from a small partial index however many
            # reminders are waiting for later dates.
            models.Index(fields=["due_at"], name="reminder_pending_due", condition=Q(status=ReminderStatus.PENDING)),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} reminder for {self.rsvp_id} ({self.status})"


def new_feed_token() -> str:
    return secrets.token_urlsafe(24)


class MemberCalendar(models.Model):
    """The secret address of a member's private calendar feed of their RSVPs."""

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_calendar")
    token = models.CharField(max_length=64, unique=True, default=new_feed_token)
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"Calendar feed of {self.user}"

    def get_absolute_url(self) -> str:
        return reverse("events:member_feed", args=[self.token])


# The organizers' messages to an event's people live in a module of their own (attendance).
from events.attendance_models import AttendeeMessage, AttendeeMessageKind, Audience  # noqa: E402, F401
