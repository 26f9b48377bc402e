"""Form fields shared by the apps."""

from __future__ import annotations

from django import forms

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
