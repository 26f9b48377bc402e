"""The admin speaks as the portal: its name in the header and titles, and forms whose every choice
has words (an empty ``<option>`` is invalid HTML and reads as nothing)."""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

pytestmark = pytest.mark.django_db


class _Options(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.options: list[dict] = []
        self._open: dict | None = None

    def handle_starttag(self, tag, attrs) -> None:
        if tag == "option":
            self._open = {"attrs": dict(attrs), "text": ""}
            self.options.append(self._open)

    def handle_data(self, data) -> None:
        if self._open is not None:
            self._open["text"] += data

    def handle_endtag(self, tag) -> None:
        if tag == "option":
            self._open = None


def options_of(html: str) -> list[dict]:
    parser = _Options()
    parser.feed(html)
    return parser.options


def test_the_admin_is_named_for_the_portal(staff_client_factory, rep_ma3):
    html = staff_client_factory(rep_ma3).get("/admin/").content.decode()
    assert "Django" not in html
    assert "<title>Portal administration | Indivisible Mass Coalition admin</title>" in html
    site_name = html[html.index('<div id="site-name">') :]
    site_name = site_name[: site_name.index("</div>")]
    assert 'href="/admin/"' in site_name and "Indivisible Mass Coalition" in site_name


@pytest.mark.parametrize(
    "path",
    # The seat's holder and the team's lead may be nobody: their autocomplete offers a blank choice.
    ["/admin/districts/boardseat/add/", "/admin/districts/team/add/"],
)
def test_every_choice_on_the_reference_data_forms_has_words(staff_client_factory, coordinator, path):
    html = staff_client_factory(coordinator).get(path).content.decode()
    options = options_of(html)
    assert options, path
    empty = [o for o in options if not o["text"].strip() and not o["attrs"].get("label")]
    assert not empty, empty


def test_the_seat_holder_blank_choice_says_what_it_means(staff_client_factory, coordinator):
    html = staff_client_factory(coordinator).get("/admin/districts/boardseat/add/").content.decode()
    assert '<option value="">— no user —</option>' in html
    assert 'data-placeholder="— no user —"' in html
