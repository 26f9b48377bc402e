from django import forms


class PlaceForm(forms.Form):
    q = forms.CharField(
        label="Town or ZIP code",
        max_length=100,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Lowell or 01852", "autocomplete": "postal-code"}),
    )
