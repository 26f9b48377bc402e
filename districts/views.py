from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render

from districts.forms import PlaceForm
from districts.models import District
from districts.selectors import district_board, place_lookup, towns_by_district
from imc import registry
from imc.pagecache import public_page


@public_page
def find(request: HttpRequest) -> HttpResponse:
    form = PlaceForm(request.GET or None)
    lookup = None
    if form.is_valid():
        lookup = place_lookup(form.cleaned_data["q"])
    panels = registry.panels(registry.Kind.PLACE_PANEL, request, lookup) if lookup and lookup.found else []
    return render(request, "districts/find.html", {"form": form, "lookup": lookup, "panels": panels})


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
