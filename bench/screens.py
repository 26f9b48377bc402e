"""Screenshots of every public page type at a laptop's and a phone's width, in one command.

    python bench/screens.py --base http://127.0.0.1:8765 --out docs/look

Run it against a server with the demo data (``make run``'s steps: migrate, load_ma_data,
seed_demo). It finds a group, an event, a district and an archived issue by following the
pages' own links, signs in as the demo activist (profile) and as the demo rep of MA-3 (the
admin: password, then the demo TOTP code), and writes ``<page>-<width>.png`` for each page at
1366x900 and 390x844 (the first screen, not the whole page: that keeps the files small and
shows what a newcomer sees first). Chromium is /usr/bin/chromium, headless.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import hashlib
import hmac
import re
import struct
import sys
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from playwright.sync_api import TimeoutError as PlaywrightTimeout

CHROMIUM = "/usr/bin/chromium"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
VIEWPORTS = {"1366": {"width": 1366, "height": 900}, "390": {"width": 390, "height": 844}}
PASSWORD = "demo-pass-2026"  # the demo accounts' password (README), local data only
ACTIVIST = "activist@demo.indivisiblemass.invalid"
REP = "rep-ma-3@demo.indivisiblemass.invalid"
DEMO_TOTP_SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"  # accounts/demo.py


def totp(secret: str, at: float | None = None) -> str:
    """RFC 6238 with allauth's defaults (SHA-1, 30 s, 6 digits)."""
    key = base64.b32decode(secret)
    counter = int((time.time() if at is None else at) // 30)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(struct.unpack('>I', digest[offset : offset + 4])[0] & 0x7FFFFFFF) % 1_000_000:06d}"


def first_link(page: Page, base: str, path: str, pattern: str) -> str:
    page.goto(base + path)
    for href in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))"):
        if re.fullmatch(pattern, href or ""):
            return href
    raise SystemExit(f"no link matching {pattern} on {path}")


def sign_in(page: Page, base: str, email: str, code: bool = False) -> None:
    page.goto(base + "/accounts/login/")
    page.fill("input[name=login]", email)
    page.fill("input[name=password]", PASSWORD)
    page.locator("main form[method=post] [type=submit]").last.click()
    page.wait_for_load_state()
    if code:
        page.fill("input[name=code]", totp(DEMO_TOTP_SECRET))
        page.locator("form:has(input[name=code]) [type=submit]").first.click()
        page.wait_for_load_state()


def shoot(page: Page, url: str, path: Path) -> None:
    page.goto(url)
    # The map tiles come from openstreetmap.org: without a network they never arrive.
    with contextlib.suppress(PlaywrightTimeout):
        page.wait_for_load_state("networkidle", timeout=5000)
    page.screenshot(path=str(path))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--base", default="http://127.0.0.1:8765")
    parser.add_argument("--out", default="docs/look", type=Path)
    args = parser.parse_args()
    base = args.base.rstrip("/")
    args.out.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        page = browser.new_page()
        group = first_link(page, base, "/groups/", r"/groups/(?!submit/)[\w-]+/")
        event = first_link(page, base, "/events/", r"/events/(?!calendar/|new/)[\w-]+/")
        district = "/districts/ma-3/"
        issue = first_link(page, base, "/newsletter/", r"/newsletter/(?!thanks/|member/)[\w-]+/")
        page.close()
        public = {
            "home": "/",
            "groups": "/groups/",
            "group": group,
            "events": "/events/",
            "calendar": "/events/calendar/",
            "event": event,
            "districts": "/districts/",
            "district": district,
            "find": "/find/?q=Lowell",
            "newsletter": "/newsletter/",
            "issue": issue,
            "login": "/accounts/login/",
            "signup": "/accounts/signup/",
        }
        signed_in = {"profile": (ACTIVIST, False, "/accounts/profile/"), "admin": (REP, True, "/admin/")}
        # One sign-in per person, its cookies reused at both widths: a TOTP code counts once.
        sessions = {}
        for name, (email, code, _path) in signed_in.items():
            context = browser.new_context()
            sign_in(context.new_page(), base, email, code)
            sessions[name] = context.storage_state()
            context.close()
        for width, viewport in VIEWPORTS.items():
            context = browser.new_context(viewport=viewport)
            page = context.new_page()
            for name, path in public.items():
                shoot(page, base + path, args.out / f"{name}-{width}.png")
            context.close()
            for name, (_email, _code, path) in signed_in.items():
                context = browser.new_context(viewport=viewport, storage_state=sessions[name])
                page = context.new_page()
                shoot(page, base + path, args.out / f"{name}-{width}.png")
                if "/accounts/" in page.url and path not in page.url:
                    raise SystemExit(f"{name}: sent to {page.url}, not signed in")
                context.close()
        browser.close()
    print(f"{len(list(args.out.glob('*.png')))} screenshots in {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
