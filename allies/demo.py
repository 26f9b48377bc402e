"""Demo data of the allies: one fictional allied organization, shown publicly, working in MA-3
and MA-5, co-hosting the demo town hall in Lowell (``events.demo`` seeds first: INSTALLED_APPS
order). Its contact is an address that cannot exist (``.invalid``). Idempotent."""

from __future__ import annotations

from allies.models import Ally, AllyCohost
from districts.models import District
from events.models import Event

DEMO_ALLY_SLUG = "demo-merrimack-tenants-union"
DEMO_COHOSTED_EVENT = "demo-lowell-town-hall"


def seed(stdout) -> None:
    ally, made = Ally.objects.get_or_create(
        slug=DEMO_ALLY_SLUG,
        defaults={
            "name": "Merrimack Valley Tenants Union (demo)",
            "website": "https://tenants.demo.indivisiblemass.invalid/",
            "description": "A fictional allied organization of the demo data: tenants organizing for fair rents.",
            "is_public": True,
            "contact_email": "contact@tenants.demo.indivisiblemass.invalid",
        },
    )
    if made:
        ally.districts.set(District.objects.filter(slug__in=["ma-3", "ma-5"]))
    event = Event.objects.filter(slug=DEMO_COHOSTED_EVENT).first()
    if event is not None:
        AllyCohost.objects.get_or_create(ally=ally, event=event)
    stdout.write(f"allies: {'1 demo ally' if made else 'the demo ally was there'}")
