"""The embeds: small pages for other sites' iframes (a group's, a district's or a filtered list of
upcoming events, one event's card, and a "find your local group" box).

They read through the apps' own selectors and forms (the listing's filters, the one place lookup,
the directory's nearness), show only what the public pages show (listed groups, published events,
never a join link), link to the portal with absolute addresses in a new tab, come from the
anonymous page cache, and are the only pages another site may frame."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponsePermanentRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from districts.forms import PlaceForm
from districts.models import District
from districts.selectors import place_lookup
from events import selectors as event_selectors
from events import share as event_share
from events.forms import EventFilterForm
from events.models import Event
from groups import selectors as group_selectors
from groups.models import Group, GroupSlugHistory
from imc.middleware import frameable_by_any_site
from imc.pagecache import public_page

# An embed is a strip on someone else's page: the next few events, then a link to the rest.
EMBED_EVENTS = 10
EMBED_GROUPS = 5


def _events_page(request: HttpRequest, heading: str, events: list[Event], more_url: str, **extra) -> HttpResponse:
    context = {"heading": heading, "events": events, "more_url": more_url, **extra}
    return render(request, "embed/events.html", context)


@frameable_by_any_site
@public_page
def group_events(request: HttpRequest, slug: str) -> HttpResponse:
    group = Group.objects.listed().filter(slug=slug).first()
    if group is None:
        # A snippet pasted once outlives a rename: the old address follows the group, as its page does.
        old = get_object_or_404(GroupSlugHistory.objects.select_related("group"), slug=slug)
        url = reverse("embed:group_events", args=[old.group.slug])
        query = request.META.get("QUERY_STRING")
        return HttpResponsePermanentRedirect(url + (f"?{query}" if query else ""))
    events = event_selectors.events_of_group(group, limit=EMBED_EVENTS)
    return _events_page(request, f"Upcoming events of {group.name}", events, group.get_absolute_url())


@frameable_by_any_site
@public_page
def district_events(request: HttpRequest, district: str) -> HttpResponse:
    found = get_object_or_404(District, slug=district)
    events = event_selectors.events_of_district(found, limit=EMBED_EVENTS)
    return _events_page(request, f"Upcoming events in {found.code}", events, found.get_absolute_url())


@frameable_by_any_site
@public_page
def event_list(request: HttpRequest) -> HttpResponse:
    form = EventFilterForm(request.GET or None)
    events: list[Event] = []
    if not form.is_bound or form.is_valid():
        filters = form.filters() if form.is_bound else event_selectors.EventFilters()
        events = list(event_selectors.event_search(filters)[:EMBED_EVENTS])
    query = request.GET.urlencode()
    more_url = reverse("events:list") + (f"?{query}" if query else "")
    errors = [error for field_errors in form.errors.values() for error in field_errors] if form.is_bound else []
    return _events_page(request, "Upcoming events", events, more_url, errors=errors)


@frameable_by_any_site
@public_page
def event_card(request: HttpRequest, slug: str) -> HttpResponse:
    """One event as a card: what its public page says, with the way to RSVP on the portal."""
    event = get_object_or_404(
        Event.objects.select_related("host_group", "town").filter(status__in=event_share.PUBLIC_STATUSES), slug=slug
    )
    context = {"event": event, "street_visible": event_share.street_visible(event)}
    return render(request, "embed/event.html", context)


@frameable_by_any_site
@public_page
def find(request: HttpRequest) -> HttpResponse:
    form = PlaceForm(request.GET or None)
    lookup, groups, message = None, [], ""
    if form.is_valid():
        lookup = place_lookup(form.cleaned_data["q"])
        if lookup.found:
            groups = group_selectors.groups_near(lookup.towns[0], limit=EMBED_GROUPS)
        else:
            hint = f" Did you mean {', '.join(lookup.suggestions)}?" if lookup.suggestions else ""
            message = f"We could not find “{lookup.query}” in Massachusetts.{hint}"
    elif form.is_bound:
        message = "Type a Massachusetts town or ZIP code."
    context = {"form": form, "lookup": lookup, "groups": groups, "message": message}
    return render(request, "embed/find.html", context)
