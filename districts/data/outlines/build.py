"""Rebuild static/geo/MA-N.geojson: each district's outline cut to Massachusetts' land.

The district shapes in ``source/`` (a copy of the coalition's shared ``districts_geojson``,
CC0) reach out over the water, and MA-9's was one filled shape over Buzzards Bay, Vineyard Sound
and Nantucket Sound. Cut to the state's land (``ma_land.geojson``, from the U.S. Census Bureau's
cartographic boundary, see README.md), each outline keeps its inland borders and gets the coast:
MA-9 becomes Cape Cod with the South Coast, Martha's Vineyard and Nantucket as separate polygons.

Run by hand when the sources change; the portal never runs it (it serves the files it wrote):

    python -m venv /tmp/geo && /tmp/geo/bin/pip install shapely==2.1.2
    /tmp/geo/bin/python districts/data/outlines/build.py

``ma_land.geojson`` itself comes from us-atlas 3.0.1 (``npm pack us-atlas@3.0.1``):
``build.py --land path/to/states-10m.json`` decodes its TopoJSON (pure Python) and rewrites it.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
STATIC_GEO = HERE.parents[2] / "static" / "geo"
LAND = HERE / "ma_land.geojson"
PRECISION = 6  # decimal degrees, about 0.1 m: as in the source


def extract_land(topojson_path: Path) -> None:
    """Massachusetts from us-atlas' states-10m.json (quantized, delta-encoded TopoJSON arcs)."""
    topology = json.loads(topojson_path.read_text())
    (sx, sy), (tx, ty) = topology["transform"]["scale"], topology["transform"]["translate"]
    arcs = []
    for arc in topology["arcs"]:
        x = y = 0
        points = []
        for dx, dy in arc:
            x, y = x + dx, y + dy
            points.append([round(x * sx + tx, PRECISION), round(y * sy + ty, PRECISION)])
        arcs.append(points)

    def ring(indexes: list[int]) -> list[list[float]]:
        out: list[list[float]] = []
        for index in indexes:
            points = arcs[index] if index >= 0 else arcs[~index][::-1]
            out.extend(points if not out else points[1:])
        return out

    (state,) = [g for g in topology["objects"]["states"]["geometries"] if g["properties"]["name"] == "Massachusetts"]
    polygons = state["arcs"] if state["type"] == "MultiPolygon" else [state["arcs"]]
    feature = {
        "type": "Feature",
        "properties": {
            "name": "Massachusetts",
            "source": "us-atlas 3.0.1 states-10m.json: U.S. Census Bureau cartographic boundary, 2017 (public domain)",
        },
        "geometry": {"type": "MultiPolygon", "coordinates": [[ring(r) for r in p] for p in polygons]},
    }
    LAND.write_text(json.dumps(feature, separators=(",", ":")) + "\n")


def build() -> None:
    from shapely.geometry import MultiPolygon, Polygon, mapping, shape
    from shapely.geometry.polygon import orient

    land = shape(json.loads(LAND.read_text())["geometry"]).buffer(0)
    for number in range(1, 10):
        source = json.loads((HERE / "source" / f"MA-{number}.geojson").read_text())
        cut = shape(source["geometry"]).buffer(0).intersection(land)
        parts = [p for p in getattr(cut, "geoms", [cut]) if isinstance(p, Polygon) and p.area > 1e-6]
        parts.sort(key=lambda p: -p.area)
        # RFC 7946: exterior rings counterclockwise, holes clockwise.
        geometry = mapping(MultiPolygon([orient(p, sign=1.0) for p in parts]))
        coordinates = [
            [[[round(x, PRECISION), round(y, PRECISION)] for x, y in ring] for ring in polygon]
            for polygon in geometry["coordinates"]
        ]
        feature = {
            "type": "Feature",
            "properties": source["properties"],
            "geometry": {"type": "MultiPolygon", "coordinates": coordinates},
        }
        (STATIC_GEO / f"MA-{number}.geojson").write_text(json.dumps(feature, separators=(",", ":")) + "\n")
        print(f"MA-{number}: {len(parts)} polygon(s), {sum(len(r) for p in coordinates for r in p)} points")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--land":
        extract_land(Path(sys.argv[2]))
    build()
