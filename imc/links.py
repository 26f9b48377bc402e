"""Links: absolute addresses for what leaves the portal, and slug links for pages that draw many.

**Absolute addresses have one source, ``settings.SITE_URL``.** Whatever is read away from the
page that made it (an email, a feed, a calendar, allauth's mail, the admin's "View on site")
takes its address from ``absolute()``, never from the host a request arrived on nor from the
Site row, so a test or staging deployment never sends anyone to the live site. The Site row
(which allauth and Django's syndication still read) is derived from SITE_URL: ``site_sync()``
writes it on every ``migrate`` (``imc.apps``).

**Slug links.**

A directory page links every card to its group, its district and its next event: some sixty
``reverse()`` calls, each walking the URL resolver (about 40 µs here). The link of a slug page
differs from one slug to the next only by the slug, so the resolver is asked once per URL name
(and script prefix and URL configuration) for a link with a marker in the slug's place, and each
link is that template with the slug put in. Slugs match ``[-a-zA-Z0-9_]+``, which needs no quoting,
so the result is exactly what ``reverse()`` returns (tests/foundation/test_links.py).
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from typing import Any
from urllib.parse import urljoin, urlsplit

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

MARKER = "slug-marker-0d1c9a"


@lru_cache(maxsize=128)
def _template(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(name, args=[MARKER], urlconf=urlconf)


def slug_url(name: str, slug: str) -> str:
    """``reverse(name, args=[slug])`` for a URL whose only argument is a slug."""
    return _template(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF).replace(MARKER, slug)


# --- Absolute addresses -----------------------------------------------------------------------


def absolute(url: str) -> str:
    """``url`` as an address that works anywhere: a path (``/events/x/``) or a relative link is
    resolved against SITE_URL; an address with a scheme (``https:``, ``mailto:``) is kept."""
    if url.startswith("/") and not url.startswith("//"):
        return settings.SITE_URL + url
    return urljoin(settings.SITE_URL + "/", url)


def site_host() -> str:
    """SITE_URL's host and port, e.g. ``portal.test:8123``: the Site row's domain."""
    return urlsplit(settings.SITE_URL).netloc


def site_hostname() -> str:
    """SITE_URL's host name without a port, e.g. ``portal.test``: the right side of Message-IDs."""
    return urlsplit(settings.SITE_URL).hostname or "localhost"


def site_sync(site_model: Any = None) -> None:
    """Make the Site row say what SITE_URL says (run on every migrate; a migration passes its
    historical model)."""
    if site_model is None:
        from django.contrib.sites.models import Site as site_model
    site_model.objects.update_or_create(
        pk=settings.SITE_ID, defaults={"domain": site_host(), "name": settings.SITE_NAME}
    )
    if hasattr(site_model.objects, "clear_cache"):
        site_model.objects.clear_cache()


def site_sync_after_migrate(**kwargs: Any) -> None:
    """The post_migrate receiver (``imc.apps``): the Site row follows SITE_URL on every deploy."""
    site_sync()


# A start tag, attribute by attribute (HTML's tokenizer rules: a quoted value may hold ">"), and
# one attribute of it. Scanning a start tag's attributes in order with ``_ATTRIBUTE`` consumes each
# quoted value whole, so nothing inside a value is ever taken for an attribute.
_START_TAG = re.compile(
    r"""<(?P<name>[a-zA-Z][^\s/>]*)(?P<attributes>(?:\s+[^\s/>="']+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)(?P<end>\s*/?>)"""
)
_ATTRIBUTE = re.compile(r"""(?P<name>\s+[^\s/>="']+)(?:(?P<equals>\s*=\s*)(?P<value>"[^"]*"|'[^']*'|[^\s"'>]+))?""")
URL_ATTRIBUTES = frozenset({"href", "src", "cite", "poster", "action", "background"})


def absolute_links(fragment: str, *, base: str | None = None) -> str:
    """The HTML ``fragment`` with every link and image address made absolute: resolved against
    ``base`` (an absolute address: the page the fragment is read as), or else as ``absolute()``.

    For HTML that leaves the site (feeds, mail), whose reader has no page to resolve a relative
    link against. Only the address attributes of start tags change; text, comments and every
    other attribute come out as they went in."""

    def resolve(address: str) -> str:
        return absolute(address) if base is None else urljoin(base, address)

    def attribute(match: re.Match[str]) -> str:
        value = match.group("value")
        if value is None or match.group("name").strip().lower() not in URL_ATTRIBUTES:
            return match.group(0)
        if value[:1] in {'"', "'"}:
            value = value[1:-1]
        resolved = resolve(html.unescape(value).strip())
        return f'{match.group("name")}{match.group("equals")}"{html.escape(resolved, quote=True)}"'

    def tag(match: re.Match[str]) -> str:
        attributes = _ATTRIBUTE.sub(attribute, match.group("attributes"))
        return f"<{match.group('name')}{attributes}{match.group('end')}"

    return _START_TAG.sub(tag, fragment)
