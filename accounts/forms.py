from django import forms

from accounts.models import User
from districts.forms import PlaceField
from imc.forms import Form, ModelForm


class ProfileForm(ModelForm):
    home = PlaceField(
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


class AccountDeleteForm(Form):
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
