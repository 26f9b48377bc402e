"""Headless Chromium through Playwright for the browser tests.

Debian's Chromium at /usr/bin/chromium (CI installs it); Playwright never downloads a browser.
"""

from __future__ import annotations

import os
import shutil
from contextlib import contextmanager

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


@contextmanager
def chromium_browser():
    """One Chromium for one test. Function scope on purpose: a sync Playwright session keeps an
    event loop alive, and two of them (or one lingering across tests) refuse to start."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright)
        try:
            yield browser
        finally:
            browser.close()
