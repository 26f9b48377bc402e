"""Subscribers, issues of the newsletter, and one delivery row per recipient of a send."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

from imc.links import slug_url
from imc.validators import validate_multi_line, validate_single_line


class SubscriberStatus(models.TextChoices):
    PENDING = "pending", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    UNSUBSCRIBED = "unsubscribed", "Unsubscribed"


class ConsentSource(models.TextChoices):
    """Which form a person subscribed through: part of the consent record."""

    HOME = "home", "Home page form"
    FOOTER = "footer", "Footer form"
    PAGE = "page", "Newsletter page form"
    MEMBER = "member", "One click as a signed-in member"
    DEMO = "demo", "Demo data"
    IMPORT = "import", "Imported"


class SuppressionReason(models.TextChoices):
    BOUNCE = "bounce", "Hard bounce"
    COMPLAINT = "complaint", "Spam complaint"
    REFUSED = "refused", "Permanently refused by the mail server"
    MANUAL = "manual", "Suppressed by a coordinator"


class SubscriberQuerySet(models.QuerySet):
    def receiving(self) -> SubscriberQuerySet:
        """Who may receive a newsletter: confirmed and not suppressed."""
        return self.filter(status=SubscriberStatus.CONFIRMED, suppressed=False)


class Subscriber(models.Model):
    email = models.EmailField(unique=True)
    name = models.CharField(max_length=120, blank=True, validators=[validate_single_line])
    town = models.ForeignKey("districts.Town", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    district = models.ForeignKey(
        "districts.District", null=True, blank=True, on_delete=models.SET_NULL, related_name="subscribers"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="newsletter_subscription",
    )
    status = models.CharField(max_length=12, choices=SubscriberStatus.choices, default=SubscriberStatus.PENDING)
    suppressed = models.BooleanField(default=False, help_text="Never sent to again (bounce, complaint).")
    suppressed_reason = models.CharField(max_length=12, choices=SuppressionReason.choices, blank=True)
    suppressed_detail = models.CharField(max_length=300, blank=True)
    suppressed_at = models.DateTimeField(null=True, blank=True)
    # The consent record: when, through which form, from which address.
    consent_at = models.DateTimeField(null=True, blank=True)
    consent_source = models.CharField(max_length=10, choices=ConsentSource.choices, blank=True)
    consent_ip = models.GenericIPAddressField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)
    confirmed_ip = models.GenericIPAddressField(null=True, blank=True)
    unsubscribed_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = SubscriberQuerySet.as_manager()

    class Meta:
        ordering = ["email"]
        indexes = [models.Index(fields=["status", "suppressed", "district"], name="newsletter_sub_audience")]

    def __str__(self) -> str:
        return self.email


class SubscriptionRequestStatus(models.TextChoices):
    OPEN = "open", "Waiting for confirmation"
    CONFIRMED = "confirmed", "Confirmed"
    VOID = "void", "Void (unsubscribed, or another request was confirmed)"


class SubscriptionRequest(models.Model):
    """What somebody asked for on the subscribe form, held until the address's owner confirms it.

    The form is CSRF-exempt (so that pages can come from the cache), so any page can post it for
    any address: it writes only this row and mails the link that confirms it. The subscriber's
    stored details and consent change only when that link is used, and then to exactly what this
    row holds. A link works once, and never after an unsubscribe: see
    ``newsletter.services.subscribers.subscriber_confirm``.
    """

    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="requests")
    name = models.CharField(max_length=120, blank=True, validators=[validate_single_line])
    town = models.ForeignKey("districts.Town", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    # The consent record the subscriber gets if this request is confirmed.
    source = models.CharField(max_length=10, choices=ConsentSource.choices)
    ip = models.GenericIPAddressField(null=True, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    status = models.CharField(
        max_length=10, choices=SubscriptionRequestStatus.choices, default=SubscriptionRequestStatus.OPEN
    )
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.subscriber_id} {self.created_at:%Y-%m-%d %H:%M} ({self.status})"

    def confirmable(self) -> bool:
        """Whether this request's link may still confirm it: once, and never after an unsubscribe.

        Besides its own status, whatever happened to the subscriber after it was asked outranks
        it, whoever did it (the form, a member's click, a mail program's one-click unsubscribe):
        a confirmation or an unsubscribe since then makes this link dead.
        """
        subscriber = self.subscriber
        if self.status != SubscriptionRequestStatus.OPEN or subscriber.suppressed:
            return False
        if subscriber.status == SubscriberStatus.CONFIRMED:
            return False
        since = [t for t in (subscriber.confirmed_at, subscriber.unsubscribed_at) if t is not None]
        return all(self.created_at > t for t in since)


class NewsletterStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    SCHEDULED = "scheduled", "Scheduled"
    SENDING = "sending", "Sending"
    PAUSED = "paused", "Paused"
    SENT = "sent", "Sent"
    CANCELLED = "cancelled", "Cancelled"
    # It could not go out (a message that cannot be built, a chunk that kept failing): stopped,
    # with its reason, instead of retried for ever.
    FAILED = "failed", "Failed"


class NewsletterQuerySet(models.QuerySet):
    def published(self) -> NewsletterQuerySet:
        """The public archive: issues that went out."""
        return self.filter(status=NewsletterStatus.SENT).order_by("-sent_at")

    def readable(self) -> NewsletterQuerySet:
        """Issues whose web version is public: those that went out, and those going out now
        (some readers hold the mail and its "View in your browser" link already)."""
        return self.filter(status__in=(NewsletterStatus.SENDING, NewsletterStatus.PAUSED, NewsletterStatus.SENT))


class Newsletter(models.Model):
    subject = models.CharField(max_length=200, validators=[validate_single_line])
    slug = models.SlugField(max_length=80, unique=True)
    preheader = models.CharField(
        max_length=200,
        blank=True,
        help_text="The line mail programs show after the subject.",
        validators=[validate_single_line],
    )
    body_markdown = models.TextField(
        help_text="Markdown. Links, lists, headings, emphasis, images by URL.", validators=[validate_multi_line]
    )
    audience_all = models.BooleanField(default=True, help_text="All confirmed subscribers.")
    districts = models.ManyToManyField("districts.District", blank=True, related_name="+")
    include_events = models.BooleanField(
        default=False, help_text='Add an "upcoming events in your district" block for each recipient.'
    )
    status = models.CharField(max_length=10, choices=NewsletterStatus.choices, default=NewsletterStatus.DRAFT)
    scheduled_at = models.DateTimeField(null=True, blank=True)
    prepared = models.BooleanField(default=False, help_text="Every delivery row of the send exists.")
    recipient_count = models.PositiveIntegerField(default=0)
    started_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    failure_reason = models.CharField(max_length=500, blank=True, help_text="Why the send stopped, if it failed.")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NewsletterQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.subject

    def get_absolute_url(self) -> str:
        return slug_url("newsletter:archive_detail", self.slug)

    @property
    def editable(self) -> bool:
        return self.status in (NewsletterStatus.DRAFT, NewsletterStatus.SCHEDULED)


class ChunkStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    INFLIGHT = "inflight", "In flight"
    DONE = "done", "Done"


class SendChunk(models.Model):
    """A few hundred deliveries that one task sends over one connection.

    The row, not the broker, says whether the chunk is done and who may send it. A worker
    claims it with a conditional update that increments ``token``, and holds it on a lease
    (``lease_until``) that it renews before each message with ``WHERE token = <its token>``: the
    sweeper hands a chunk on only once its lease has expired (the worker died or stalled), and a
    stalled worker that wakes up finds its token outdated and stops before sending anything.
    ``failures`` counts claims that ended in an error or an expired lease; past a bound the send
    fails visibly instead of looping.
    """

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="chunks")
    number = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=ChunkStatus.choices, default=ChunkStatus.QUEUED)
    size = models.PositiveIntegerField(default=0)
    attempts = models.PositiveSmallIntegerField(default=0, help_text="Times a worker claimed the chunk.")
    token = models.PositiveIntegerField(default=0, help_text="The fencing token of the current claim.")
    failures = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    queued_at = models.DateTimeField(null=True, blank=True)
    lease_until = models.DateTimeField(null=True, blank=True)
    done_at = models.DateTimeField(null=True, blank=True)
    # Written when the chunk is done, so that progress never counts a million delivery rows.
    sent_count = models.PositiveIntegerField(default=0)
    failed_count = models.PositiveIntegerField(default=0)
    skipped_count = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["newsletter", "number"]
        constraints = [models.UniqueConstraint(fields=["newsletter", "number"], name="unique_chunk_number")]
        indexes = [models.Index(fields=["status", "lease_until"], name="newsletter_chunk_sweep")]

    def __str__(self) -> str:
        return f"{self.newsletter_id}#{self.number} ({self.status})"


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", "Pending"
    # Handed to the mail server by the chunk's owner and not yet acknowledged: no other worker
    # sends it while it may still be on its way.
    INFLIGHT = "inflight", "Being sent"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"
    SKIPPED = "skipped", "Skipped (unsubscribed or suppressed before its turn)"


class Delivery(models.Model):
    """One recipient of one send, written before any message of the send leaves."""

    newsletter = models.ForeignKey(Newsletter, on_delete=models.CASCADE, related_name="deliveries")
    subscriber = models.ForeignKey(Subscriber, on_delete=models.CASCADE, related_name="deliveries")
    chunk = models.PositiveIntegerField()
    status = models.CharField(max_length=10, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    error = models.CharField(max_length=300, blank=True)
    bounced = models.BooleanField(default=False)
    provider_message_id = models.CharField(max_length=200, blank=True)
    inflight_at = models.DateTimeField(null=True, blank=True, help_text="When it was last handed to the server.")
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["newsletter", "subscriber"], name="unique_delivery_per_subscriber")
        ]
        # No index on status: marking a delivery sent then changes no indexed column, so
        # PostgreSQL updates it in place (a HOT update), the cheapest write there is.
        indexes = [models.Index(fields=["newsletter", "chunk"], name="newsletter_delivery_chunk")]
        verbose_name_plural = "deliveries"

    def __str__(self) -> str:
        return f"{self.newsletter_id} → {self.subscriber_id} ({self.status})"


class RateBucket(models.Model):
    """The send rate limiter's state when there is no Redis (embedded default)."""

    name = models.CharField(max_length=50, primary_key=True)
    next_free = models.FloatField(default=0.0, help_text="Unix time at which the next message may go.")

    def __str__(self) -> str:
        return self.name
