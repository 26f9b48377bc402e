"""The coalition's allied organizations, and the events a group co-hosts with one of them.

Coordinators keep the list (the admin). An ally shown publicly has a page (``/allies/<slug>/``)
with its joint events; one that is not is known to the board only (its desk), and its page is a
404. An ally's contact address is reached only through the relay form (``allies.services
.ally_write``): it is never shown, in a page, an API answer or an embed.
"""

from __future__ import annotations

from django.db import models
from django.urls import reverse

from imc.validators import validate_multi_line, validate_single_line


class AllyQuerySet(models.QuerySet):
    def public(self) -> AllyQuerySet:
        return self.filter(is_public=True)


class Ally(models.Model):
    name = models.CharField(max_length=150, validators=[validate_single_line])
    slug = models.SlugField(max_length=80, unique=True)
    website = models.URLField(blank=True)
    description = models.TextField(max_length=2000, blank=True, validators=[validate_multi_line])
    districts = models.ManyToManyField(
        "districts.District", blank=True, related_name="allies", help_text="The districts they work in."
    )
    is_public = models.BooleanField(
        "shown publicly", default=False, help_text="Listed on /allies/ with a page of its own and its joint events."
    )
    contact_email = models.EmailField(
        blank=True,
        help_text="Reached only through the “write to them” form; never shown on any page, feed or API.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    objects = AllyQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "allies"

    def __str__(self) -> str:
        return self.name

    def get_absolute_url(self) -> str:
        return reverse("allies:detail", args=[self.slug])


class AllyCohost(models.Model):
    """An event held together with an ally: shown on the event's page and on the ally's."""

    ally = models.ForeignKey(Ally, on_delete=models.CASCADE, related_name="cohosts")
    event = models.ForeignKey("events.Event", on_delete=models.CASCADE, related_name="ally_cohosts")
    added_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["ally", "event"], name="allies_one_cohost_per_event")]
        verbose_name = "co-hosted event"

    def __str__(self) -> str:
        return f"{self.event_id} with {self.ally_id}"
