"""``{% panels "event_panel" event %}``: the apps' contributions of a kind, rendered where a page
asks for them, so a shared page's view needs no change to receive a new app's panel."""

from __future__ import annotations

from django import template
from django.utils.safestring import SafeString, mark_safe

from imc import registry

register = template.Library()


@register.simple_tag(takes_context=True)
def panels(context: template.Context, kind: str, *args: object) -> SafeString:
    request = context.get("request")
    # Each panel is a rendered template (already escaped); joining them keeps them safe.
    return mark_safe("".join(registry.panels(registry.Kind(kind), request, *args)))
