"""The district desk: what the Coordinating Board's reps keep about their contact with groups.

Everything here is staff-only bookkeeping: a rep's notes about a group are read by the reps of the
districts the group serves and by coordinators, and by nobody else (never the group, its members,
the public, a feed or an API). ``desk.policy`` says who reads what; nothing below the desk in the
layout imports it, so no public page can show it by accident.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from imc.validators import validate_multi_line, validate_single_line


class ContactMethod(models.TextChoices):
    CALL = "call", "Phone call"
    MEETING = "meeting", "Meeting"
    EMAIL = "email", "Email"
    EVENT_VISIT = "event_visit", "Event visit"


NOTE_MAX_LENGTH = 1000


class Outreach(models.Model):
    """One message a rep wrote from the desk to the organizers of some of their district's groups.

    The row is the rate limit's unit (``DESK_OUTREACH_PER_REP_PER_DAY``); each organizer's copy is
    an ``OutboundEmail`` of its own, and each group's contact log gets a note pointing here.
    """

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_outreach")
    district = models.ForeignKey("districts.District", on_delete=models.CASCADE, related_name="+")
    subject = models.CharField(max_length=150, validators=[validate_single_line])
    body = models.TextField(max_length=5000, validators=[validate_multi_line])
    recipients = models.PositiveIntegerField(default=0, help_text="Organizers written to.")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["rep", "created_at"])]
        verbose_name_plural = "outreach"

    def __str__(self) -> str:
        return f"{self.subject} ({self.created_at:%Y-%m-%d})"


class ContactNote(models.Model):
    """A rep's check-in with a group: when, how, a short note and when to check in next.

    Removed with the rep's account (CASCADE) and included in the rep's own data download; the
    group's organizers never see it, in a page or in their download.
    """

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="desk_notes")
    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="desk_notes")
    contacted_on = models.DateField("when")
    method = models.CharField("how", max_length=20, choices=ContactMethod.choices)
    note = models.TextField(max_length=NOTE_MAX_LENGTH, blank=True, validators=[validate_multi_line])
    next_check_in = models.DateField("next check-in", null=True, blank=True)
    outreach = models.ForeignKey(Outreach, null=True, blank=True, on_delete=models.SET_NULL, related_name="notes")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-contacted_on", "-pk"]
        # The desk asks each group's latest note, and the health view the notes since a day.
        indexes = [models.Index(fields=["group", "contacted_on"])]

    def __str__(self) -> str:
        return f"{self.get_method_display()} with {self.group_id} on {self.contacted_on}"


class MemberCount(models.Model):
    """A group's active members on one day, taken daily (``desk.tasks.member_counts``).

    Memberships are deleted when a member leaves, so the rows of today cannot say how many there
    were a month ago: these counts are the desk's history. Kept ``MEMBER_COUNT_KEEP_DAYS``.
    """

    group = models.ForeignKey("groups.Group", on_delete=models.CASCADE, related_name="desk_member_counts")
    day = models.DateField()
    members = models.PositiveIntegerField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["group", "day"], name="desk_one_count_per_group_day")]
        indexes = [models.Index(fields=["day"])]

    def __str__(self) -> str:
        return f"{self.group_id} on {self.day}: {self.members}"


class WeeklyDigest(models.Model):
    """The weekly email a rep was sent: one row per rep and week (its Monday), written in the same
    transaction as the outbox row, so a second run of the week finds it and sends nothing."""

    rep = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    week = models.DateField(help_text="The Monday the week starts on.")
    email = models.ForeignKey("outbox.OutboundEmail", null=True, blank=True, on_delete=models.SET_NULL)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["rep", "week"], name="desk_one_digest_per_rep_week")]

    def __str__(self) -> str:
        return f"digest for {self.rep_id}, week of {self.week}"


class FeaturedEvent(models.Model):
    """An event a rep (of the event's district) or a coordinator amplifies: highlighted first on
    the home page, its district's page and the newsletter's events block of that district's
    readers (``Kind.FEATURED_EVENTS``), until it has taken place. One row per event: featuring it
    again changes nothing; unfeaturing deletes the row."""

    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="desk_feature")
    # Kept when the rep's account goes: the feature is the board's, not the rep's.
    featured_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    featured_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-featured_at"]

    def __str__(self) -> str:
        return f"featured event {self.event_id}"
