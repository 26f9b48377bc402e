"""imc.links.slug_url gives exactly what reverse() gives, under any script prefix."""

from __future__ import annotations

import pytest
from django.urls import reverse, set_script_prefix

from imc.links import slug_url

NAMES = ["groups:detail", "districts:detail", "events:detail", "newsletter:archive_detail"]
SLUGS = ["lowell-indivisible", "ma-3", "town_hall-2027", "a", "x" * 200]


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("slug", SLUGS)
def test_the_same_link_as_reverse(name, slug):
    assert slug_url(name, slug) == reverse(name, args=[slug])


def test_a_script_prefix_is_honoured_and_not_remembered_for_others():
    try:
        set_script_prefix("/portal/")
        assert (
            slug_url("groups:detail", "lowell") == "/portal/groups/lowell/" == reverse("groups:detail", args=["lowell"])
        )
    finally:
        set_script_prefix("/")
    assert slug_url("groups:detail", "lowell") == "/groups/lowell/"


def test_an_unknown_name_fails_as_reverse_does():
    from django.urls import NoReverseMatch

    with pytest.raises(NoReverseMatch):
        slug_url("groups:no-such-page", "lowell")
