"""What districts gives the shared duties: the rows public pages show (see ``imc.registry``)."""

from __future__ import annotations

from districts.models import (
    BoardSeat,
    District,
    LegislativeDistrict,
    Precinct,
    Team,
    Town,
    TownAlias,
    TownDistrict,
    TownLegislativeDistrict,
    ZipCode,
)
from imc.registry import Kind, contributes


@contributes(Kind.PUBLIC_MODELS)
def public_models() -> list[type]:
    return [
        District, Town, TownDistrict, TownAlias, ZipCode, BoardSeat, Team,
        LegislativeDistrict, TownLegislativeDistrict, Precinct,
    ]  # fmt: skip
