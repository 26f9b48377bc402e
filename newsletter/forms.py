from __future__ import annotations

from django import forms
from django.utils import timezone

from districts.forms import PlaceField
from districts.models import District
from imc.forms import Form, ModelForm, ModelMultipleChoiceField
from newsletter.models import ConsentSource, Newsletter

FORM_SOURCES = [ConsentSource.HOME, ConsentSource.FOOTER, ConsentSource.PAGE]


class SubscribeForm(Form):
    email = forms.EmailField(label="Email", max_length=254, widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    name = forms.CharField(label="Name (optional)", max_length=120, required=False)
    place = PlaceField(label="Town or ZIP code (optional)", max_length=100, required=False)
    source = forms.ChoiceField(choices=[(s.value, s.label) for s in FORM_SOURCES], widget=forms.HiddenInput)

    def __init__(self, *args, source: ConsentSource = ConsentSource.PAGE, prefix_id: str = "", **kwargs) -> None:
        kwargs.setdefault("initial", {})["source"] = source.value
        if prefix_id:
            kwargs.setdefault("auto_id", f"id_{prefix_id}_%s")
        super().__init__(*args, **kwargs)


class PreferencesForm(Form):
    name = forms.CharField(label="Name", max_length=120, required=False)
    place = PlaceField(
        label="Town or ZIP code",
        max_length=100,
        required=False,
        help_text="Places you in a congressional district for district news and events. Leave empty for none.",
    )


class NewsletterForm(ModelForm):
    districts = ModelMultipleChoiceField(
        queryset=District.objects.all(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Send only to subscribers of these districts. Leave empty for everyone.",
    )

    class Meta:
        model = Newsletter
        fields = ["subject", "preheader", "body_markdown", "districts", "include_events"]
        labels = {"body_markdown": "Body (Markdown)"}
        widgets = {"body_markdown": forms.Textarea(attrs={"rows": 16})}
        error_messages = {"body_markdown": {"required": "Write the body of the newsletter."}}


class ScheduleForm(Form):
    when = forms.DateTimeField(
        label="Send at", widget=forms.DateTimeInput(attrs={"type": "datetime-local"}), input_formats=["%Y-%m-%dT%H:%M"]
    )

    def clean_when(self):
        when = self.cleaned_data["when"]
        if when <= timezone.now():
            raise forms.ValidationError("Choose a time in the future.")
        return when
