from __future__ import annotations

from django.db import models


class EmailStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    INFLIGHT = "inflight", "In flight"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class EmailQuerySet(models.QuerySet):
    def pending(self) -> EmailQuerySet:
        return self.filter(status__in=[EmailStatus.QUEUED, EmailStatus.INFLIGHT])


class OutboundEmail(models.Model):
    """One email the portal owes somebody, written before anything is queued or sent.

    The row, not the broker, says whether the mail went out: a worker claims it by moving it
    from queued to inflight with a conditional update, sends, and marks it sent. The sweeper
    hands rows that waited too long (broker away, worker killed) to a worker again.
    """

    kind = models.CharField(max_length=60, help_text="What flow owes this mail, e.g. account.confirm")
    to = models.EmailField()
    reply_to = models.EmailField(blank=True)
    subject = models.CharField(max_length=300)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True)
    attachments = models.JSONField(
        default=list, blank=True, help_text="List of {filename, content, mimetype} with text content."
    )
    status = models.CharField(max_length=10, choices=EmailStatus.choices, default=EmailStatus.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    objects = EmailQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["status", "created_at"])]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to} ({self.status})"
