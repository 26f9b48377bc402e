"""allauth hooks: its mail goes through the outbox, so no account email is ever lost."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter

from outbox.services import email_queue


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        message = self.render_mail(template_prefix, email, context)
        html = ""
        for content, mimetype in getattr(message, "alternatives", []):
            if mimetype == "text/html":
                html = content
        email_queue(
            kind=f"account.{template_prefix.rsplit('/', 1)[-1]}",
            to=email,
            subject=message.subject,
            body_text=message.body,
            body_html=html,
        )
