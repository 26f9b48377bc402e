"""Template helpers of the embeds: every link leaves the framing site for the portal itself."""

from __future__ import annotations

from django import template

from imc import links

register = template.Library()


@register.filter
def absolute(url: str) -> str:
    """The portal's address for ``url`` (from SITE_URL), as a framed page must link."""
    return links.absolute(url)
