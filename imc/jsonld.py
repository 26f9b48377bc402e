"""Structured data for search engines and link previews: a JSON-LD ``<script>`` safe in any page.

The JSON is escaped as Django's ``json_script`` does (``<``, ``>`` and ``&`` as ``\\u003C`` ...),
so a title holding ``</script>`` or ``<!--`` cannot end the element or open a comment; only the
element's ``type`` differs (``application/ld+json``, which browsers never run).
"""

from __future__ import annotations

import json
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe

_ESCAPES = {ord("<"): "\\u003C", ord(">"): "\\u003E", ord("&"): "\\u0026"}


def script(data: dict[str, Any]) -> SafeString:
    body = json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False).translate(_ESCAPES)
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(body))
