from __future__ import annotations

import re

from django import forms

from districts.models import District, Town
from districts.selectors import place_lookup
from events import policy, rules, selectors
from events.models import MAX_PARTY, Accessibility, Event, EventQuestion, EventType, QuestionKind, Recurrence
from events.selectors import DISTANCES, EventFilters
from events.services import EDITABLE_FIELDS
from groups.models import Group, GroupStatus
from imc.forms import Form, ModelForm, ModelMultipleChoiceField
from imc.widgets import QuickSelect, QuickSelectMultiple


class EventFilterForm(Form):
    zip = forms.CharField(label="ZIP code", max_length=10, required=False)
    town = forms.CharField(label="Town", max_length=100, required=False)
    distance = forms.TypedChoiceField(
        label="Within", choices=[(d, f"{d} miles") for d in DISTANCES], coerce=int, initial=10, required=False
    )
    district = forms.ModelChoiceField(
        queryset=District.objects.all(), to_field_name="slug", required=False, empty_label="Any district"
    )
    type = forms.ChoiceField(label="Type", choices=[("", "Any type"), *EventType.choices], required=False)
    date_from = forms.DateField(label="From", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    date_to = forms.DateField(label="To", required=False, widget=forms.DateInput(attrs={"type": "date"}))
    online = forms.BooleanField(label="Online only", required=False)
    access = forms.MultipleChoiceField(
        label="Accessibility", choices=Accessibility.choices, required=False, widget=forms.CheckboxSelectMultiple
    )

    def clean(self):
        data = super().clean()
        place = data.get("zip") or data.get("town")
        data["towns"] = []
        if place:
            lookup = place_lookup(place)
            if not lookup.found:
                field = "zip" if data.get("zip") else "town"
                hint = f" Did you mean {', '.join(lookup.suggestions)}?" if lookup.suggestions else ""
                self.add_error(field, f"We could not find “{place}” in Massachusetts.{hint}")
            data["towns"] = lookup.towns
        if data.get("date_from") and data.get("date_to") and data["date_to"] < data["date_from"]:
            self.add_error("date_to", "The end of the range is before its start.")
        return data

    def filters(self) -> EventFilters:
        data = self.cleaned_data
        return EventFilters(
            towns=data.get("towns") or [],
            distance=data.get("distance") or 10,
            district=data.get("district"),
            event_type=data.get("type") or "",
            date_from=data.get("date_from"),
            date_to=data.get("date_to"),
            online=bool(data.get("online")),
            accessibility=data.get("access") or [],
        )


class EventForm(ModelForm):
    """Create or edit an event. The view passes the person so the host choices fit them."""

    host_group = forms.ModelChoiceField(
        queryset=Group.objects.none(), required=False, empty_label="The coalition (coalition-wide)", widget=QuickSelect
    )
    co_hosts = ModelMultipleChoiceField(
        queryset=Group.objects.filter(status=GroupStatus.APPROVED),
        required=False,
        widget=QuickSelectMultiple,
        label="Co-hosting groups",
        help_text="Each group named is invited by email; it shows as co-host once one of its organizers accepts.",
    )
    starts_at = forms.DateTimeField(
        label="Starts (Massachusetts time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Ends (Massachusetts time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    town = forms.ModelChoiceField(queryset=Town.objects.all(), required=False, widget=QuickSelect)
    join_url = forms.URLField(label="Join link", required=False, assume_scheme="https")
    accessibility = forms.MultipleChoiceField(
        choices=Accessibility.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    recurrence = forms.ChoiceField(label="Repeats", choices=Recurrence.choices, required=False)
    occurrences = forms.IntegerField(label="Number of dates", min_value=1, max_value=26, initial=1, required=False)

    class Meta:
        model = Event
        # The host and co-hosts after the title, then every field an organizer edits.
        fields = [EDITABLE_FIELDS[0], "host_group", "co_hosts", *EDITABLE_FIELDS[1:]]

    def __init__(self, *args, user, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.user = user
        self.creating = creating
        self.fields["host_group"].queryset = policy.hostable_groups(user)
        if not policy.can_host_for(user, None):
            self.fields["host_group"].required = True
            self.fields["host_group"].empty_label = None
        if not creating:
            # Named means invited or co-hosting: ``Event.co_hosts`` holds only those who accepted.
            self.initial["co_hosts"] = selectors.cohost_named_group_ids(self.instance)
            # The host of an existing event does not change: its organizers own it.
            del self.fields["host_group"]
            del self.fields["recurrence"]
            del self.fields["occurrences"]
        else:
            self.fields["remind_day_before"].initial = True
            self.fields["remind_two_hours"].initial = True

    def clean(self):
        data = super().clean()
        # The rules live in events.rules, which the services ask again on every write; a field
        # that is already wrong (not a date, say) keeps its own message rather than a second one.
        problems = rules.event_problems(
            values={name: data.get(name) for name in EDITABLE_FIELDS if name in self.fields},
            creating=self.creating,
            host_group=data.get("host_group") if self.creating else self.instance.host_group,
            co_hosts=data.get("co_hosts") or [],
            recurrence=data.get("recurrence") or Recurrence.NONE,
            occurrences=data.get("occurrences") or 1,
        )
        for field, messages in problems.items():
            if field in self.errors:
                continue
            for message in messages:
                self.add_error(field if field in self.fields else None, message)
        return data

    def event_values(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in EDITABLE_FIELDS if name in data} | {
            "accessibility": list(data.get("accessibility") or []),
            "join_url": data.get("join_url") or "",
        }


# --- RSVPs -----------------------------------------------------------------------------------


def _party_field() -> forms.IntegerField:
    return forms.IntegerField(
        label="People coming with you",
        min_value=0,
        max_value=MAX_PARTY - 1,
        initial=0,
        required=False,
        help_text=f"Not counting yourself: up to {MAX_PARTY - 1}.",
    )


def _answer_field(question: EventQuestion) -> forms.Field:
    options = {"label": question.label, "required": question.required}
    if question.kind == QuestionKind.ONE:
        return forms.ChoiceField(choices=[(c, c) for c in question.choices], widget=forms.RadioSelect, **options)
    if question.kind == QuestionKind.MANY:
        return forms.MultipleChoiceField(
            choices=[(c, c) for c in question.choices], widget=forms.CheckboxSelectMultiple, **options
        )
    if question.kind == QuestionKind.YES_NO:
        return forms.ChoiceField(choices=[(rules.YES, "Yes"), (rules.NO, "No")], widget=forms.RadioSelect, **options)
    return forms.CharField(max_length=rules.MAX_ANSWER_LENGTH, **options)


class RsvpForm(Form):
    """A member's RSVP: one click, how many people they bring, and the event's questions.

    Each question is a field ``question_<id>``; what an answer may be is ``events.rules``, asked
    here for the messages next to the fields and again by the service that stores them.
    """

    bringing = _party_field()

    def __init__(self, *args, questions: list[EventQuestion] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.questions = list(questions or [])
        for question in self.questions:
            self.fields[self.field_name(question)] = _answer_field(question)

    @staticmethod
    def field_name(question: EventQuestion) -> str:
        return f"question_{question.pk}"

    def question_fields(self) -> list:
        """The bound fields of the questions, for templates that lay out the rest themselves."""
        return [self[self.field_name(question)] for question in self.questions]

    def party_size(self) -> int:
        return 1 + (self.cleaned_data.get("bringing") or 0)

    def answers(self) -> dict:
        """The answers keyed as ``Rsvp.answers`` keeps them (the service cleans them again)."""
        data = getattr(self, "cleaned_data", {})
        return {q.answer_key: data.get(self.field_name(q)) for q in self.questions if self.field_name(q) in data}

    def clean(self):
        data = super().clean()
        problems = rules.answer_problems(self.questions, {k: v for k, v in self.answers().items() if v})
        by_key = {q.answer_key: self.field_name(q) for q in self.questions}
        for key, messages in problems.items():
            name = by_key.get(key)
            if name in self.errors:
                continue
            for message in messages:
                self.add_error(name, message)
        return data


class GuestRsvpForm(RsvpForm):
    """An RSVP without an account: who the guest is, then the party and the event's questions."""

    name = forms.CharField(label="Your name", max_length=150)
    email = forms.EmailField(label="Email address", help_text="We mail you a link to confirm your RSVP.")
    zip_code = forms.CharField(label="ZIP code (optional)", max_length=10, required=False)
    field_order = ["name", "email", "zip_code", "bringing"]

    def clean_zip_code(self) -> str:
        value = (self.cleaned_data.get("zip_code") or "").strip()
        if value and not re.fullmatch(r"\d{5}(-\d{4})?", value):
            raise forms.ValidationError("A ZIP code is five digits, e.g. 01852.")
        return value


class GuestAddressForm(Form):
    """Ask for a link by mail: the manage link, or the data link of an address."""

    email = forms.EmailField(label="Email address")


# --- the event's questions (organizers) --------------------------------------------------------


class QuestionForm(Form):
    """One question of the questions page; a blank one (no question written) is left out."""

    id = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1, max_value=2**63 - 1)
    label = forms.CharField(label="Question", max_length=rules.MAX_LABEL_LENGTH, required=False)
    kind = forms.ChoiceField(label="Answer", choices=QuestionKind.choices, initial=QuestionKind.TEXT)
    choices = forms.CharField(
        label="Choices (one a line)",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a one-choice or several-choices question only.",
    )
    required = forms.BooleanField(label="An answer is required", required=False)
    DELETE = forms.BooleanField(label="Remove this question", required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if not self.initial.get("id"):
            del self.fields["DELETE"]  # a blank form has nothing to remove

    def is_blank(self) -> bool:
        data = getattr(self, "cleaned_data", {})
        return not data.get("id") and not (data.get("label") or "").strip()

    def choice_list(self) -> list[str]:
        return [line.strip() for line in (self.cleaned_data.get("choices") or "").splitlines() if line.strip()]

    def clean(self):
        data = super().clean()
        if self.is_blank() or data.get("DELETE"):
            return data
        problems = rules.question_problems(
            kind=data.get("kind", ""), label=data.get("label", ""), choices=self.choice_list()
        )
        for field, messages in problems.items():
            if field in self.errors:
                continue
            for message in messages:
                self.add_error(field, message)
        return data

    def item(self) -> dict:
        data = self.cleaned_data
        return {
            "id": data.get("id"),
            "kind": data.get("kind"),
            "label": data.get("label") or "",
            "choices": self.choice_list(),
            "required": bool(data.get("required")),
        }


def question_formset(questions: list[EventQuestion], data=None):
    """The event's questions, then blank forms up to MAX_QUESTIONS (a blank one is left out)."""
    formset_class = forms.formset_factory(
        QuestionForm,
        extra=max(rules.MAX_QUESTIONS - len(questions), 0),
        max_num=rules.MAX_QUESTIONS,
        validate_max=True,
        absolute_max=rules.MAX_QUESTIONS,
    )
    initial = [
        {"id": q.pk, "label": q.label, "kind": q.kind, "choices": "\n".join(q.choices), "required": q.required}
        for q in questions
    ]
    return formset_class(data, initial=initial, prefix="questions")


class AccommodationForm(Form):
    add_accommodation = forms.BooleanField(
        label=f"Add the question “{rules.ACCOMMODATION_QUESTION['label']}”", required=False
    )
