"""What the embeds give the shared pages (see ``imc.registry``): "Embed this" on a group's page,
a district's page and an event's page, with the one line of HTML a webmaster copies."""

from __future__ import annotations

from html import escape

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.safestring import SafeString

from districts.models import District
from events import share as event_share
from events.models import Event
from groups.models import Group, GroupStatus
from imc import links
from imc.registry import Kind, contributes

EMBED_HEIGHT = 420
EVENT_EMBED_HEIGHT = 260  # one card


def _snippet(request: HttpRequest, path: str, title: str, *, height: int = EMBED_HEIGHT, what: str = "") -> SafeString:
    src = links.absolute(path)
    code = f'<iframe src="{src}" title="{escape(title)}" loading="lazy" width="100%" height="{height}"></iframe>'
    context = {"code": code, "src": src, "what": what or "these upcoming events"}
    return render_to_string("embed/panels/embed_this.html", context, request)


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


@contributes(Kind.EVENT_PANEL)
def event_panel(request: HttpRequest, event: Event) -> SafeString | str:
    if event.status not in event_share.PUBLIC_STATUSES:
        return ""  # a draft's embed answers 404 until it is published
    path = reverse("embed:event", args=[event.slug])
    return _snippet(request, path, event.title, height=EVENT_EMBED_HEIGHT, what="this event")
