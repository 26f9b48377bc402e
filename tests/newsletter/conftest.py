"""The newsletter's cast: confirmed subscribers across districts, a pending one, an unsubscribed one."""

from __future__ import annotations

import pytest
from django.utils import timezone

from districts.models import District, Town
from newsletter.models import ConsentSource, Subscriber, SubscriberStatus


@pytest.fixture(autouse=True)
def _newsletter_settings(settings):
    settings.SITE_URL = "https://portal.example.org"
    settings.NEWSLETTER_RATE_PER_SECOND = 0  # unlimited unless a test is about the limit
    settings.NEWSLETTER_CHUNK_SIZE = 500


@pytest.fixture(autouse=True)
def _clear_cache():
    from django.core.cache import cache

    cache.clear()


def make_subscriber(email: str, *, town: str | None = None, status=SubscriberStatus.CONFIRMED, name: str = ""):
    town_obj = Town.objects.get(name=town) if town else None
    return Subscriber.objects.create(
        email=email,
        name=name,
        town=town_obj,
        district=town_obj.primary_district if town_obj else None,
        status=status,
        consent_at=timezone.now(),
        consent_source=ConsentSource.PAGE,
        confirmed_at=timezone.now() if status == SubscriberStatus.CONFIRMED else None,
    )


@pytest.fixture
def bob(db):
    """Confirmed, in Lowell (MA-3)."""
    return make_subscriber("bob@example.org", town="Lowell", name="Bob")


@pytest.fixture
def carol(db):
    """Confirmed, in Springfield (MA-1)."""
    return make_subscriber("carol@example.org", town="Springfield", name="Carol")


@pytest.fixture
def dan(db):
    """Confirmed, no district."""
    return make_subscriber("dan@example.org")


@pytest.fixture
def pete(db):
    """Asked to subscribe but never confirmed."""
    return make_subscriber("pete@example.org", status=SubscriberStatus.PENDING)


@pytest.fixture
def uma(db):
    """Unsubscribed."""
    return make_subscriber("uma@example.org", status=SubscriberStatus.UNSUBSCRIBED)


@pytest.fixture
def staff_client(staff_client_factory, coordinator):
    """The coordinator signed in with a second factor, as staff pages require."""
    return staff_client_factory(coordinator)


def ma(number: int) -> District:
    return District.objects.get(number=number)
