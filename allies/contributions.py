"""What the allies give the shared pages, the member's data download, the page cache and the demo
data (see ``imc.registry``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from accounts.selectors import address_match, user_verified_addresses
from allies import demo, selectors
from allies.models import Ally, AllyCohost
from allies.services import RELAY_KIND
from imc.registry import Kind, contributes, register
from outbox.models import OutboundEmail


@contributes(Kind.EVENT_PANEL)
def event_panel(request: HttpRequest, event) -> SafeString | str:
    """The public allies an event is held with, each linking to its page."""
    allies = selectors.event_allies(event)
    if not allies:
        return ""
    return render_to_string("allies/panels/event.html", {"allies": allies}, request)


@contributes(Kind.EXPORT_USER_DATA)
def export_user_data(user) -> dict:
    """The messages the member wrote to allies (the outbox rows carrying their address as the
    reply-to): what they wrote and when, never the ally's address. Deleting the account deletes
    those rows (``accounts.selectors.outbox_rows_naming``)."""
    rows = OutboundEmail.objects.filter(address_match("reply_to", user_verified_addresses(user)), kind=RELAY_KIND)
    return {
        "messages_sent": [
            {"subject": r.subject, "message": r.body_text, "at": r.created_at.isoformat()}
            for r in rows.order_by("created_at", "pk")
        ]
    }


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list:
    return [Ally, Ally.districts.through, AllyCohost]


register(Kind.DEMO_SEED, demo.seed)
