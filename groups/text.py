"""Turning what people write into HTML that is safe to put in a page."""

from __future__ import annotations

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

ALLOWED_TAGS = {
    "p", "br", "strong", "em", "b", "i", "ul", "ol", "li", "a", "blockquote", "code", "pre",
    "h3", "h4", "h5", "h6", "hr",
}  # fmt: skip
# Headings above h3 would compete with the page's own outline.
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}}
URL_SCHEMES = {"http", "https", "mailto"}


def render_markdown(text: str) -> SafeString:
    """Markdown to HTML, then nh3 keeps only harmless tags: no script, no event handlers, no
    ``javascript:`` links, whatever the author typed (raw HTML included)."""
    html = markdown.markdown(text or "", extensions=["sane_lists"], output_format="html")
    cleaned = nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=URL_SCHEMES,
        link_rel="nofollow noopener noreferrer",
    )
    return mark_safe(cleaned)


def plain_text(text: str) -> str:
    """Text with every tag removed, for search and for emails."""
    return nh3.clean(text or "", tags=set())
