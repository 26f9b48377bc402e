"""The desk's forms, on the project's bases (imc.forms: one line unless a Textarea)."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from desk.models import ContactNote, Outreach
from desk.services import DeskError, contact_note_dates_check
from imc.forms import Form, ModelForm, ModelMultipleChoiceField


class DateInput(forms.DateInput):
    input_type = "date"


class ContactNoteForm(ModelForm):
    class Meta:
        model = ContactNote
        fields = ["contacted_on", "method", "note", "next_check_in"]
        widgets = {
            "contacted_on": DateInput(),
            "next_check_in": DateInput(),
            "note": forms.Textarea(attrs={"rows": 3}),
        }
        labels = {"contacted_on": "When", "method": "How", "note": "Short note"}
        help_texts = {
            "note": "Seen only by the district's reps and coordinators, never by the group.",
            "next_check_in": "Optional. Without one, the group is due again 90 days after this check-in.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["contacted_on"].initial = timezone.localdate()

    def clean(self):
        data = super().clean()
        if data.get("contacted_on") and not self.has_error("next_check_in"):
            try:
                contact_note_dates_check(data["contacted_on"], data.get("next_check_in"))
            except DeskError as exc:
                field = "next_check_in" if "next check-in" in str(exc) else "contacted_on"
                self.add_error(field, str(exc))
        return data


class OutreachForm(Form):
    all_groups = forms.BooleanField(label="All of the district's groups", required=False)
    groups = ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple, label="Or these groups"
    )
    subject = forms.CharField(max_length=Outreach._meta.get_field("subject").max_length)
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=Outreach._meta.get_field("body").max_length,
        help_text="Each organizer gets their own copy; their replies come to your address.",
    )

    def __init__(self, *args, groups, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["groups"].queryset = groups
        self.fields["groups"].label_from_instance = lambda g: f"{g.name} ({g.home_town.name})"

    def clean(self):
        data = super().clean()
        if data.get("all_groups"):
            data["groups"] = list(self.fields["groups"].queryset)
        elif not self.has_error("groups") and not data.get("groups"):
            self.add_error("groups", "Choose at least one group, or all of them.")
        return data


class FeatureForm(Form):
    """Feature or unfeature one of the district's next events (the desk's featured page)."""

    event = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput)
    action = forms.ChoiceField(choices=[("feature", "Feature"), ("unfeature", "Unfeature")], widget=forms.HiddenInput)

    def __init__(self, *args, events, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = events
        self.fields["event"].error_messages["invalid_choice"] = (
            "That event is not an upcoming event of this district: it cannot be featured here."
        )
