"""What the desk gives the shared pages, the privacy rights, the featured events and the demo data
(see ``imc.registry``)."""

from __future__ import annotations

from django.http import HttpRequest
from django.template.loader import render_to_string
from django.utils.safestring import SafeString

from desk import demo, selectors
from desk.models import ContactNote, Outreach
from desk.policy import has_desk
from imc.registry import Kind, contributes, register


@contributes(Kind.PROFILE_PANEL)
def profile_panel(request: HttpRequest) -> SafeString | str:
    """A link to the desk, for the reps and coordinators who have one."""
    if not has_desk(request.user):
        return ""
    return render_to_string("desk/panels/profile.html", {}, request)


@contributes(Kind.EXPORT_USER_DATA)
def export_user_data(user) -> dict:
    """The notes a rep wrote and the messages they sent from the desk: theirs to download.
    The notes others wrote about a group the person organizes are the board's, not theirs."""
    return {
        "contact_notes": [
            {
                "group": n.group.name,
                "when": n.contacted_on.isoformat(),
                "how": n.method,
                "note": n.note,
                "next_check_in": n.next_check_in.isoformat() if n.next_check_in else None,
            }
            for n in ContactNote.objects.filter(rep=user).select_related("group").order_by("contacted_on", "pk")
        ],
        "outreach": [
            {"district": o.district.code, "subject": o.subject, "body": o.body, "at": o.created_at.isoformat()}
            for o in Outreach.objects.filter(rep=user).select_related("district").order_by("created_at")
        ],
    }


register(Kind.FEATURED_EVENTS, selectors.featured_events)
register(Kind.DEMO_SEED, demo.seed)
