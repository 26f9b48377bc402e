"""Co-hostings made before invitations existed: kept only where nobody else's consent was needed.

Until now any organizer could attach an event to any group's page by naming it as co-host, so an
existing row proves nothing about the co-host group's consent. A row is kept (as an accepted
invitation) where the host group and the co-host group share an active organizer: that person
could have accepted the invitation themselves under the new rule. Every other row becomes a
pending invitation and leaves the co-host group's page and feeds until one of its organizers
accepts it; they find it under the events on their group's page. No mail is sent from here:
templates and settings are those of today's code, not of this migration. The demo data
(events/demo.py) names no co-hosts, so it is not affected.
"""

from django.db import migrations


def invitations_for_existing_cohosts(apps, schema_editor) -> None:
    Event = apps.get_model("events", "Event")
    CoHostInvitation = apps.get_model("events", "CoHostInvitation")
    Membership = apps.get_model("groups", "Membership")
    through = Event.co_hosts.through
    rows = through.objects.select_related("event").order_by("pk")
    for row in rows.iterator(chunk_size=1000):
        host_id = row.event.host_group_id
        shared = (
            host_id is not None
            and Membership.objects.filter(
                group_id=row.group_id,
                role="organizer",
                status="active",
                user__group_memberships__group_id=host_id,
                user__group_memberships__role="organizer",
                user__group_memberships__status="active",
            ).exists()
        )
        CoHostInvitation.objects.get_or_create(
            event_id=row.event_id,
            group_id=row.group_id,
            defaults={"status": "accepted" if shared else "pending", "invited_by_id": row.event.created_by_id},
        )
        if not shared:
            row.delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0003_cohost_invitations"),
        ("groups", "0002_search_trigram_index"),
    ]

    # Going back keeps the accepted co-hostings; the pending ones stay off, as the table goes.
    operations = [migrations.RunPython(invitations_for_existing_cohosts, migrations.RunPython.noop)]
