"""Form fields shared by the apps."""

from __future__ import annotations

from django import forms

from imc.validators import validate_multi_line, validate_single_line

# The widest integer key any database here stores (a signed 64-bit bigint).
MAX_KEY = 2**63 - 1


class ModelMultipleChoiceField(forms.ModelMultipleChoiceField):
    """Django's field, but an integer key no database can hold is an invalid choice, not a 500.

    Django runs ``pk__in`` with whatever numbers were posted, and SQLite raises OverflowError on
    one above 2**63 (the property-based tests in tests/trust post such numbers).
    """

    def _check_values(self, value):
        for pk in value:
            text = str(pk).strip()
            if text.lstrip("+-").isdigit() and abs(int(text)) > MAX_KEY:
                raise forms.ValidationError(
                    self.error_messages["invalid_choice"], code="invalid_choice", params={"value": pk}
                )
        return super()._check_values(value)


class TextRulesMixin:
    """Every text field of a form follows imc.validators: one line unless its widget is a Textarea.

    A form field that is not backed by a model field (a filter, a place, a name in a relay
    message) gets the rule here; a model-backed one gets it from the model too. Password inputs
    are left alone: a password is hashed, never shown, and must be checked as typed.
    """

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            if not isinstance(field, forms.CharField) or isinstance(field.widget, forms.PasswordInput):
                continue
            rule = validate_multi_line if isinstance(field.widget, forms.Textarea) else validate_single_line
            if rule not in field.validators:
                field.validators.append(rule)


class Form(TextRulesMixin, forms.Form):
    """The base of the project's plain forms."""


class ModelForm(TextRulesMixin, forms.ModelForm):
    """The base of the project's model forms."""
