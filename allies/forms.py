"""The "write to them" form: the groups' contact form, whose fields it shares."""

from __future__ import annotations

from groups.forms import ContactForm


class AllyWriteForm(ContactForm):
    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["email"].help_text = "They reply to this address; we never show you theirs."
