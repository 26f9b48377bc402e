"""iCalendar (RFC 5545) for one event, the public calendars and a member's private feed.

The UID of an event never changes and its SEQUENCE rises with every change, so calendar apps
update the entry they already have. Cancelled events stay in feeds with STATUS:CANCELLED so that
subscribers' calendars drop them instead of keeping a ghost.

The writer never fails on what a row holds: rows saved before the single-line rule may carry
line breaks or control characters in a title or a place, and RFC 5545 allows neither raw in a
content line (nor any control character but tab in a TEXT value). Every text goes through
``imc.validators``' cleaners first, and icalendar then escapes and folds what is left.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, vText
from icalendar import Event as VEvent

from events.models import Event, EventStatus
from imc.validators import multi_line, single_line

PRODID = "-//Indivisible Mass Coalition//Events//EN"


def _vevent(event: Event, *, include_join_url: bool = False) -> VEvent:
    url = single_line(settings.SITE_URL + event.get_absolute_url())
    entry = VEvent()
    entry.add("uid", event.uid)
    entry.add("dtstamp", event.updated_at or timezone.now())
    entry.add("last-modified", event.updated_at or timezone.now())
    entry.add("sequence", event.sequence)
    entry.add("dtstart", event.starts_at)
    entry.add("dtend", event.ends_at)
    entry.add("summary", single_line(event.title))
    entry.add("url", url)
    description = f"Hosted by {single_line(event.host_name)}.\n{url}"
    if include_join_url and event.join_url:
        description += f"\nJoin online: {single_line(event.join_url)}"
    if event.description:
        description += "\n\n" + multi_line(event.description)
    entry.add("description", description)
    entry.add("location", single_line(event.location_text))
    entry.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    if event.town_id:
        entry.add("geo", (event.town.latitude, event.town.longitude))
    return entry


def build_calendar(events: Iterable[Event], *, name: str, include_join_url: bool = False) -> bytes:
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # An X- property is not known to be TEXT, so icalendar would write it unescaped: say it is.
    cal.add("x-wr-calname", vText(single_line(name)))
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for event in events:
        cal.add_component(_vevent(event, include_join_url=include_join_url))
    return cal.to_ical()


def event_ics(event: Event, *, include_join_url: bool = False) -> bytes:
    return build_calendar([event], name=event.title, include_join_url=include_join_url)


def google_calendar_url(event: Event) -> str:

    dates = f"{event.starts_at.astimezone(UTC):%Y%m%dT%H%M%SZ}/{event.ends_at.astimezone(UTC):%Y%m%dT%H%M%SZ}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": settings.SITE_URL + event.get_absolute_url(),
        "location": event.location_text,
        "ctz": settings.TIME_ZONE,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event: Event) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.starts_at.isoformat(),
        "enddt": event.ends_at.isoformat(),
        "body": settings.SITE_URL + event.get_absolute_url(),
        "location": event.location_text,
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


# How far back public feeds reach: calendar apps keep what they already have.
FEED_HISTORY = timedelta(days=60)
