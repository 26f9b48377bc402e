"""What the allies give the shared pages, the page cache and the demo data (see ``imc.registry``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from allies import demo, selectors
from allies.models import Ally, AllyCohost
from imc.registry import Kind, contributes, register


@contributes(Kind.EVENT_PANEL)
def event_panel(request: HttpRequest, event) -> SafeString | str:
    """The public allies an event is held with, each linking to its page."""
    allies = selectors.event_allies(event)
    if not allies:
        return ""
    return render_to_string("allies/panels/event.html", {"allies": allies}, request)


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list:
    return [Ally, Ally.districts.through, AllyCohost]


register(Kind.DEMO_SEED, demo.seed)
