from __future__ import annotations

from django import forms

from accounts.models import User
from districts.models import Town
from groups import policy
from groups.models import Group
from groups.selectors import DirectoryFilters
from groups.services import GroupDetails
from imc.forms import Form, ModelMultipleChoiceField
from imc.widgets import QuickSelect, QuickSelectMultiple

MAX_TOWNS = 40

# What a rep sees on posting a town ``groups.policy.assignable_towns`` does not give them.
TOWN_OUT_OF_REACH = (
    "You can only give this group towns in the districts you moderate or towns it already serves. "
    "Choose a town from the list."
)


class DirectoryFilterForm(Form):
    q = forms.CharField(label="Search", required=False, max_length=100)
    town = forms.CharField(label="Town", required=False, max_length=100)
    zip = forms.CharField(label="ZIP code", required=False, max_length=10)
    district = forms.CharField(label="District", required=False, max_length=10)
    stale = forms.BooleanField(label="Include listings not confirmed lately", required=False)

    def filters(self) -> DirectoryFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return DirectoryFilters(
            q=" ".join((data.get("q") or "").split()),
            town=(data.get("town") or "").strip(),
            zip=(data.get("zip") or "").strip(),
            district=(data.get("district") or "").strip(),
            include_stale=bool(data.get("stale")),
        )


class GroupForm(Form):
    """What a member fills in to list a group, and an organizer to edit it.

    The towns offered, and accepted, are those ``groups.policy.assignable_towns`` gives the
    person for this group; ``services.group_update`` checks them again.
    """

    name = forms.CharField(max_length=120)
    home_town = forms.ModelChoiceField(
        queryset=Town.objects.order_by("name"),
        label="First town served",
        help_text="The group belongs to this town's congressional district.",
        widget=QuickSelect,
    )
    other_towns = ModelMultipleChoiceField(
        queryset=Town.objects.order_by("name"),
        required=False,
        label="Other towns served",
        widget=QuickSelectMultiple(attrs={"size": 8}),
        help_text="Hold Ctrl (or Cmd) to choose several.",
    )
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        required=False,
        max_length=5000,
        help_text="Markdown: *emphasis*, lists and links. HTML is removed.",
    )
    meeting_pattern = forms.CharField(max_length=200, required=False, help_text="e.g. Second Tuesday, 7pm")
    website = forms.URLField(required=False, assume_scheme="https")
    facebook_url = forms.URLField(label="Facebook", required=False, assume_scheme="https")
    instagram_url = forms.URLField(label="Instagram", required=False, assume_scheme="https")
    bluesky_url = forms.URLField(label="Bluesky", required=False, assume_scheme="https")
    requires_approval = forms.BooleanField(
        required=False, label="Organizers approve each request to join", help_text="Otherwise anyone may join."
    )

    def __init__(self, *args, actor: User, group: Group | None = None, **kwargs) -> None:
        if group is not None:
            kwargs.setdefault(
                "initial",
                {
                    "name": group.name,
                    "home_town": group.home_town_id,
                    "other_towns": [t.pk for t in group.towns.all() if t.pk != group.home_town_id],
                    "description": group.description,
                    "meeting_pattern": group.meeting_pattern,
                    "website": group.website,
                    "facebook_url": group.facebook_url,
                    "instagram_url": group.instagram_url,
                    "bluesky_url": group.bluesky_url,
                    "requires_approval": group.requires_approval,
                },
            )
        super().__init__(*args, **kwargs)
        towns = policy.assignable_towns(actor, group).order_by("name")
        for name in ("home_town", "other_towns"):
            self.fields[name].queryset = towns
            self.fields[name].error_messages["invalid_choice"] = TOWN_OUT_OF_REACH

    def clean_name(self) -> str:
        name = " ".join(self.cleaned_data["name"].split())
        if not any(c.isalnum() for c in name):
            raise forms.ValidationError("Give the group a name with letters or digits.")
        return name

    def clean_other_towns(self):
        towns = self.cleaned_data["other_towns"]
        if len(towns) > MAX_TOWNS:
            raise forms.ValidationError(f"Choose at most {MAX_TOWNS} towns.")
        return towns

    def details(self) -> GroupDetails:
        data = self.cleaned_data
        return GroupDetails(
            name=data["name"],
            home_town=data["home_town"],
            other_towns=list(data["other_towns"]),
            description=data["description"],
            meeting_pattern=data["meeting_pattern"],
            website=data["website"],
            facebook_url=data["facebook_url"],
            instagram_url=data["instagram_url"],
            bluesky_url=data["bluesky_url"],
            requires_approval=data["requires_approval"],
        )


class ContactForm(Form):
    name = forms.CharField(label="Your name", max_length=120)
    email = forms.EmailField(label="Your email", help_text="The organizers reply to this address.")
    message = forms.CharField(widget=forms.Textarea(attrs={"rows": 5}), max_length=5000)

    def __init__(self, *args, user=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if user is not None and user.is_authenticated:
            self.fields["name"].initial = user.get_full_name() or user.display_name
            self.fields["email"].initial = user.email


class ClaimForm(Form):
    message = forms.CharField(
        label="Why you should organize it",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )


class VolunteerForm(Form):
    message = forms.CharField(
        label="What you would like to help with (optional)",
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        required=False,
    )

    def __init__(self, *args, **kwargs) -> None:
        # The team page also holds the contact form, whose field is called ``message`` too: ids
        # of their own keep the two labels pointing at their own boxes.
        kwargs.setdefault("auto_id", "id_help_%s")
        super().__init__(*args, **kwargs)


class ReasonForm(Form):
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3, "cols": 60}),
        max_length=2000,
        required=False,
        # No help text: the decision page says where the reason goes for its decision, and a
        # rejection without one comes back with the service's own message.
    )
