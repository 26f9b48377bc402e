"""Turning a newsletter into an email: once per send, then cheap personalisation per recipient.

The HTML is rendered from Markdown (sanitised with nh3), laid out by a template, its CSS inlined
with css-inline and the plain-text part derived from that HTML, all once. Personal parts (name,
unsubscribe and preferences links, the district's events) are placeholders that each recipient's
copy fills with ``str.replace``: rendering a template per recipient would cost more than sending.

Every address in the mail is absolute, from SITE_URL: the body's links and images
(``render_markdown(absolute=True)``), the events block's and the footer's. The archive's web
version keeps the body's links as written (a page of ours resolves them).
"""

from __future__ import annotations

import re
import textwrap
from dataclasses import dataclass
from functools import lru_cache
from html import escape
from html.parser import HTMLParser
from urllib.parse import quote

import css_inline
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse

from imc.links import absolute, absolute_links
from imc.markdown import EMAIL, render_markdown
from imc.validators import single_line
from newsletter import tokens

# Placeholders: plain letters, so they survive Markdown, css-inline and the text conversion.
NAME = "IMCPHNAME"
UNSUBSCRIBE_URL = "IMCPHUNSUBSCRIBEURL"
PREFERENCES_URL = "IMCPHPREFERENCESURL"
EVENTS = "IMCPHEVENTS"


def markdown_to_html(body: str, *, absolute: bool = True) -> str:
    """The newsletter body as HTML, through the one sanitiser with the email allowlist; for the
    mail (``absolute``) with every address on SITE_URL."""
    return str(render_markdown(body, allow=EMAIL, absolute=absolute))


class _TextConverter(HTMLParser):
    BLOCKS = {"p", "div", "h1", "h2", "h3", "h4", "ul", "ol", "table", "tr", "blockquote", "pre", "hr", "section"}
    SKIP = {"style", "script", "head", "title"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skip_depth = 0
        self.links: list[str | None] = []
        self.link_text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in self.SKIP or "data-preheader" in attributes:
            self.skip_depth += 1
            return
        if self.skip_depth:
            return
        if tag in self.BLOCKS:
            self.parts.append("\n\n")
        elif tag == "br":
            self.parts.append("\n")
        elif tag == "li":
            self.parts.append("\n- ")
        elif tag in ("td", "th"):
            self.parts.append(" ")
        elif tag == "a":
            self.links.append(attributes.get("href"))
            self.link_text = []
        elif tag == "img" and attributes.get("alt"):
            self.parts.append(f"[{attributes['alt']}]")
        if tag in ("h1", "h2"):
            self.parts.append("## ")

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP or (self.skip_depth and tag == "span"):
            self.skip_depth = max(0, self.skip_depth - 1)
            return
        if self.skip_depth:
            return
        if tag == "a" and self.links:
            href = self.links.pop()
            text = "".join(self.link_text).strip()
            if href and href != text and not href.startswith("#"):
                self.parts.append(f" ({href})")
        elif tag in self.BLOCKS:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self.skip_depth:
            return
        text = re.sub(r"\s+", " ", data)
        self.parts.append(text)
        if self.links:
            self.link_text.append(text)

    def text(self) -> str:
        joined = "".join(self.parts)
        lines = [line.strip() for line in joined.splitlines()]
        return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip() + "\n"


def html_to_text(html: str) -> str:
    converter = _TextConverter()
    converter.feed(html)
    converter.close()
    lines = []
    for line in converter.text().splitlines():
        # Plain text reads best at mail width; URLs are never broken.
        wrapped = textwrap.wrap(line, width=76, break_long_words=False, break_on_hyphens=False)
        lines.extend(wrapped or [""])
    return "\n".join(lines) + "\n"


def shorten_lines(html: str, limit: int = 800) -> str:
    """Break HTML lines longer than ``limit`` at spaces.

    Mail lines may not pass 998 bytes; a shorter body also stays 8bit instead of being
    quoted-printable, which lets each recipient's copy be made by plain byte replacement.
    """
    out = []
    for line in html.split("\n"):
        while len(line.encode()) > limit:
            cut = line.rfind(" ", 0, limit // 2)
            if cut <= 0:
                cut = line.find(" ", limit // 2)
            if cut <= 0:
                break
            out.append(line[:cut])
            line = line[cut + 1 :]
        out.append(line)
    return "\n".join(out)


@dataclass(frozen=True)
class RenderedIssue:
    """A newsletter rendered once; ``personalise`` makes one recipient's copy."""

    subject: str
    html: str
    text: str

    def personalise(
        self, *, name: str, subscriber_id: int | None, events_html: str = "", events_text: str = ""
    ) -> tuple[str, str]:
        """This recipient's (HTML, text)."""
        unsubscribe, preferences = personal_urls(subscriber_id)
        name = " ".join((name or "").split())
        html = (
            self.html.replace(NAME, escape(name) if name else "there")
            .replace(UNSUBSCRIBE_URL, escape(unsubscribe))
            .replace(PREFERENCES_URL, escape(preferences))
            .replace(EVENTS, events_html)
        )
        text = (
            self.text.replace(NAME, name or "there")
            .replace(UNSUBSCRIBE_URL, unsubscribe)
            .replace(PREFERENCES_URL, preferences)
            .replace(EVENTS, events_text)
        )
        return html, text


@lru_cache(maxsize=16)
def _url_pattern(name: str, site_url: str) -> str:
    return site_url + reverse(name, args=["TOKEN"])


def _url_with_token(name: str, token: str) -> str:
    # reverse() once with a marker, then string replacement: this runs for every recipient.
    return _url_pattern(name, settings.SITE_URL).replace("TOKEN", token)


def personal_urls(subscriber_id: int | None) -> tuple[str, str]:
    """This reader's (unsubscribe, preferences) addresses. A test copy to somebody who is not a
    subscriber has none: its unsubscribe address answers (a mail program's one-click POST too)
    that it was a test copy and changes nothing, and "preferences" is the subscribe page."""
    if subscriber_id is None:
        return absolute(reverse("newsletter:test_copy_unsubscribe")), absolute(reverse("newsletter:subscribe"))
    return (
        _url_with_token("newsletter:unsubscribe", tokens.unsubscribe_token(subscriber_id)),
        _url_with_token("newsletter:preferences", tokens.preferences_token(subscriber_id)),
    )


def list_headers(
    subscriber_id: int | None, unsubscribe_url: str | None = None, token: str | None = None
) -> dict[str, str]:
    """RFC 2369 / RFC 8058 headers: an https one-click URL and a mailto, plus List-Id."""
    unsubscribe = unsubscribe_url or personal_urls(subscriber_id)[0]
    if token is None:
        token = tokens.unsubscribe_token(subscriber_id) if subscriber_id is not None else "test"
    mailto = f"mailto:{settings.NEWSLETTER_UNSUBSCRIBE_MAILTO}?subject=unsubscribe%20{quote(token)}"
    return {
        "List-Unsubscribe": f"<{unsubscribe}>, <{mailto}>",
        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        "List-Id": settings.NEWSLETTER_LIST_ID,
    }


def _context(newsletter, body_html: str, *, personal: bool) -> dict:
    return {
        "subject": newsletter.subject,
        "preheader": newsletter.preheader,
        "body_html": body_html,
        "personal": personal,
        "include_events": personal and newsletter.include_events,
        "postal_address": settings.COALITION_POSTAL_ADDRESS,
        "SITE_URL": settings.SITE_URL,
        "SITE_NAME": settings.SITE_NAME,
        # The web version exists once the issue goes out (a draft's test copy and preview have none).
        "archive_url": absolute(newsletter.get_absolute_url()) if newsletter.slug and not newsletter.editable else "",
        "NAME": NAME,
        "UNSUBSCRIBE_URL": UNSUBSCRIBE_URL,
        "PREFERENCES_URL": PREFERENCES_URL,
        "EVENTS": EVENTS,
    }


def render_issue(newsletter) -> RenderedIssue:
    """The email of a newsletter with placeholders for every personal part."""
    body_html = markdown_to_html(newsletter.body_markdown)
    html = shorten_lines(
        css_inline.inline(
            render_to_string("newsletter/email/issue.html", _context(newsletter, body_html, personal=True))
        )
    )
    # The subject is a mail header: an issue saved before the single-line rule must still send.
    return RenderedIssue(subject=single_line(newsletter.subject), html=html, text=html_to_text(html))


def render_public(newsletter) -> str:
    """The archive's web version: the same body, without any personal part."""
    return markdown_to_html(newsletter.body_markdown, absolute=False)


def render_events_block(events: list) -> tuple[str, str]:
    """One district's "upcoming events" block, HTML (inline styles) and text."""
    if not events:
        return "", ""
    html = css_inline.inline_fragment(
        absolute_links(render_to_string("newsletter/email/events_block.html", {"events": events})),
        "h2{font-size:18px;margin:24px 0 8px}ul{padding-left:20px}li{margin:4px 0}",
    )
    return html, html_to_text(html)
