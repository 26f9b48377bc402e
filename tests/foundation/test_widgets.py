"""The quick select widgets write exactly the markup of Django's own, escaped the same way."""

from __future__ import annotations

import re

import pytest
from django import forms

from imc.widgets import QuickSelect, QuickSelectMultiple

CHOICES = [("", "---"), ("a&b", 'A "<b>" & co'), (3, "Three"), ("Group <x>", [(4, "Four"), (5, "Five")])]


def _same(html: str) -> str:
    return re.sub(r">\s+<", "><", html.strip())


@pytest.mark.parametrize(
    ("django_widget", "quick_widget", "value"),
    [
        (forms.Select, QuickSelect, 3),
        (forms.Select, QuickSelect, "a&b"),
        (forms.SelectMultiple, QuickSelectMultiple, [3, 5]),
    ],
)
def test_the_quick_select_renders_what_django_renders(django_widget, quick_widget, value):
    attrs = {"size": 8, "data-note": 'say "hi" <now>'}
    extra = {"id": "id_f", "required": True, "disabled": False}
    expected = django_widget(choices=CHOICES, attrs=attrs).render("f", value, attrs=extra)
    quick = quick_widget(choices=CHOICES, attrs=attrs).render("f", value, attrs=extra)
    assert _same(quick) == _same(expected)
    assert "&lt;b&gt;" in quick and "<b>" not in quick  # control: labels are escaped


def test_the_town_fields_of_the_group_and_event_forms_use_it():
    from events.forms import EventForm
    from groups.forms import GroupForm

    assert isinstance(GroupForm.base_fields["home_town"].widget, QuickSelect)
    assert isinstance(GroupForm.base_fields["other_towns"].widget, QuickSelectMultiple)
    assert isinstance(EventForm.base_fields["town"].widget, QuickSelect)
