"""What organizers send to an event's people: one row per message, the log and the rate limit.

Imported by ``events.models`` (so Django registers it with the events app); written only by
``events.attendance``. Each recipient's copy is an ``OutboundEmail`` of its own.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from imc.validators import validate_multi_line, validate_single_line


class Audience(models.TextChoices):
    """Whom a message is for: any combination of the three (an RSVP in two is written to once)."""

    GOING = "going", "Going"
    WAITLISTED = "waitlisted", "On the waitlist"
    ATTENDED = "attended", "Came (checked in)"


class AttendeeMessageKind(models.TextChoices):
    MESSAGE = "message", "Message"
    THANK_YOU = "thank_you", "Thank-you"


SUBJECT_MAX_LENGTH = 150
BODY_MAX_LENGTH = 5000


class AttendeeMessage(models.Model):
    """One message an organizer wrote to some of an event's people (or its one thank-you).

    The row is the unit of the daily limit (``EVENT_MESSAGES_PER_DAY``, messages only) and the
    log on the attendees page; the thank-you is at most one per event, which the database holds
    too (``one_thank_you_per_event``), so a double click or two organizers at once send one.
    """

    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="attendee_messages")
    sender = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=10, choices=AttendeeMessageKind.choices, default=AttendeeMessageKind.MESSAGE)
    # A list of ``Audience`` values.
    audiences = models.JSONField(default=list)
    subject = models.CharField(max_length=SUBJECT_MAX_LENGTH, validators=[validate_single_line])
    body = models.TextField(max_length=BODY_MAX_LENGTH, validators=[validate_multi_line])
    recipients = models.PositiveIntegerField(default=0, help_text="People written to.")
    sent_at = models.DateTimeField()

    class Meta:
        ordering = ["-sent_at", "-pk"]
        indexes = [models.Index(fields=["event", "sent_at"], name="attendee_message_event_sent")]
        constraints = [
            models.UniqueConstraint(fields=["event"], condition=Q(kind="thank_you"), name="one_thank_you_per_event")
        ]

    def __str__(self) -> str:
        return f"{self.subject} ({self.event_id}, {self.sent_at:%Y-%m-%d})"

    def audience_labels(self) -> list[str]:
        labels = dict(Audience.choices)
        return [labels[a] for a in self.audiences if a in labels]
