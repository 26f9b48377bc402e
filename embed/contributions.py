"""What the embeds give the shared pages (see ``imc.registry``): "Embed this" on a group's page
and a district's page, with the one line of HTML a webmaster copies."""

from __future__ import annotations

from html import escape

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from districts.models import District
from groups.models import Group, GroupStatus
from imc import links
from imc.registry import Kind, contributes

EMBED_HEIGHT = 420


def _snippet(request: HttpRequest, path: str, title: str) -> SafeString:
    src = links.absolute(path)
    code = f'<iframe src="{src}" title="{escape(title)}" loading="lazy" width="100%" height="{EMBED_HEIGHT}"></iframe>'
    return render_to_string("embed/panels/embed_this.html", {"code": code, "src": src}, request)


@contributes(Kind.GROUP_PANEL)
def group_panel(request: HttpRequest, group: Group) -> SafeString | str:
    if group.status != GroupStatus.APPROVED:
        return ""  # its embed answers 404 until the group is listed
    path = reverse("embed:group_events", args=[group.slug])
    return _snippet(request, path, f"Upcoming events of {group.name}")


@contributes(Kind.DISTRICT_PANEL)
def district_panel(request: HttpRequest, district: District) -> SafeString | str:
    path = reverse("embed:district_events", args=[district.slug])
    return _snippet(request, path, f"Upcoming events in {district.code}")
