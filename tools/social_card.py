"""Draw the social card (static/img/social-card.png, 1200x630) from static/img/social-card.svg.

    python tools/social_card.py

The SVG is the source, drawn here around the logo mark's outline (static/img/logo.svg); headless
Chromium renders it to the PNG that Open Graph and Twitter cards need (they take no SVG).
"""

from __future__ import annotations

from pathlib import Path

from playwright.sync_api import sync_playwright

IMG = Path(__file__).resolve().parents[1] / "static" / "img"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def main() -> None:
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        page = browser.new_page(viewport={"width": 1200, "height": 630})
        page.goto((IMG / "social-card.svg").as_uri())
        page.screenshot(path=str(IMG / "social-card.png"))
        browser.close()


if __name__ == "__main__":
    main()
