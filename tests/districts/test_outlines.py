"""The district outlines in static/geo/ are sound data: valid GeoJSON, the right places inside.

Pure Python on purpose (no GIS library): the checks are ring closure, orientation, no crossing
edges, and even-odd point-in-polygon against town centroids from the reference CSV the loader
reads (districts/data/ma_towns_districts.csv).
"""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GEO = ROOT / "static" / "geo"
TOWNS = ROOT / "districts" / "data" / "ma_towns_districts.csv"


def _load(number: int) -> dict:
    return json.loads((GEO / f"MA-{number}.geojson").read_text())


def _polygons(feature: dict) -> list[list[list[list[float]]]]:
    geometry = feature["geometry"]
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    assert geometry["type"] == "MultiPolygon"
    return geometry["coordinates"]


def _in_ring(x: float, y: float, ring: list[list[float]]) -> bool:
    inside = False
    for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False):
        if (y1 > y) != (y2 > y) and x < x1 + (y - y1) * (x2 - x1) / (y2 - y1):
            inside = not inside
    return inside


def _polygon_index(feature: dict, lon: float, lat: float) -> int | None:
    """The index of the polygon (holes counted out) that holds the point, or None."""
    for index, rings in enumerate(_polygons(feature)):
        if _in_ring(lon, lat, rings[0]) and not any(_in_ring(lon, lat, hole) for hole in rings[1:]):
            return index
    return None


def _signed_area(ring: list[list[float]]) -> float:
    return sum(x1 * y2 - x2 * y1 for (x1, y1), (x2, y2) in zip(ring, ring[1:], strict=False)) / 2


def _crossing(ring: list[list[float]]) -> tuple[int, int] | None:
    """The first pair of non-adjacent edges that cross, if any (a bounding-box sweep on x)."""
    edges = []
    for i, ((x1, y1), (x2, y2)) in enumerate(zip(ring, ring[1:], strict=False)):
        edges.append((min(x1, x2), max(x1, x2), i, (x1, y1), (x2, y2)))
    edges.sort()
    last = len(edges) - 1

    def orient(a, b, c):
        value = (b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])
        return (value > 0) - (value < 0)

    for k, (_, right, i, a, b) in enumerate(edges):
        for left2, _, j, c, d in edges[k + 1 :]:
            if left2 > right:
                break
            if abs(i - j) == 1 or {i, j} == {0, last}:
                continue
            if orient(a, b, c) * orient(a, b, d) < 0 and orient(c, d, a) * orient(c, d, b) < 0:
                return (i, j)
    return None


def _towns() -> list[dict]:
    with open(TOWNS, newline="") as handle:
        return list(csv.DictReader(handle))


TOWN_ROWS = _towns()
CENTROID = {row["town"]: (float(row["centroid_lon"]), float(row["centroid_lat"])) for row in TOWN_ROWS}


@pytest.mark.parametrize("number", range(1, 10))
def test_each_outline_is_a_valid_geojson_feature_with_closed_rings(number):
    path = GEO / f"MA-{number}.geojson"
    assert path.stat().st_size < 150_000  # small enough for a web map
    feature = _load(number)
    assert feature["type"] == "Feature"
    assert feature["properties"]["Code"] == f"MA-{number:02d}"
    for rings in _polygons(feature):
        for k, ring in enumerate(rings):
            assert len(ring) >= 4
            assert ring[0] == ring[-1], "ring not closed"
            for position in ring:
                lon, lat = position
                assert -73.6 < lon < -69.8 and 41.1 < lat < 43.0
            # RFC 7946: exteriors counterclockwise, holes clockwise.
            assert (_signed_area(ring) > 0) == (k == 0)
            assert _crossing(ring) is None, "the ring crosses itself"


def test_ma9_is_the_south_coast_cape_cod_and_the_islands_as_separate_shapes():
    feature = _load(9)
    assert len(_polygons(feature)) >= 3
    where = {town: _polygon_index(feature, *CENTROID[town]) for town in ("Barnstable", "Nantucket", "Edgartown")}
    assert None not in where.values(), where
    assert len(set(where.values())) == 3, f"the Cape and the two islands share a shape: {where}"
    # The water between them is no part of any outline (the old outline was one filled blob).
    for lon, lat in [(-70.25, 41.45), (-70.45, 41.25), (-70.0, 41.6)]:
        assert all(_polygon_index(_load(n), lon, lat) is None for n in range(1, 10)), (lon, lat)


@pytest.mark.parametrize(
    ("number", "towns"),
    [
        (1, ["Pittsfield", "Springfield", "Westfield"]),
        (2, ["Worcester", "Amherst", "Northampton"]),
        (3, ["Lowell", "Fitchburg", "Haverhill"]),
        (4, ["Newton", "Attleboro", "Fall River"]),
        (5, ["Malden", "Framingham", "Lexington"]),
        (6, ["Salem", "Gloucester", "Lynn"]),
        (7, ["Somerville", "Chelsea", "Everett"]),
        (8, ["Quincy", "Brockton", "Weymouth"]),
        (9, ["Nantucket", "Provincetown", "New Bedford", "Plymouth", "Edgartown"]),
    ],
)
def test_each_outline_holds_its_own_towns_and_no_other_districts(number, towns):
    feature = _load(number)
    for town in towns:
        assert _polygon_index(feature, *CENTROID[town]) is not None, f"{town} is outside MA-{number}"
    others = [row["town"] for row in TOWN_ROWS if f"MA-{number}" not in row["districts"].split(";")]
    inside = [town for town in others if _polygon_index(feature, *CENTROID[town]) is not None]
    assert inside == [], f"MA-{number}'s outline holds towns of other districts"


def test_the_maps_state_box_holds_every_outline_and_little_else():
    # static/js/map-base.js fits every statewide map to this box before any outline has arrived.
    source = (ROOT / "static" / "js" / "map-base.js").read_text()
    match = re.search(r"STATE_BOUNDS = \[\[([-\d.]+), ([-\d.]+)\], \[([-\d.]+), ([-\d.]+)\]\]", source)
    assert match, "no STATE_BOUNDS in map-base.js"
    south, west, north, east = map(float, match.groups())
    points = [
        position for number in range(1, 10) for rings in _polygons(_load(number)) for ring in rings for position in ring
    ]
    lons, lats = [p[0] for p in points], [p[1] for p in points]
    assert west <= min(lons) and max(lons) <= east and south <= min(lats) and max(lats) <= north
    assert min(lons) - west < 0.05 and east - max(lons) < 0.05 and min(lats) - south < 0.05 and north - max(lats) < 0.05
    # The corners named in the issue: Pittsfield in the west, Provincetown and Nantucket in the east.
    for town in ("Pittsfield", "Provincetown", "Nantucket"):
        lon, lat = CENTROID[town]
        assert west < lon < east and south < lat < north
