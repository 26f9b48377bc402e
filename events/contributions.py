"""What events gives the shared pages, the privacy rights, the newsletter and the demo data.

Panels for the home, /find/, district, group and profile pages, the next event on each directory
card, the district's events in the newsletter (see ``imc.registry``).
"""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.safestring import SafeString

from accounts.selectors import user_verified_addresses
from events import demo, selectors, services
from events.models import Event, EventQuestion, EventSeries, MemberCalendar, Rsvp
from groups.policy import is_organizer
from imc.links import absolute
from imc.registry import Kind, contributes, register

NEAR_MILES = 25


def _render(request: HttpRequest, heading: str, events: list[Event], more_url: str, empty: str, **extra) -> SafeString:
    context = {"heading": heading, "events": events, "more_url": more_url, "empty": empty, **extra}
    return render_to_string("events/panels/events_panel.html", context, request=request)


@contributes(Kind.HOME_PANEL)
def home_panel(request: HttpRequest) -> SafeString:
    events = list(Event.objects.listed().for_cards()[:5])
    return _render(request, "Upcoming events", events, reverse("events:list"), "No upcoming events yet.")


@contributes(Kind.PLACE_PANEL)
def place_panel(request: HttpRequest, lookup) -> SafeString | str:
    if not lookup or not lookup.found:
        return ""
    events = selectors.events_near(lookup.towns, miles=NEAR_MILES)
    if lookup.zip_code:
        query = {"zip": lookup.zip_code.code, "distance": NEAR_MILES}
    else:
        query = {"town": lookup.towns[0].name, "distance": NEAR_MILES}
    place = lookup.zip_code.code if lookup.zip_code else lookup.towns[0].name
    return _render(
        request,
        f"Events within {NEAR_MILES} miles of {place}",
        events,
        reverse("events:list") + "?" + urlencode(query),
        "No upcoming events nearby yet.",
    )


@contributes(Kind.DISTRICT_PANEL)
def district_panel(request: HttpRequest, district) -> SafeString:
    events = selectors.events_of_district(district)
    return _render(
        request,
        f"Upcoming events in {district.code}",
        events,
        reverse("events:list") + "?" + urlencode({"district": district.slug}),
        f"No upcoming events in {district.code} yet.",
        feed_url=reverse("district_calendar_ics", args=[district.slug]),
    )


@contributes(Kind.STATE_DISTRICT_PANEL)
def state_district_panel(request: HttpRequest, district) -> SafeString:
    return _render(
        request,
        f"Upcoming events in the {district.title}",
        selectors.events_of_state_district(district),
        reverse("events:list"),
        f"No upcoming events in the {district.title} yet.",
    )


@contributes(Kind.GROUP_PANEL)
def group_panel(request: HttpRequest, group) -> SafeString:
    """The group's events; its organizers also see the co-hosting invitations waiting for them."""
    events = selectors.events_of_group(group)
    invitations = selectors.cohost_invitations_pending(group) if is_organizer(request.user, group) else []
    return _render(
        request,
        "Upcoming events",
        events,
        "",
        "No upcoming events.",
        feed_url=reverse("group_calendar_ics", args=[group.slug]),
        cohost_invitations=invitations,
    )


@contributes(Kind.PROFILE_PANEL)
def profile_panel(request: HttpRequest) -> SafeString | str:
    if not request.user.is_authenticated:
        return ""
    # Reading the page never writes: the private feed address is made on request (a POST).
    feed = MemberCalendar.objects.filter(user=request.user).first()
    context = {
        "rsvps": selectors.my_rsvps(request.user),
        # The address to paste into a calendar app: on SITE_URL, like every absolute address.
        "feed_url": absolute(feed.get_absolute_url()) if feed else "",
    }
    return render_to_string("events/panels/my_events.html", context, request=request)


@contributes(Kind.EXPORT_USER_DATA)
def export_user_data(user) -> dict:
    """A member's RSVPs and whether they have a private feed, for the download at /accounts/data/."""
    rsvps = user.event_rsvps.select_related("event").prefetch_related("event__questions").order_by("event__starts_at")
    return {
        "rsvps": [
            {
                "event": rsvp.event.title,
                "url": rsvp.event.get_absolute_url(),
                "starts_at": rsvp.event.starts_at.isoformat(),
                "status": rsvp.status,
                "since": rsvp.status_changed_at.isoformat(),
                "attended": rsvp.attended,
                "party_size": rsvp.party_size,
                "answers": selectors.labelled_answers(rsvp),
            }
            for rsvp in rsvps
        ],
        "private_calendar_feed": MemberCalendar.objects.filter(user=user).exists(),
        # RSVPs made as a guest with an address the member has proved is theirs (not yet claimed).
        "guest_rsvps": [
            rsvp
            for email in sorted(user_verified_addresses(user))
            for rsvp in services.guest_data_export(email)["rsvps"]
        ],
    }


@contributes(Kind.ERASE_USER_DATA)
def erase_user_data(user) -> None:
    """Before the account goes: give up every seat, so the waitlists move on and are told."""
    services.rsvps_release_for_user(user=user)
    for email in user_verified_addresses(user):
        services.guest_data_erase(email)


@contributes(Kind.EXPORT_ADDRESS_DATA)
def export_address_data(email: str) -> dict:
    """A guest's RSVPs (made without an account) under the address."""
    return services.guest_data_export(email)


@contributes(Kind.ERASE_ADDRESS_DATA)
def erase_address_data(email: str) -> None:
    """A guest's RSVPs go: their seats first, so the waitlists move on."""
    services.guest_data_erase(email)


register(Kind.GROUP_NEXT_EVENTS, selectors.next_event_by_group)
register(Kind.DISTRICT_EVENTS, selectors.events_of_district)
register(Kind.DEMO_SEED, demo.seed)


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list[type]:
    return [EventSeries, Event, EventQuestion, Rsvp]
