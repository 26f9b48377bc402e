"""In a real browser: a district rep signs in with password and TOTP code and the admin opens."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from accounts.mfa import totp_ensure
from tests.accounts.conftest import totp_code
from tests.conftest import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.browser


@pytest.fixture
def page(chromium):
    return chromium.new_page()


@pytest.fixture
def rep_with_totp(rep_ma3):
    totp_ensure(user=rep_ma3, secret=STAFF_TOTP_SECRET)
    return rep_ma3


# The database is touched only before the browser starts: inside Playwright's sync API the ORM
# would open a connection of its own that nothing closes, and PostgreSQL then refuses to drop
# the test database at the end of the run.
def test_a_rep_reaches_the_admin_only_after_the_totp_step(live_server, rep_with_totp, page):
    rep_ma3 = rep_with_totp
    page.goto(f"{live_server.url}/admin/")
    assert page.url.startswith(f"{live_server.url}/accounts/login/")
    page.fill("input[name=login]", rep_ma3.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    assert page.url == f"{live_server.url}/accounts/2fa/authenticate/"
    page.fill("input[name=code]", totp_code(STAFF_TOTP_SECRET))
    page.click("button[type=submit]")
    assert page.url == f"{live_server.url}/admin/"
    assert "Portal administration" in page.title()
