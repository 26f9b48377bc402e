from __future__ import annotations

from django import forms

from districts.models import Precinct, Town
from districts.selectors import TownLegislature, place_lookup, precinct_answer
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


# Where a voter reads their ward and precinct: the Secretary of the Commonwealth's own lookup.
WHERE_DO_I_VOTE_URL = "https://www.sec.state.ma.us/wheredoivotema/bal/myelectioninfo.aspx"


class PrecinctForm(Form):
    """The ward and precinct of a voter in a split town: the choice that names their three
    districts. Asked on /find/ (GET, so the answer can be bookmarked and shared)."""

    q = forms.CharField(widget=forms.HiddenInput, max_length=100)
    ward = forms.CharField(label="Ward", required=False, max_length=10, widget=forms.Select)
    precinct = forms.CharField(label="Precinct", required=False, max_length=10, widget=forms.Select)

    def __init__(self, legislature: TownLegislature, data=None) -> None:
        town = legislature.town
        # Each town's form has its own ids: a village name can show several towns on one page.
        super().__init__(data, auto_id=f"id_{town.slug}_%s", initial={"q": town.name})
        self.legislature = legislature
        self.precinct_found: Precinct | None = None
        if legislature.wards:
            self.fields["ward"].widget.choices = [("", "Choose…")] + [(w, f"Ward {w}") for w in legislature.wards]
        else:
            del self.fields["ward"]
        self.fields["precinct"].widget.choices = [("", "Choose…")] + [
            (number, f"Precinct {number}") for number in legislature.precinct_numbers
        ]

    @property
    def problems(self) -> list[str]:
        """Every error of the form in one list: the page shows them together above the choices."""
        return [str(error) for errors in self.errors.values() for error in errors] if self.is_bound else []

    def clean(self) -> dict:
        cleaned = super().clean()
        if not self.errors:
            try:
                # A town without wards has no ward field, but a ward sent anyway is a mistake to name.
                ward = cleaned["ward"] if "ward" in self.fields else str(self.data.get("ward", ""))[:10]
                self.precinct_found = precinct_answer(self.legislature, ward, cleaned.get("precinct", ""))
            except ValueError as problem:
                raise forms.ValidationError(str(problem), code="unknown_precinct") from None
        return cleaned
