"""What a group's page tells search engines: a schema.org ``Organization`` (https://schema.org/Organization)
with the towns it serves and its own website; only for a listed group, and only what its page shows."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from districts.models import Town
from groups.models import Group
from imc.links import absolute


def group_data(group: Group, towns: list[Town]) -> dict[str, Any]:
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "Organization",
        "name": group.name,
        "url": absolute(group.get_absolute_url()),
        "areaServed": [
            {"@type": "City", "name": town.name, "containedInPlace": {"@type": "State", "name": "Massachusetts"}}
            for town in towns
        ],
        "parentOrganization": {"@type": "Organization", "name": settings.SITE_NAME, "url": settings.SITE_URL + "/"},
    }
    if group.website:
        data["sameAs"] = [group.website]
    return data
