"""What groups gives the shared pages, the privacy rights and the demo data (see ``imc.registry``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from districts.models import District, LegislativeDistrict
from districts.selectors import PlaceLookup
from groups import demo, selectors, services
from groups.models import Group, GroupDistrict, GroupSlugHistory, Membership
from imc.registry import Kind, contributes, register


@contributes(Kind.HOME_PANEL)
def home_panel(request: HttpRequest) -> SafeString | str:
    """Groups near the member's home town, when we know it."""
    user = request.user
    if not (user.is_authenticated and user.home_town_id):
        return ""
    town = user.home_town
    groups = selectors.groups_near(town, limit=3)
    if not groups:
        return ""
    return render_to_string(
        "groups/panels/near.html", {"groups": groups, "anchor": town, "heading": f"Groups near {town.name}"}, request
    )


@contributes(Kind.PLACE_PANEL)
def place_panel(request: HttpRequest, lookup: PlaceLookup) -> SafeString | str:
    town = lookup.towns[0]
    groups = selectors.groups_near(town, limit=5)
    context = {"groups": groups, "anchor": town, "heading": f"Groups for {town.name}", "more_town": town}
    return render_to_string("groups/panels/near.html", context, request)


@contributes(Kind.DISTRICT_PANEL)
def district_panel(request: HttpRequest, district: District) -> SafeString | str:
    groups, total = selectors.district_groups(district)
    return render_to_string(
        "groups/panels/district.html", {"groups": groups, "total": total, "district": district}, request
    )


@contributes(Kind.STATE_DISTRICT_PANEL)
def state_district_panel(request: HttpRequest, district: LegislativeDistrict) -> SafeString | str:
    groups, total = selectors.state_district_groups(district)
    return render_to_string(
        "groups/panels/state_district.html", {"groups": groups, "total": total, "district": district}, request
    )


@contributes(Kind.PROFILE_PANEL)
def profile_panel(request: HttpRequest) -> SafeString | str:
    memberships = selectors.member_groups(request.user)
    return render_to_string("groups/panels/my_groups.html", {"memberships": memberships}, request)


@contributes(Kind.EXPORT_USER_DATA)
def export_user_data(user) -> dict:
    return selectors.user_groups_data(user)


@contributes(Kind.ERASE_USER_DATA)
def erase_user_data(user) -> None:
    services.user_groups_erase(user=user)


register(Kind.DEMO_SEED, demo.seed)


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list[type]:
    return [Group, GroupDistrict, GroupSlugHistory, Membership]
