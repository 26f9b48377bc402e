"""Demo subscribers and one sent issue. Everything is fictional and marked as demo."""

from __future__ import annotations

from django.conf import settings
from django.utils import timezone

from districts.models import District
from newsletter.models import (
    ChunkStatus,
    ConsentSource,
    Delivery,
    DeliveryStatus,
    Newsletter,
    NewsletterStatus,
    SendChunk,
    Subscriber,
    SubscriberStatus,
)

DEMO_SLUG = "demo-welcome-to-the-coalition-newsletter"
BODY = """This is a **demo issue** of the coalition newsletter, made by `seed_demo`.

## What happened this month

- Town halls in every district: [see the events](/events/)
- New local groups joined the coalition: [browse the directory](/groups/)

> Organising works when we show up together.
"""


def seed(stdout) -> None:
    now = timezone.now()
    subscribers = []
    for district in District.objects.all():
        for n in range(1, 4):
            subscriber, _ = Subscriber.objects.update_or_create(
                email=f"subscriber-{district.slug}-{n}@{settings.DEMO_EMAIL_DOMAIN}",
                defaults={
                    "name": f"Demo {district.code} #{n}",
                    "district": district,
                    "town": district.primary_towns.order_by("-population").first(),
                    "status": SubscriberStatus.CONFIRMED,
                    "consent_at": now,
                    "consent_source": ConsentSource.DEMO,
                    "confirmed_at": now,
                },
            )
            subscribers.append(subscriber)
    issue, _ = Newsletter.objects.update_or_create(
        slug=DEMO_SLUG,
        defaults={
            "subject": "Welcome to the coalition newsletter (demo)",
            "preheader": "A demo issue: town halls, new groups, and how to take part.",
            "body_markdown": BODY,
            "status": NewsletterStatus.SENT,
            "prepared": True,
            "started_at": now,
            "sent_at": now,
            "recipient_count": len(subscribers),
        },
    )
    for subscriber in subscribers:
        Delivery.objects.update_or_create(
            newsletter=issue,
            subscriber=subscriber,
            defaults={"chunk": 0, "status": DeliveryStatus.SENT, "sent_at": now},
        )
    SendChunk.objects.update_or_create(
        newsletter=issue,
        number=0,
        defaults={"status": ChunkStatus.DONE, "size": len(subscribers), "sent_count": len(subscribers), "done_at": now},
    )
    stdout.write(f"newsletter: {len(subscribers)} demo subscribers, 1 sent demo issue")
