"""Headless Chromium through Playwright for the browser tests.

Debian's Chromium at /usr/bin/chromium (CI installs it); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import shutil

import pytest

from tests.realstack import require

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def launch(playwright):
    require(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")), f"no Chromium at {CHROMIUM}")
    return playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)


# One Playwright and one Chromium for the whole run. Each test module that imports ``chromium``
# gets its own copy of this session fixture, and a second ``sync_playwright()`` while the first
# runs fails ("Sync API inside the asyncio loop"): so every copy shares this one, and the last
# copy to finish closes it.
_shared: dict = {"users": 0}


@pytest.fixture(scope="session")
def chromium():
    from playwright.sync_api import sync_playwright

    if not _shared["users"]:
        _shared["playwright"] = sync_playwright().start()
        try:
            _shared["browser"] = launch(_shared["playwright"])
        except BaseException:
            _shared["playwright"].stop()
            raise
    _shared["users"] += 1
    try:
        yield _shared["browser"]
    finally:
        _shared["users"] -= 1
        if not _shared["users"]:
            _shared.pop("browser").close()
            _shared.pop("playwright").stop()
