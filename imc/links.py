"""Links to pages addressed by a slug, for the pages that draw many of them.

A directory page links every card to its group, its district and its next event: some sixty
``reverse()`` calls, each walking the URL resolver (about 40 µs here). The link of a slug page
differs from one slug to the next only by the slug, so the resolver is asked once per URL name
(and script prefix and URL configuration) for a link with a marker in the slug's place, and each
link is that template with the slug put in. Slugs match ``[-a-zA-Z0-9_]+``, which needs no quoting,
so the result is exactly what ``reverse()`` returns (tests/foundation/test_links.py).
"""

from __future__ import annotations

from functools import lru_cache

from django.conf import settings
from django.urls import get_script_prefix, get_urlconf, reverse

MARKER = "slug-marker-0d1c9a"


@lru_cache(maxsize=128)
def _template(name: str, prefix: str, urlconf: str | None) -> str:
    return reverse(name, args=[MARKER], urlconf=urlconf)


def slug_url(name: str, slug: str) -> str:
    """``reverse(name, args=[slug])`` for a URL whose only argument is a slug."""
    return _template(name, get_script_prefix(), get_urlconf() or settings.ROOT_URLCONF).replace(MARKER, slug)
