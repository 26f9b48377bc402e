"""What the home page leads with: the next events near the reader, and the numbers of the whole."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.http import urlencode

from districts.models import Town
from events import selectors as event_selectors
from events.contributions import NEAR_MILES
from events.models import Event
from groups.models import Group
from imc import registry

HOME_EVENTS = 5
HOME_FEATURED = 3


@dataclass(frozen=True)
class HomeEvents:
    heading: str
    events: list[Event]
    near: Town | None  # the town the events are near, or None: statewide
    more_url: str


def home_events(user) -> HomeEvents:
    """The next events within reach of a member's home town; statewide for everyone else, and
    for a member with nothing nearby (an empty list would hide what is on elsewhere)."""
    town = user.home_town if user.is_authenticated and user.home_town_id else None
    if town is not None:
        near = event_selectors.events_near([town], miles=NEAR_MILES, limit=HOME_EVENTS)
        if near:
            more = reverse("events:list") + "?" + urlencode({"town": town.name, "distance": NEAR_MILES})
            return HomeEvents(heading=f"Next events near {town.name}", events=near, near=town, more_url=more)
    events = list(Event.objects.listed().for_cards()[:HOME_EVENTS])
    return HomeEvents(heading="Next events in Massachusetts", events=events, near=None, more_url=reverse("events:list"))


def home_featured() -> list[Event]:
    """The events the board features, every district's, soonest first (``Kind.FEATURED_EVENTS``)."""
    return registry.gathered(registry.Kind.FEATURED_EVENTS, None, limit=HOME_FEATURED)


def home_counts() -> dict[str, int]:
    """The listed groups and the upcoming events: two counts on indexed columns."""
    return {"groups": Group.objects.listed().count(), "events": Event.objects.listed().count()}
