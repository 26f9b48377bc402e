"""The one Markdown sanitiser: what people write becomes HTML that is safe to put in a page or a mail.

Markdown is rendered first, then nh3 keeps only the tags, attributes and URL schemes listed here:
no script, no event handlers, no ``javascript:`` links, whatever the author typed (raw HTML
included). There are two allowlists because there are two kinds of reader, not two sanitisers:

- ``PAGE`` (group, team and event descriptions): text inside a page of ours, so headings start at
  h3 (higher ones would compete with the page's own outline), no images (a stranger's image in our
  page is a tracking pixel), and every link is ``nofollow`` (members' links are not our endorsement).
- ``EMAIL`` (the newsletter body, written by coordinators): a whole document of its own, so it may
  use every heading, images and tables (Markdown "extra").

What leaves the site (``absolute=True``: the mail) has every link and image address made absolute
from SITE_URL (``imc.links.absolute_links``): a mail program has no page to resolve
``[Find a group](/groups/)`` against. Pages of ours keep them as written.
"""

from __future__ import annotations

from dataclasses import dataclass

import markdown
import nh3
from django.utils.safestring import SafeString, mark_safe

from imc.links import absolute_links

URL_SCHEMES = frozenset({"http", "https", "mailto"})


@dataclass(frozen=True)
class Allowlist:
    tags: frozenset[str]
    attributes: dict[str, set[str]]
    extensions: tuple[str, ...]
    link_rel: str


PAGE = Allowlist(
    tags=frozenset(
        {
            "p",
            "br",
            "strong",
            "em",
            "b",
            "i",
            "ul",
            "ol",
            "li",
            "a",
            "blockquote",
            "code",
            "pre",
            "h3",
            "h4",
            "h5",
            "h6",
            "hr",
        }
    ),  # fmt: skip
    attributes={"a": {"href", "title"}},
    extensions=("sane_lists",),
    link_rel="nofollow noopener noreferrer",
)
EMAIL = Allowlist(
    tags=frozenset(
        {
            "p",
            "br",
            "hr",
            "h1",
            "h2",
            "h3",
            "h4",
            "strong",
            "em",
            "b",
            "i",
            "u",
            "a",
            "ul",
            "ol",
            "li",
            "blockquote",
            "code",
            "pre",
            "img",
            "table",
            "thead",
            "tbody",
            "tr",
            "th",
            "td",
        }
    ),  # fmt: skip
    attributes={"a": {"href", "title"}, "img": {"src", "alt", "title", "width", "height"}},
    extensions=("extra", "sane_lists"),
    link_rel="noopener noreferrer",
)


def render_markdown(text: str, *, allow: Allowlist = PAGE, absolute: bool = False) -> SafeString:
    """Markdown to HTML holding nothing but what ``allow`` lists; with ``absolute``, every address
    in it resolved against SITE_URL (for HTML read away from the site)."""
    html = markdown.markdown(text or "", extensions=list(allow.extensions), output_format="html")
    cleaned = nh3.clean(
        html,
        tags=set(allow.tags),
        attributes={tag: set(names) for tag, names in allow.attributes.items()},
        url_schemes=set(URL_SCHEMES),
        link_rel=allow.link_rel,
    )
    if absolute:
        cleaned = absolute_links(cleaned)
    return mark_safe(cleaned)


def plain_text(text: str) -> str:
    """Text with every tag removed, for search and for emails."""
    return nh3.clean(text or "", tags=set())
