"""The newsletter issue's email wears the coalition's look of the outbox's mail layout."""

from __future__ import annotations

import re

import pytest
from django.conf import settings
from django.template.loader import render_to_string

from newsletter import rendering
from tests.newsletter.helpers import compose

pytestmark = pytest.mark.django_db

HEADER = re.compile(r'<td class="imc-mail-header"[^>]*style="([^"]+)"[^>]*>(.*?)</td>', re.S)


def _header(html: str) -> tuple[str, str]:
    found = HEADER.search(html)
    assert found, html
    styles = dict(
        (part.split(":", 1)[0].strip(), part.split(":", 1)[1].strip()) for part in found[1].split(";") if ":" in part
    )
    return styles["background-color"], re.sub(r"<[^>]+>|&#9733;|★|\s+", " ", found[2]).split()


def test_the_issue_mail_has_the_header_colour_and_name_of_the_outbox_layout():
    base = render_to_string("outbox/email_base.html", {"SITE_NAME": settings.SITE_NAME})
    issue = rendering.render_issue(compose(body="## News\n\n[Events](/events/)")).html
    assert _header(issue) == _header(base)
    colour, words = _header(issue)
    assert colour == "#1b2f4e" and " ".join(words) == settings.SITE_NAME
    # Written inline for mail clients that drop stylesheets, on a layout that narrows to a phone.
    assert "<style" not in issue
    assert 'name="viewport"' in issue and "max-width:640px" in issue.replace(" ", "")
    heading = re.search(r"<h2[^>]*style=\"([^\"]+)\"", issue)
    assert heading and "#1b2f4e" in heading[1]
    assert "#1d3557" not in issue  # the old navy
