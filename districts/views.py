from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from districts.forms import WHERE_DO_I_VOTE_URL, PlaceForm, PrecinctForm
from districts.models import Chamber, District, LegislativeDistrict
from districts.selectors import (
    district_board,
    legislature_of_towns,
    place_lookup,
    state_district_towns,
    state_districts,
    towns_by_district,
)
from imc import registry
from imc.pagecache import public_page


@public_page
def find(request: HttpRequest) -> HttpResponse:
    """A place's districts: congressional, State Senate and State House. A town split for any
    of them asks for the voter's ward and precinct, then names exactly their three."""
    form = PlaceForm(request.GET or None)
    lookup = None
    towns: list[dict] = []
    if form.is_valid():
        lookup = place_lookup(form.cleaned_data["q"])
        legislature = legislature_of_towns(lookup.towns)
        # A precinct is asked of one town at a time: its form names the town in ``q``.
        asked = len(lookup.towns) == 1 and ("precinct" in request.GET or "ward" in request.GET)
        for town in lookup.towns:
            entry = legislature[town.pk]
            precinct_form = None
            if entry.is_split:
                precinct_form = PrecinctForm(entry, request.GET if asked else None)
                if asked and precinct_form.is_valid():
                    lookup.precinct = precinct_form.precinct_found
            towns.append({"town": town, "legislature": entry, "precinct_form": precinct_form})
    panels = registry.panels(registry.Kind.PLACE_PANEL, request, lookup) if lookup and lookup.found else []
    context = {
        "form": form,
        "lookup": lookup,
        "towns": towns,
        "panels": panels,
        "where_do_i_vote_url": WHERE_DO_I_VOTE_URL,
    }
    return render(request, "districts/find.html", context)


@public_page
def district_list(request: HttpRequest) -> HttpResponse:
    districts = list(District.objects.all())
    towns = towns_by_district(districts)
    rows = [(district, towns[district.pk]) for district in districts]
    return render(request, "districts/district_list.html", {"districts": districts, "rows": rows})


FEATURED_SHOWN = 5


@public_page
def district_detail(request: HttpRequest, slug: str) -> HttpResponse:
    district = get_object_or_404(District, slug=slug)
    context = {
        "district": district,
        "towns": towns_by_district([district])[district.pk],
        "board": district_board(district),
        "panels": registry.panels(registry.Kind.DISTRICT_PANEL, request, district),
        # What the board amplifies for the district's readers, above everything else.
        "featured": registry.gathered(registry.Kind.FEATURED_EVENTS, district, limit=FEATURED_SHOWN),
    }
    return render(request, "districts/district_detail.html", context)


@public_page
def state_district_list(request: HttpRequest, chamber: Chamber) -> HttpResponse:
    other = Chamber.SENATE if chamber == Chamber.HOUSE else Chamber.HOUSE
    context = {"chamber": chamber, "other_chamber": other, "districts": state_districts(chamber)}
    return render(request, "districts/state_district_list.html", context)


@public_page
def state_district_detail(request: HttpRequest, chamber: Chamber, slug: str) -> HttpResponse:
    district = get_object_or_404(LegislativeDistrict, chamber=chamber, slug=slug)
    towns = state_district_towns(district)
    context = {
        "district": district,
        "towns": towns,
        "precinct_count": sum(len(entry.precincts) for entry in towns),
        "panels": registry.panels(registry.Kind.STATE_DISTRICT_PANEL, request, district),
    }
    return render(request, "districts/state_district_detail.html", context)
