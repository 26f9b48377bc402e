"""The forms of check-in and of writing to an event's people (on the project's bases, imc.forms).

They check the shape of the input; the rules (who, when, how often, to whom) are
``events.attendance``'s, whose refusals the views show on the same forms.
"""

from __future__ import annotations

from django import forms

from events.attendance import NAME_MAX_LENGTH
from events.attendance_models import BODY_MAX_LENGTH, SUBJECT_MAX_LENGTH, Audience
from imc.forms import Form


class WalkInForm(Form):
    name = forms.CharField(max_length=NAME_MAX_LENGTH, error_messages={"required": "Write the person's name."})
    email = forms.EmailField(
        label="Email (optional)",
        required=False,
        help_text="Only if they want to hear from the organizers (a thank-you, the next event).",
    )


class AttendeeMessageForm(Form):
    audiences = forms.MultipleChoiceField(
        label="Write to",
        choices=Audience.choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": "Choose whom to write to: the people going, on the waitlist, or who came."},
    )
    subject = forms.CharField(max_length=SUBJECT_MAX_LENGTH, error_messages={"required": "Write a subject."})
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 8}),
        max_length=BODY_MAX_LENGTH,
        help_text="Each person gets their own copy; their replies come to your address.",
        error_messages={"required": "Write a message."},
    )

    def __init__(self, *args, counts: dict[str, int] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if counts is not None:
            self.fields["audiences"].choices = [
                (value, f"{label} ({counts.get(value, 0)})") for value, label in Audience.choices
            ]


class ThankYouForm(Form):
    subject = forms.CharField(max_length=SUBJECT_MAX_LENGTH, error_messages={"required": "Write a subject."})
    body = forms.CharField(
        label="Message",
        widget=forms.Textarea(attrs={"rows": 6}),
        max_length=BODY_MAX_LENGTH,
        help_text="A ready text: change it as you like.",
        error_messages={"required": "Write a message."},
    )
