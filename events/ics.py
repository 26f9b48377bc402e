"""iCalendar (RFC 5545) for one event, the public calendars and a member's private feed.

The UID of an event never changes and its SEQUENCE rises with every change, so calendar apps
update the entry they already have. Cancelled events stay in feeds with STATUS:CANCELLED so that
subscribers' calendars drop them instead of keeping a ghost.

The writer never fails on what a row holds: rows saved before the single-line rule may carry
line breaks or control characters in a title or a place, and RFC 5545 allows neither raw in a
content line (nor any control character but tab in a TEXT value). Every text goes through
``imc.validators``' cleaners first, and icalendar then escapes (commas, semicolons, backslashes,
newlines) and folds what is left.

Every time is written in UTC (``...Z``), by ``_utc``, in every calendar this module writes: the
feeds, one event's file and the mails' attachments alike. A time with ``TZID=America/New_York``
would need a VTIMEZONE in the same calendar (RFC 5545 §3.2.19); without one calendar apps read
it as floating. A datetime from the database is already UTC, but one a form hands the change
mail is in Massachusetts time. ``X-WR-TIMEZONE`` stays: it tells apps which zone to show.

Every address is absolute from SITE_URL (``imc.links.absolute``).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from urllib.parse import urlencode

from django.conf import settings
from django.utils import timezone
from icalendar import Calendar, vText
from icalendar import Event as VEvent

from events.models import Event, EventStatus
from imc.links import absolute
from imc.validators import multi_line, single_line

PRODID = "-//Indivisible Mass Coalition//Events//EN"


def _utc(moment: datetime) -> datetime:
    """The one way a time enters a calendar: in UTC, written ``YYYYMMDDTHHMMSSZ``."""
    return moment.astimezone(UTC)


def _vevent(event: Event, *, include_join_url: bool = False, include_address: bool = False) -> VEvent:
    url = single_line(absolute(event.get_absolute_url()))
    changed = _utc(event.updated_at or timezone.now())
    entry = VEvent()
    entry.add("uid", event.uid)
    entry.add("dtstamp", changed)
    entry.add("last-modified", changed)
    entry.add("sequence", event.sequence)
    entry.add("dtstart", _utc(event.starts_at))
    entry.add("dtend", _utc(event.ends_at))
    entry.add("summary", single_line(event.title))
    entry.add("url", url)
    description = f"Hosted by {single_line(event.host_name)}.\n{url}"
    if include_join_url and event.join_url:
        description += f"\nJoin online: {single_line(event.join_url)}"
    if event.description:
        description += "\n\n" + multi_line(event.description)
    entry.add("description", description)
    entry.add("location", single_line(event.location_text_with(address=include_address)))
    entry.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    if event.town_id:
        entry.add("geo", (event.town.latitude, event.town.longitude))
    return entry


def build_calendar(
    events: Iterable[Event], *, name: str, include_join_url: bool = False, include_address: bool = False
) -> bytes:
    """A calendar of ``events``. ``include_join_url`` and ``include_address`` are for a person with
    a seat (their mail, their private feed): public feeds keep a private address to the town."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    # An X- property is not known to be TEXT, so icalendar would write it unescaped: say it is.
    cal.add("x-wr-calname", vText(single_line(name)))
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    for event in events:
        cal.add_component(_vevent(event, include_join_url=include_join_url, include_address=include_address))
    return cal.to_ical()


def event_ics(event: Event, *, include_join_url: bool = False, include_address: bool = False) -> bytes:
    return build_calendar([event], name=event.title, include_join_url=include_join_url, include_address=include_address)


def google_calendar_url(event: Event, *, include_address: bool = False) -> str:

    dates = f"{_utc(event.starts_at):%Y%m%dT%H%M%SZ}/{_utc(event.ends_at):%Y%m%dT%H%M%SZ}"
    query = {
        "action": "TEMPLATE",
        "text": event.title,
        "dates": dates,
        "details": absolute(event.get_absolute_url()),
        "location": event.location_text_with(address=include_address),
        "ctz": settings.TIME_ZONE,
    }
    return "https://calendar.google.com/calendar/render?" + urlencode(query)


def outlook_calendar_url(event: Event, *, include_address: bool = False) -> str:
    query = {
        "path": "/calendar/action/compose",
        "rru": "addevent",
        "subject": event.title,
        "startdt": event.starts_at.isoformat(),
        "enddt": event.ends_at.isoformat(),
        "body": absolute(event.get_absolute_url()),
        "location": event.location_text_with(address=include_address),
    }
    return "https://outlook.live.com/calendar/0/deeplink/compose?" + urlencode(query)


# How far back public feeds reach: calendar apps keep what they already have.
FEED_HISTORY = timedelta(days=60)
