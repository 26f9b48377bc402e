"""What an event's page tells the sites it is shared on: Open Graph tags for link previews and
schema.org ``Event`` JSON-LD for search engines (https://schema.org/Event).

Everything here is what the public page shows, never more: the online join link stays for the
people who RSVP'd (an online event's ``VirtualLocation`` is the event's own page), and a street
address the page hides is hidden here too (``street_visible``, the one switch). Every address is
absolute, from SITE_URL (``imc.links``).
"""

from __future__ import annotations

import html
from typing import Any

from django.conf import settings
from django.templatetags.static import static
from django.utils.text import Truncator

from events import policy
from events.models import Event, EventStatus
from events.reminders import MA_TZ
from imc import jsonld
from imc.links import absolute
from imc.markdown import plain_text, render_markdown

SCHEMA = "https://schema.org/"
SOCIAL_CARD = "img/social-card.png"  # the coalition's card (1200 × 630), as base.html shows it
DESCRIPTION_WORDS = 60
# The events anyone may read about elsewhere: a cancelled one stays up and says so, as its page does.
PUBLIC_STATUSES = (EventStatus.PUBLISHED, EventStatus.CANCELLED)


def street_visible(event: Event) -> bool:
    """Whether the public may read the event's venue and street address, or only its town.

    The page's structured data and the embed's card ask here; the rule itself is
    ``events.policy.sees_address``, asked for an anonymous reader (these are public)."""
    return policy.sees_address(None, event)


def summary(event: Event) -> str:
    """The description as a line of plain text: the preview's and the JSON-LD's description."""
    text = " ".join(html.unescape(plain_text(render_markdown(event.description))).split())
    return Truncator(text).words(DESCRIPTION_WORDS) or f"{event.get_event_type_display()} hosted by {event.host_name}."


def location(event: Event) -> list[dict[str, Any]]:
    """Where: a ``Place`` with its ``PostalAddress`` (the town only, when the street is not
    public), a ``VirtualLocation`` that is the event's page (never the join link), or both."""
    found: list[dict[str, Any]] = []
    if event.town_id:
        address: dict[str, Any] = {
            "@type": "PostalAddress",
            "addressLocality": event.town.name,
            "addressRegion": "MA",
            "addressCountry": "US",
        }
        place: dict[str, Any] = {"@type": "Place", "name": event.town.name, "address": address}
        if street_visible(event):
            if event.address:
                address["streetAddress"] = event.address
            if event.venue:
                place["name"] = event.venue
        found.append(place)
    if event.is_online:
        found.append({"@type": "VirtualLocation", "url": absolute(event.get_absolute_url())})
    return found


def attendance_mode(event: Event) -> str:
    if event.is_online and event.town_id:
        return SCHEMA + "MixedEventAttendanceMode"
    return SCHEMA + ("OnlineEventAttendanceMode" if event.is_online else "OfflineEventAttendanceMode")


def organizer(event: Event) -> dict[str, Any]:
    url = absolute(event.host_group.get_absolute_url()) if event.host_group_id else settings.SITE_URL + "/"
    return {"@type": "Organization", "name": event.host_name, "url": url}


def event_data(event: Event) -> dict[str, Any]:
    """The schema.org ``Event`` of the public page, with the times in Massachusetts time and offset."""
    where = location(event)
    return {
        "@context": "https://schema.org",
        "@type": "Event",
        "name": event.title,
        "description": summary(event),
        "url": absolute(event.get_absolute_url()),
        "image": [absolute(static(SOCIAL_CARD))],
        "startDate": event.starts_at.astimezone(MA_TZ).isoformat(),
        "endDate": event.ends_at.astimezone(MA_TZ).isoformat(),
        "eventStatus": SCHEMA + ("EventCancelled" if event.is_cancelled else "EventScheduled"),
        "eventAttendanceMode": attendance_mode(event),
        "location": where[0] if len(where) == 1 else where,
        "organizer": organizer(event),
    }


def share_context(event: Event) -> dict[str, Any]:
    """What ``templates/events/_share_head.html`` puts in the page's head."""
    return {
        "og_url": absolute(event.get_absolute_url()),
        "og_description": summary(event),
        "jsonld": jsonld.script(event_data(event)),
    }
