"""Headless Chromium through Playwright for the browser tests.

Debian's Chromium at /usr/bin/chromium (CI installs it); Playwright never downloads a browser.

One Chromium for the whole session, started by the first browser test, and a fresh set of
contexts for each test (every context a test opened is closed after it, see ``browser_for_test``).

Sync Playwright runs its event loop in a greenlet of the main thread and, between its calls,
marks that loop as the thread's running loop. Left like that for the rest of the session, every
later test would run "inside an event loop": Django's ORM refuses (SynchronousOnlyOperation) and
asgiref's async_to_sync fails. So the loop is marked running only while a browser test runs and
cleared after it; the next browser test marks it again before its first Playwright call.
The browser tests themselves still need DJANGO_ALLOW_ASYNC_UNSAFE for the ORM calls they make
between Playwright calls (set below; the live server's own thread has no loop).
"""

from __future__ import annotations

import asyncio
import os
import shutil
from collections.abc import Iterator
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


class SessionBrowser:
    """Playwright and Chromium, started once on first use and stopped at the end of the session."""

    def __init__(self) -> None:
        self._manager = None
        self._playwright = None
        self._browser = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _start(self) -> None:
        from playwright.sync_api import sync_playwright

        require(os.path.exists(CHROMIUM) or bool(shutil.which("chromium")), f"no Chromium at {CHROMIUM}")
        self._manager = sync_playwright()
        self._playwright = self._manager.start()
        self._loop = self._manager._loop
        self._browser = launch(self._playwright)

    def _enter(self) -> None:
        # What Playwright itself leaves set between its calls, see the module docstring.
        if self._loop is not None:
            asyncio._set_running_loop(self._loop)

    def _leave(self) -> None:
        asyncio._set_running_loop(None)

    @contextmanager
    def for_test(self) -> Iterator:
        """The session's Chromium for one test; the contexts it opens are closed after it."""
        if self._browser is None or not self._browser.is_connected():
            self._leave()  # a dead session's loop must not block the new one from starting
            self._start()
        else:
            self._enter()
        try:
            yield self._browser
        finally:
            try:
                for context in list(self._browser.contexts):
                    context.close()
            finally:
                self._leave()

    def stop(self) -> None:
        if self._manager is None:
            return
        self._enter()
        try:
            if self._browser is not None and self._browser.is_connected():
                self._browser.close()
            self._manager.__exit__(None, None, None)
        finally:
            self._leave()
            self._manager = self._playwright = self._browser = self._loop = None
