"""Form widgets of the ground floor.

``QuickSelect`` and ``QuickSelectMultiple`` write their ``<option>`` elements in Python. Django's
own select template includes one template per option (and another for its attributes), which
for the 351 towns of Massachusetts was most of the time a group or event form took to render:
every signed-in page with such a form, and every test that renders one, paid for it. The markup
is the same as Django's, escaped the same way (``format_html``, ``flatatt``).
"""

from __future__ import annotations

from django import forms
from django.forms.utils import flatatt
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe


def options_html(optgroups) -> SafeString:
    parts: list[str] = []
    for group_name, options, _index in optgroups:
        if group_name:
            parts.append(format_html('<optgroup label="{}">', group_name))
        for option in options:
            parts.append(
                format_html(
                    '<option value="{}"{}>{}</option>', str(option["value"]), flatatt(option["attrs"]), option["label"]
                )
            )
        if group_name:
            parts.append("</optgroup>")
    return mark_safe("".join(parts))


class _QuickOptions:
    template_name = "imc/widgets/quick_select.html"

    def get_context(self, name, value, attrs):
        context = super().get_context(name, value, attrs)  # type: ignore[misc]
        context["widget"]["options_html"] = options_html(context["widget"]["optgroups"])
        return context


class QuickSelect(_QuickOptions, forms.Select):
    pass


class QuickSelectMultiple(_QuickOptions, forms.SelectMultiple):
    pass
