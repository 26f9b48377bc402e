"""Arbitrary input at every embed's query parameters: never a 500 (the pages other sites frame
are the ones scripts and crawlers will poke at most)."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from tests.trust.test_fuzz_inputs import ANY_TEXT, DATEISH, FUZZ, NUMBERISH, _page_status

pytestmark = pytest.mark.django_db


@FUZZ
@given(
    zip_code=ANY_TEXT, town=ANY_TEXT, distance=NUMBERISH, district=ANY_TEXT, kind=ANY_TEXT,
    date_from=DATEISH, access=st.lists(ANY_TEXT, max_size=3), online=ANY_TEXT,
)  # fmt: skip
@example(zip_code="\x00", town="", distance="1e309", district="ma-3", kind="", date_from="", access=[], online="")
@example(zip_code="01852", town="Lowell", distance="25", district="ma-99", kind="rally", date_from="2026-02-30",
         access=["asl", "x"], online="on")  # fmt: skip
def test_the_events_embed_never_fails_whatever_the_filters(
    client, zip_code, town, distance, district, kind, date_from, access, online
):
    params = {"zip": zip_code, "town": town, "distance": distance, "district": district, "type": kind,
              "date_from": date_from, "access": access, "online": online}  # fmt: skip
    assert client.get("/embed/events/", params).status_code == _page_status(params)


@FUZZ
@given(q=ANY_TEXT)
@example(q="\x00")
@example(q="%" * 100)
@example(q="01852-0000")
def test_the_find_embed_never_fails_whatever_the_query(client, q):
    assert client.get("/embed/find/", {"q": q}).status_code == _page_status({"q": q})
