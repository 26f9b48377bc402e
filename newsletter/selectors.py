"""Reads of the newsletter app: audiences, progress, reports, and the district's upcoming events."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count, Q, Sum

from districts.models import District
from imc import registry
from newsletter.models import (
    ChunkStatus,
    Delivery,
    DeliveryStatus,
    Newsletter,
    SendChunk,
    Subscriber,
    SubscriberQuerySet,
)

logger = logging.getLogger(__name__)


def audience(newsletter: Newsletter) -> SubscriberQuerySet:
    """Who this issue goes to if it is sent now: every receiving subscriber, or those of some districts."""
    subscribers = Subscriber.objects.receiving()
    if not newsletter.audience_all:
        subscribers = subscribers.filter(district__in=newsletter.districts.all())
    return subscribers


def audience_count(newsletter: Newsletter) -> int:
    return audience(newsletter).count()


@dataclass
class Progress:
    total: int
    sent: int
    failed: int
    skipped: int
    pending: int

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.skipped

    @property
    def percent(self) -> int:
        if not self.total:
            return 0
        return int(100 * self.done / self.total)

    def as_dict(self) -> dict:
        return {
            "total": self.total,
            "sent": self.sent,
            "failed": self.failed,
            "skipped": self.skipped,
            "remaining": self.pending,
            "percent": self.percent,
        }


def progress(newsletter: Newsletter) -> Progress:
    """Exact numbers from the chunks: done chunks carry their counts, untouched ones are all
    pending, and only the few chunks being sent (or retried) have their rows counted."""
    chunks = SendChunk.objects.filter(newsletter=newsletter)
    done = chunks.filter(status=ChunkStatus.DONE).aggregate(
        sent=Sum("sent_count"), failed=Sum("failed_count"), skipped=Sum("skipped_count")
    )
    untouched = chunks.filter(status=ChunkStatus.QUEUED, attempts=0).aggregate(size=Sum("size"))["size"] or 0
    busy = list(
        chunks.exclude(status=ChunkStatus.DONE)
        .exclude(status=ChunkStatus.QUEUED, attempts=0)
        .values_list("number", flat=True)
    )
    counts: dict[str, int] = {}
    if busy:
        counts = dict(
            Delivery.objects.filter(newsletter=newsletter, chunk__in=busy)
            .values_list("status")
            .annotate(n=Count("pk"))
            .values_list("status", "n")
        )
    sent = (done["sent"] or 0) + counts.get(DeliveryStatus.SENT, 0)
    failed = (done["failed"] or 0) + counts.get(DeliveryStatus.FAILED, 0)
    skipped = (done["skipped"] or 0) + counts.get(DeliveryStatus.SKIPPED, 0)
    pending = untouched + counts.get(DeliveryStatus.PENDING, 0) + counts.get(DeliveryStatus.INFLIGHT, 0)
    return Progress(total=sent + failed + skipped + pending, sent=sent, failed=failed, skipped=skipped, pending=pending)


@dataclass
class Report:
    delivered: int
    failed: int
    failure_reasons: list[tuple[str, int]]
    bounced: int
    unsubscribed_since: int
    skipped: int
    not_sent: int


def report(newsletter: Newsletter) -> Report:
    deliveries = Delivery.objects.filter(newsletter=newsletter)
    numbers = progress(newsletter)
    reasons = list(
        deliveries.filter(status=DeliveryStatus.FAILED)
        .values_list("error")
        .annotate(n=Count("pk"))
        .order_by("-n")
        .values_list("error", "n")[:20]
    )
    since = newsletter.started_at
    unsubscribed = deliveries.filter(Q(subscriber__unsubscribed_at__gte=since)).count() if since is not None else 0
    return Report(
        delivered=numbers.sent,
        failed=numbers.failed,
        failure_reasons=reasons,
        bounced=deliveries.filter(bounced=True).count(),
        unsubscribed_since=unsubscribed,
        skipped=numbers.skipped,
        not_sent=numbers.pending,
    )


@dataclass
class EventItem:
    title: str
    url: str
    when: object = None
    place: str = ""
    featured: bool = False


def upcoming_events(district_id: int, limit: int = 5) -> list[EventItem]:
    """Upcoming events of a district for its readers' events block, at most ``limit``: first those
    the board features for the district (``Kind.FEATURED_EVENTS``, marked), then what the apps
    that hold events contribute (``Kind.DISTRICT_EVENTS``), each event once; [] when none do."""
    district = District.objects.filter(pk=district_id).first()
    if district is None:
        return []
    featured = registry.gathered(registry.Kind.FEATURED_EVENTS, district, limit=limit)
    listed = registry.gathered(registry.Kind.DISTRICT_EVENTS, district, limit=limit)
    items: list[EventItem] = []
    seen: set[str] = set()
    for event, is_featured in [*((e, True) for e in featured), *((e, False) for e in listed)]:
        url = event.get_absolute_url()
        if url in seen:
            continue
        seen.add(url)
        items.append(
            EventItem(
                title=event.title,
                url=settings.SITE_URL + url if url.startswith("/") else url,
                when=event.starts_at,
                place=event.location_text or "",
                featured=is_featured,
            )
        )
    return items[:limit]


def archive() -> list[Newsletter]:
    return list(Newsletter.objects.published().only("subject", "slug", "preheader", "sent_at"))


@dataclass(frozen=True)
class Reader:
    """Whose copy a test copy and the preview show: the events block as this reader's district
    gets it. ``about`` says who it is, for the compose page."""

    name: str
    subscriber_id: int | None
    district: District | None
    about: str


def copy_reader(*, user, district_ids: list[int], include_events: bool) -> Reader:
    """The reader a coordinator's test copy and preview are made for: their own subscription if
    they have one; else themselves as a reader in their home town's district; else a sample
    reader in a district of the audience (the first, by number, with upcoming events)."""
    name = user.first_name or "Alex"
    subscriber = (
        Subscriber.objects.select_related("district").filter(email=user.email.lower()).first() if user.email else None
    )
    if subscriber is not None:
        district = subscriber.district
        where = f"in {district.code}" if district else "with no district"
        return Reader(
            name=subscriber.name or name,
            subscriber_id=subscriber.pk,
            district=district,
            about=f"your own subscription ({subscriber.email}, {where})",
        )
    home = user.home_district if getattr(user, "home_town_id", None) else None
    if home is not None:
        return Reader(
            name=name,
            subscriber_id=None,
            district=home,
            about=f"you as a reader in {home.code} (your home town's district); you are not subscribed",
        )
    districts = list(District.objects.filter(pk__in=district_ids) if district_ids else District.objects.all())
    districts.sort(key=lambda d: d.number)
    sample = next((d for d in districts if include_events and upcoming_events(d.pk, limit=1)), None)
    sample = sample or (districts[0] if districts else None)
    where = f" in {sample.code}" if sample else ""
    return Reader(
        name=name,
        subscriber_id=None,
        district=sample,
        about=f"a sample reader{where}; you are not subscribed and have no home town",
    )
