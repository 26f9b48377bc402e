"""Demo events for local use. Fictional, marked "(demo)" in titles and "demo-" in addresses.

Idempotent: each run moves the same events to dates relative to today.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.utils import timezone

from districts.models import Town
from events.models import Event, EventStatus, EventType
from events.reminders import MA_TZ
from groups.models import Group, GroupStatus

# (slug, title, type, days from today, hour, town or None for online, capacity, accessibility)
DEMO_EVENTS = [
    (
        "demo-lowell-town-hall",
        "Town hall on health care (demo)",
        EventType.TOWN_HALL,
        3,
        19,
        "Lowell",
        80,
        ["wheelchair", "asl"],
    ),
    ("demo-statewide-phone-bank", "Statewide phone bank (demo)", EventType.PHONE_BANK, 5, 18, None, None, []),
    ("demo-worcester-canvass", "Saturday canvass (demo)", EventType.CANVASS, 9, 10, "Worcester", 25, ["transit"]),
    (
        "demo-boston-rally",
        "Rally at the State House (demo)",
        EventType.RALLY,
        12,
        12,
        "Boston",
        None,
        ["wheelchair", "transit"],
    ),
    (
        "demo-pittsfield-postcards",
        "Postcard writing social (demo)",
        EventType.POSTCARDS,
        6,
        14,
        "Pittsfield",
        12,
        ["childcare"],
    ),
    (
        "demo-newton-training",
        "Nonviolent action training (demo)",
        EventType.TRAINING,
        15,
        18,
        "Newton",
        2,
        ["wheelchair"],
    ),
]

DESCRIPTION = "Demo data: a fictional event for trying out the portal.\n\n* Bring a friend\n* Snacks provided"


def seed(stdout) -> None:
    today = timezone.localdate()
    groups = list(Group.objects.filter(status=GroupStatus.APPROVED).order_by("name")[:3])
    for index, (slug, title, kind, days, hour, town_name, capacity, access) in enumerate(DEMO_EVENTS):
        start = datetime.combine(today + timedelta(days=days), time(hour=hour), tzinfo=MA_TZ)
        town = Town.objects.get(name=town_name) if town_name else None
        host = groups[index % len(groups)] if groups and town is not None and index % 2 == 0 else None
        Event.objects.update_or_create(
            slug=slug,
            defaults={
                "title": title,
                "event_type": kind,
                "starts_at": start,
                "ends_at": start + timedelta(hours=2),
                "town": town,
                "district": town.primary_district if town else None,
                "venue": "Public library, community room" if town else "",
                "is_online": town is None,
                "join_url": "https://meet.example.invalid/demo" if town is None else "",
                "host_group": host,
                "capacity": capacity,
                "accessibility": access,
                "description": DESCRIPTION,
                "status": EventStatus.PUBLISHED,
            },
        )
    stdout.write(f"Events: {len(DEMO_EVENTS)} demo events (slugs start with demo-).")
