from __future__ import annotations

import math
import re

from django.conf import settings
from django.db import models
from django.utils import timezone

from imc.links import slug_url
from imc.validators import validate_multi_line, validate_single_line


class District(models.Model):
    """One of Massachusetts' nine U.S. congressional districts (Chapter 93 of the Acts of 2021)."""

    number = models.PositiveSmallIntegerField(unique=True)
    slug = models.SlugField(unique=True)
    name = models.CharField(max_length=100, validators=[validate_single_line])
    description = models.TextField(blank=True, validators=[validate_multi_line])
    major_towns = models.CharField(max_length=300, blank=True, validators=[validate_single_line])

    class Meta:
        ordering = ["number"]

    def __str__(self) -> str:
        return self.code

    def get_absolute_url(self) -> str:
        return slug_url("districts:detail", self.slug)

    @property
    def code(self) -> str:
        return f"MA-{self.number}"


class TownQuerySet(models.QuerySet):
    def with_districts(self) -> TownQuerySet:
        return self.select_related("primary_district").prefetch_related("memberships__district")


class Town(models.Model):
    """A Massachusetts city or town (all 351)."""

    name = models.CharField(max_length=100, unique=True, validators=[validate_single_line])
    slug = models.SlugField(unique=True)
    county = models.CharField(max_length=50, validators=[validate_single_line])
    municipality_type = models.CharField(max_length=10, default="town", validators=[validate_single_line])
    population = models.PositiveIntegerField(default=0)
    latitude = models.FloatField()
    longitude = models.FloatField()
    is_split = models.BooleanField(default=False)
    primary_district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="primary_towns")
    districts = models.ManyToManyField(District, through="TownDistrict", related_name="towns")

    objects = TownQuerySet.as_manager()

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def ordered_districts(self) -> list[District]:
        """Every district the town touches, the primary one first."""
        links = sorted(self.memberships.all(), key=lambda m: (not m.is_primary, -m.vote_share))
        return [link.district for link in links]

    def distance_miles(self, latitude: float, longitude: float) -> float:
        return haversine_miles(self.latitude, self.longitude, latitude, longitude)


class TownDistrict(models.Model):
    town = models.ForeignKey(Town, on_delete=models.CASCADE, related_name="memberships")
    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="town_memberships")
    is_primary = models.BooleanField(default=False)
    vote_share = models.FloatField(default=1.0, help_text="Share of the town's 2022 U.S. House ballots.")
    precincts = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["town", "district"], name="unique_town_district")]
        ordering = ["-is_primary", "-vote_share"]

    def __str__(self) -> str:
        return f"{self.town} in {self.district}"


class TownAlias(models.Model):
    """Another name people use for a town: a postal name (Foxboro) or a village (Hyannis).

    A village name can belong to more than one town; the lookup then shows each of them.
    """

    name = models.CharField(max_length=100, db_index=True, validators=[validate_single_line])
    town = models.ForeignKey(Town, on_delete=models.CASCADE, related_name="aliases")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["name", "town"], name="unique_alias_per_town")]
        ordering = ["name"]
        verbose_name_plural = "town aliases"

    def __str__(self) -> str:
        return f"{self.name} → {self.town}"


class ZipCode(models.Model):
    code = models.CharField(max_length=5, unique=True, validators=[validate_single_line])
    zip_type = models.CharField(max_length=10, default="STANDARD", validators=[validate_single_line])
    usps_city = models.CharField(max_length=100, validators=[validate_single_line])
    latitude = models.FloatField()
    longitude = models.FloatField()
    town = models.ForeignKey(Town, on_delete=models.PROTECT, related_name="zip_codes")

    class Meta:
        ordering = ["code"]
        verbose_name = "ZIP code"

    def __str__(self) -> str:
        return self.code


class BoardRole(models.TextChoices):
    REPRESENTATIVE = "representative", "Representative"
    ALTERNATE = "alternate", "Alternate"


class BoardSeatQuerySet(models.QuerySet):
    def current(self, on=None) -> BoardSeatQuerySet:
        today = on or timezone.localdate()
        return self.filter(term_start__lte=today).filter(
            models.Q(term_end__isnull=True) | models.Q(term_end__gte=today)
        )


class BoardSeat(models.Model):
    """A seat on the Coordinating Board held for one district.

    A seat linked to a staff account in the "District reps" group gives that person moderation
    rights over the district's listings in the admin, for the length of the term.
    """

    district = models.ForeignKey(District, on_delete=models.CASCADE, related_name="board_seats")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="board_seats"
    )
    display_name = models.CharField(max_length=120, validators=[validate_single_line])
    role = models.CharField(max_length=20, choices=BoardRole.choices, default=BoardRole.REPRESENTATIVE)
    term_start = models.DateField()
    term_end = models.DateField(null=True, blank=True)
    bio = models.TextField(
        blank=True, help_text="Public biography shown on the district page.", validators=[validate_multi_line]
    )

    objects = BoardSeatQuerySet.as_manager()

    class Meta:
        ordering = ["district__number", "role", "display_name"]

    def __str__(self) -> str:
        return f"{self.display_name} ({self.get_role_display()}, {self.district})"


class Team(models.Model):
    """An issue or support team of the coalition."""

    name = models.CharField(max_length=120, unique=True, validators=[validate_single_line])
    slug = models.SlugField(unique=True)
    description = models.TextField(blank=True, validators=[validate_multi_line])
    how_to_help = models.TextField(blank=True, validators=[validate_multi_line])
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_teams"
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def haversine_miles(lat1: float, lon1: float, lat2: float, lon2: float) -> float:
    radius = 3958.8
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    dphi = math.radians(lat2 - lat1)
    dlambda = math.radians(lon2 - lon1)
    a = math.sin(dphi / 2) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(dlambda / 2) ** 2
    return 2 * radius * math.asin(math.sqrt(a))


class Chamber(models.TextChoices):
    """The two chambers of the General Court, each with its own districts."""

    HOUSE = "house", "State House"
    SENATE = "senate", "State Senate"


# The URL names of each chamber's pages (/districts/state-house/<slug>/, /districts/state-senate/...).
CHAMBER_URL_NAMES = {Chamber.HOUSE: "districts:state_house", Chamber.SENATE: "districts:state_senate"}


class LegislativeDistrict(models.Model):
    """One of the 160 State House or 40 State Senate districts (the 2021 redistricting).

    The name is the district's own ("Seventh Plymouth", "Norfolk and Plymouth"); the loader
    writes the name and slug only, so the legislator recorded by coordinators survives a reload.
    """

    chamber = models.CharField(max_length=10, choices=Chamber.choices)
    name = models.CharField(max_length=100, validators=[validate_single_line])
    slug = models.SlugField(max_length=110)
    legislator_name = models.CharField(
        "legislator", max_length=120, blank=True, validators=[validate_single_line],
        help_text="The district's current State Representative or Senator, as shown on its page.",
    )  # fmt: skip
    legislator_party = models.CharField("party", max_length=60, blank=True, validators=[validate_single_line])
    legislator_url = models.URLField(
        "official page", blank=True, validators=[validate_single_line],
        help_text="The legislator's page on malegislature.gov.",
    )  # fmt: skip
    towns = models.ManyToManyField(Town, through="TownLegislativeDistrict", related_name="legislative_districts")

    class Meta:
        ordering = ["chamber", "name"]
        constraints = [
            models.UniqueConstraint(fields=["chamber", "slug"], name="unique_legislative_district_slug"),
            models.UniqueConstraint(fields=["chamber", "name"], name="unique_legislative_district_name"),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_chamber_display()})"

    def get_absolute_url(self) -> str:
        return slug_url(CHAMBER_URL_NAMES[Chamber(self.chamber)], self.slug)

    @property
    def title(self) -> str:
        """How people say it: "Seventh Plymouth District"."""
        return f"{self.name} District"


class TownLegislativeDistrict(models.Model):
    """A town's share of a state district: how many of its precincts lie in it.

    Derived from the precincts by the loader, so a town names exactly the state districts its
    precincts have; ``is_whole`` when every precinct of the town is in this district.
    """

    town = models.ForeignKey(Town, on_delete=models.CASCADE, related_name="legislative_memberships")
    district = models.ForeignKey(LegislativeDistrict, on_delete=models.CASCADE, related_name="town_memberships")
    precincts = models.PositiveSmallIntegerField(default=0)
    is_whole = models.BooleanField(default=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["town", "district"], name="unique_town_legislative_district")]
        ordering = ["district__chamber", "-precincts", "district__name"]

    def __str__(self) -> str:
        return f"{self.town} in {self.district}"


class Precinct(models.Model):
    """One voting precinct of a town (2,383 in all): the unit that places a voter in all three
    districts where a town is split. ``ward`` is blank in towns without wards."""

    town = models.ForeignKey(Town, on_delete=models.CASCADE, related_name="precincts")
    ward = models.CharField(max_length=10, blank=True, validators=[validate_single_line])
    number = models.CharField("precinct", max_length=10, validators=[validate_single_line])
    house = models.ForeignKey(
        LegislativeDistrict, on_delete=models.PROTECT, related_name="house_precincts",
        limit_choices_to={"chamber": Chamber.HOUSE},
    )  # fmt: skip
    senate = models.ForeignKey(
        LegislativeDistrict, on_delete=models.PROTECT, related_name="senate_precincts",
        limit_choices_to={"chamber": Chamber.SENATE},
    )  # fmt: skip
    district = models.ForeignKey(District, on_delete=models.PROTECT, related_name="precincts")
    # Ward and precinct with their numbers zero-padded ("002:010A"): 2 before 10, 2A after 2.
    sort_key = models.CharField(max_length=30, editable=False, default="")

    class Meta:
        constraints = [models.UniqueConstraint(fields=["town", "ward", "number"], name="unique_precinct")]
        ordering = ["town__name", "sort_key"]

    def __str__(self) -> str:
        return f"{self.town}, {self.label}"

    @property
    def label(self) -> str:
        return precinct_label(self.ward, self.number)


def precinct_label(ward: str, number: str) -> str:
    return f"Ward {ward}, Precinct {number}" if ward else f"Precinct {number}"


def precinct_sort_key(ward: str, number: str) -> str:
    def padded(part: str) -> str:
        return re.sub(r"\d+", lambda m: m.group(0).zfill(3), part)

    return f"{padded(ward)}:{padded(number)}"
