"""Reads of the allies, each a fixed number of queries."""

from __future__ import annotations

from django.db.models import Prefetch

from allies.models import Ally, AllyCohost
from districts.models import District
from events.models import Event

JOINT_EVENTS_SHOWN = 50


def public_allies() -> list[Ally]:
    """The public list: two queries (the allies, their districts)."""
    return list(Ally.objects.public().prefetch_related("districts"))


def public_ally(slug: str) -> Ally | None:
    return Ally.objects.public().filter(slug=slug).first()


def joint_events(ally: Ally) -> list[Event]:
    """The ally's upcoming listed events held with a group of the coalition: one query."""
    return list(Event.objects.listed().filter(ally_cohosts__ally=ally).for_cards()[:JOINT_EVENTS_SHOWN])


def event_allies(event: Event) -> list[Ally]:
    """The public allies an event is co-hosted with: one query."""
    return list(Ally.objects.public().filter(cohosts__event=event))


def allies_of_district(district: District) -> list[Ally]:
    """Every ally working in the district, public or not (the desk's list): two queries."""
    upcoming = AllyCohost.objects.filter(event__in=Event.objects.listed()).select_related("event")
    return list(
        district.allies.all().prefetch_related(Prefetch("cohosts", queryset=upcoming, to_attr="upcoming_cohosts"))
    )
