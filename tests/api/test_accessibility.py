"""axe-core finds no WCAG 2.2 A/AA violation on the API's documentation page, at desktop and
phone widths (the same check as tests/trust/test_accessibility.py)."""

from __future__ import annotations

import json

import pytest

from tests.trust.test_accessibility import VIEWPORTS, check_pages

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("viewport", list(VIEWPORTS))
def test_the_api_documentation_page_has_no_axe_violations(chromium, live_server, viewport):
    found = check_pages(chromium, live_server.url, ["/api/"], viewport)
    assert found == {}, json.dumps(found, indent=1)
