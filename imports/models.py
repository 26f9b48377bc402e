"""Sources of events kept elsewhere (Mobilize), and which portal event each imported item became.

Writes go through ``imports.services``; portal events themselves through ``events.services``.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models

from imc.validators import validate_single_line


class ImportSource(models.Model):
    """One Mobilize organization whose public events the portal copies, and for whom.

    ``acts_as`` is the coordinator the importer acts as when it calls the events services (the
    one who last saved the source in the admin): imported events are theirs, and the sync stops,
    with an error on the source, if they are no longer a coordinator.
    """

    name = models.CharField(max_length=200, help_text="Shown in the admin only.", validators=[validate_single_line])
    mobilize_org_id = models.PositiveIntegerField("Mobilize organization id", unique=True)
    host_group = models.ForeignKey(
        "groups.Group",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="import_sources",
        help_text="The group that hosts the imported events; empty means the coalition.",
    )
    enabled = models.BooleanField(default=True)
    acts_as = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    # The start of the last sync that succeeded as a whole: the next asks Mobilize what changed since.
    last_success_at = models.DateTimeField("last successful sync", null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_error = models.TextField(blank=True)
    failures = models.PositiveIntegerField(default=0, help_text="Failed syncs in a row (the back-off grows with it).")
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    # What the last sync did: {"created": n, "updated": n, "cancelled": n, "unchanged": n, "skipped": n}
    last_counts = models.JSONField(default=dict, blank=True)
    # Why items of the last sync were skipped: [{"id": mobilize id, "title": ..., "reason": ...}]
    last_skipped = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return f"{self.name} (Mobilize {self.mobilize_org_id})"


class ImportedEvent(models.Model):
    """One Mobilize timeslot and the portal event it became: the key that makes a re-sync idempotent."""

    source = models.ForeignKey(ImportSource, on_delete=models.CASCADE, related_name="imported")
    mobilize_event_id = models.PositiveBigIntegerField()
    mobilize_timeslot_id = models.PositiveBigIntegerField()
    event = models.OneToOneField("events.Event", on_delete=models.CASCADE, related_name="imported_from")
    browser_url = models.URLField(max_length=500, blank=True)
    # Mobilize's modified_date when this row was last written: an unchanged event is not rewritten.
    modified_date = models.BigIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["source", "mobilize_event_id", "mobilize_timeslot_id"], name="one_import_per_timeslot"
            )
        ]

    def __str__(self) -> str:
        return f"Mobilize {self.mobilize_event_id}/{self.mobilize_timeslot_id} → {self.event_id}"
