from allauth.account.forms import SignupForm as AllauthSignupForm
from django import forms
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest

from accounts.models import NotificationKind, NotificationMode, User
from districts.forms import PlaceField
from imc.forms import Form, ModelForm, TextRulesMixin


class SignupForm(TextRulesMixin, AllauthSignupForm):
    """allauth's sign-up form, costing the same whether the address has an account or not.

    With ACCOUNT_PREVENT_ENUMERATION both answers look alike (a taken address gets an "you
    already have an account" mail), but a new account costs a password hash (PBKDF2, a few
    hundred milliseconds) that a taken address skipped: the response time told which addresses
    have accounts. A taken address now hashes the submitted password too, with the same default
    hasher, and throws the result away.
    """

    def try_save(self, request: HttpRequest):
        if self.account_already_exists:
            make_password(self.cleaned_data.get("password1"))
        return super().try_save(request)


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


class NotificationPreferencesForm(Form):
    """For each kind of notification that can reach this member: each email as it happens, or
    one daily digest. Only the kinds given are fields; anything else posted is ignored, and a
    kind left out of the post keeps its setting (the profile's own fields post alone too)."""

    def __init__(self, *args, kinds: list[NotificationKind], modes: dict[str, str], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for kind in kinds:
            self.fields[kind.value] = forms.ChoiceField(
                label=kind.label,
                choices=NotificationMode.choices,
                required=False,
                initial=modes.get(kind.value, NotificationMode.IMMEDIATE),
                widget=forms.RadioSelect,
            )

    def modes(self) -> dict[str, str]:
        return {kind: self.cleaned_data[kind] for kind in self.fields if self.cleaned_data.get(kind)}
