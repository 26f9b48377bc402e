from __future__ import annotations

from datetime import timedelta

from django import forms
from django.utils import timezone

from districts.models import District, Town
from districts.selectors import place_lookup
from events import policy, selectors
from events.models import MAX_EVENT_DAYS, Accessibility, Event, EventType, Recurrence
from events.selectors import DISTANCES, EventFilters
from events.services import EDITABLE_FIELDS
from groups.models import Group, GroupStatus
from imc.forms import Form, ModelForm, ModelMultipleChoiceField


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
        queryset=Group.objects.none(), required=False, empty_label="The coalition (coalition-wide)"
    )
    co_hosts = ModelMultipleChoiceField(
        queryset=Group.objects.filter(status=GroupStatus.APPROVED),
        required=False,
        label="Co-hosting groups",
        help_text="Each group named is invited by email; it shows as co-host once one of its organizers accepts.",
    )
    starts_at = forms.DateTimeField(
        label="Starts (Massachusetts time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    ends_at = forms.DateTimeField(
        label="Ends (Massachusetts time)", widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    town = forms.ModelChoiceField(queryset=Town.objects.all(), required=False)
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
        if data.get("starts_at") and data.get("ends_at") and data["ends_at"] < data["starts_at"]:
            self.add_error("ends_at", "The event must end after it starts.")
        elif (
            data.get("starts_at")
            and data.get("ends_at")
            and data["ends_at"] - data["starts_at"] > timedelta(days=MAX_EVENT_DAYS)
        ):
            self.add_error("ends_at", f"An event lasts at most {MAX_EVENT_DAYS} days; make a repeating event instead.")
        if not data.get("is_online") and not data.get("town"):
            self.add_error("town", "Give the town of an in-person event, or mark it online.")
        if data.get("is_online") and not data.get("join_url"):
            self.add_error("join_url", "An online event needs a join link (only people who RSVP see it).")
        if self.creating and data.get("starts_at") and timezone.localdate(data["starts_at"]) < timezone.localdate():
            self.add_error("starts_at", "The event cannot start in the past.")
        if self.creating and data.get("recurrence") and (data.get("occurrences") or 1) < 2:
            self.add_error("occurrences", "A repeating event needs at least two dates.")
        return data

    def event_values(self) -> dict:
        data = self.cleaned_data
        return {name: data.get(name) for name in EDITABLE_FIELDS if name in data} | {
            "accessibility": list(data.get("accessibility") or []),
            "join_url": data.get("join_url") or "",
        }
