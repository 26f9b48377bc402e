from __future__ import annotations

from django import forms

from districts.models import Town
from districts.selectors import place_lookup
from imc.forms import Form


class PlaceForm(Form):
    q = forms.CharField(
        label="Town or ZIP code",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Lowell or 01852", "autocomplete": "postal-code"}),
    )


class PlaceField(forms.CharField):
    """A town name or ZIP code, resolved through the one place lookup to a town (or None)."""

    def clean(self, value: str) -> Town | None:
        value = super().clean(value)
        if not value:
            return None
        lookup = place_lookup(value)
        if not lookup.found:
            hint = f" Did you mean {', '.join(lookup.suggestions)}?" if lookup.suggestions else ""
            raise forms.ValidationError(
                f"“{value}” was not found in Massachusetts: we could not find a Massachusetts town or ZIP code "
                f"by that name.{hint}"
            )
        return lookup.towns[0]
