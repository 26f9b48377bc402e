"""A district page says one number of cities and towns and lists exactly that many.

The rule: a town that is partly in a district is in that district's list, marked as partly
there. The expected lists come from the reference file the loader reads
(districts/data/ma_towns_districts.csv, a copy of the coalition's shared Massachusetts data), not
from the code under test.
"""

from __future__ import annotations

import csv
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.urls import reverse

from districts.models import District

pytestmark = pytest.mark.django_db

DATA = Path(__file__).resolve().parents[2] / "districts" / "data" / "ma_towns_districts.csv"
COUNT_RE = re.compile(r"(\d+)\s+cities and towns")


def _reference() -> dict[int, dict[str, bool]]:
    """District number -> {town name: is partly in it}, straight from the CSV."""
    result: dict[int, dict[str, bool]] = {n: {} for n in range(1, 10)}
    with open(DATA, newline="") as handle:
        for row in csv.DictReader(handle):
            codes = row["districts"].split(";")
            for code in codes:
                result[int(code.removeprefix("MA-"))][row["town"]] = len(codes) > 1
    return result


REFERENCE = _reference()


class _TownList(HTMLParser):
    """The items of the page's town list (the <ul> inside the towns section)."""

    def __init__(self) -> None:
        super().__init__()
        self.in_section = False
        self.in_item = False
        self.items: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "section" and ("aria-labelledby", "towns-heading") in attrs:
            self.in_section = True
        elif self.in_section and tag == "li":
            self.in_item = True
            self.items.append("")

    def handle_endtag(self, tag):
        if tag == "li":
            self.in_item = False
        elif tag == "section":
            self.in_section = False

    def handle_data(self, data):
        if self.in_item:
            self.items[-1] += data


def test_the_reference_data_has_nine_split_towns_each_in_two_districts():
    # A control on the reference itself, so the page tests below compare against something real.
    partly = {name for towns in REFERENCE.values() for name, part in towns.items() if part}
    assert len(partly) == 9
    assert sum(len(towns) for towns in REFERENCE.values()) == 351 + 9


@pytest.mark.parametrize("number", range(1, 10))
def test_the_selector_lists_every_town_the_district_touches(number):
    from districts.selectors import district_towns

    district = District.objects.get(number=number)
    listed = {entry.town.name: entry.partly for entry in district_towns(district)}
    assert listed == REFERENCE[number]


@pytest.mark.parametrize("number", range(1, 10))
def test_every_count_on_a_district_page_is_the_number_of_towns_it_lists(client, number):
    text = client.get(f"/districts/ma-{number}/").content.decode()
    parser = _TownList()
    parser.feed(text)
    items = [" ".join(item.split()) for item in parser.items]
    expected = REFERENCE[number]
    assert len(items) == len(expected)
    assert {item.removesuffix(" (part)") for item in items} == set(expected)
    assert {item.removesuffix(" (part)") for item in items if item.endswith("(part)")} == {
        name for name, part in expected.items() if part
    }
    counts = {int(n) for n in COUNT_RE.findall(text)}
    assert counts == {len(expected)}, f"MA-{number} says {sorted(counts)}, lists {len(expected)}"


def test_the_district_list_gives_each_district_the_same_count_as_its_page(client):
    text = client.get(reverse("districts:list")).content.decode()
    for number in range(1, 10):
        card = text.split(f'href="/districts/ma-{number}/"', 1)[1].split("</li>", 1)[0]
        assert {int(n) for n in COUNT_RE.findall(card)} == {len(REFERENCE[number])}
