"""Headless Chromium: a member finds a group by ZIP, joins it and sees it under "My groups"; a rep
approves a pending listing in the admin and it appears in the directory."""

from __future__ import annotations

import os

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

import pytest

from accounts.mfa import totp_ensure
from groups.models import GroupStatus
from tests.accounts.conftest import totp_code
from tests.conftest import PASSWORD, STAFF_TOTP_SECRET

pytestmark = pytest.mark.browser


def _sign_in(page, base: str, email: str) -> None:
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("form").filter(has=page.locator("input[name=password]")).locator("button[type=submit]").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


def test_a_member_finds_a_group_by_zip_joins_it_and_sees_it_under_my_groups(live_server, browser, activist, make_group):
    make_group("Lowell Indivisible", ("Lowell", "Chelmsford"))
    make_group("Framingham Forward", ("Framingham",))
    page = browser.new_context().new_page()
    _sign_in(page, live_server.url, activist.email)
    page.goto(f"{live_server.url}/groups/")
    page.fill("#id_zip", "01852")
    page.click("button:has-text('Find groups')")
    page.wait_for_url("**/groups/?**zip=01852**")
    first_card = page.locator("#group-results li.group-card").first
    assert "Lowell Indivisible" in first_card.inner_text()
    first_card.locator("a", has_text="Lowell Indivisible").click()
    page.click("button:has-text('Join this group')")
    page.locator("text=You joined Lowell Indivisible").wait_for()
    page.goto(f"{live_server.url}/accounts/profile/")
    assert "Lowell Indivisible" in page.inner_text("#my-groups")


def test_a_rep_approves_a_pending_listing_in_the_admin_and_it_appears_in_the_directory(
    live_server, browser, rep_ma3, make_group
):
    make_group("Chelmsford Pending", ("Chelmsford",), status=GroupStatus.PENDING)
    visitor = browser.new_context().new_page()
    visitor.goto(f"{live_server.url}/groups/")
    assert "Chelmsford Pending" not in visitor.inner_text("main")

    totp_ensure(user=rep_ma3, secret=STAFF_TOTP_SECRET)
    page = browser.new_context().new_page()
    page.goto(f"{live_server.url}/admin/")
    page.fill("input[name=login]", rep_ma3.email)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url("**/accounts/2fa/authenticate/**")
    page.fill("input[name=code]", totp_code(STAFF_TOTP_SECRET))
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server.url}/admin/")
    assert "1 group listing waiting" in page.inner_text("#groups-pending")
    page.click("#groups-pending a")
    page.locator("tr", has_text="Chelmsford Pending").locator("input[type=checkbox]").check()
    page.select_option("select[name=action]", "approve_selected")
    page.click("button[name=index]")
    page.fill("textarea[name=reason]", "Welcome to the coalition!")
    page.click("input[name=apply]")
    page.locator("text=Approved 1 group").wait_for()

    visitor.goto(f"{live_server.url}/groups/?district=ma-3")
    assert "Chelmsford Pending" in visitor.inner_text("main")
