from django import forms

from accounts.models import User
from districts.selectors import place_lookup


class ProfileForm(forms.ModelForm):
    home = forms.CharField(
        label="Home town or ZIP code",
        required=False,
        max_length=100,
        help_text="Places you in a congressional district. Leave empty to clear.",
    )

    class Meta:
        model = User
        fields = ["first_name", "last_name"]

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if self.instance.home_town_id:
            self.fields["home"].initial = self.instance.home_town.name

    def clean_home(self):
        value = self.cleaned_data["home"].strip()
        if not value:
            return None
        lookup = place_lookup(value)
        if not lookup.found:
            hint = f" Did you mean {', '.join(lookup.suggestions)}?" if lookup.suggestions else ""
            raise forms.ValidationError(f"“{value}” was not found in Massachusetts.{hint}")
        return lookup.towns[0]


class AccountDeleteForm(forms.Form):
    password = forms.CharField(
        label="Your password",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
        help_text="To make sure it is you.",
    )

    def __init__(self, *args, user: User, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.user = user

    def clean_password(self) -> str:
        password = self.cleaned_data["password"]
        if not self.user.check_password(password):
            raise forms.ValidationError("That is not your password.")
        return password
