"""allauth hooks: its mail goes through the outbox, so no account email is ever lost."""

from __future__ import annotations

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from outbox.services import email_queue


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        # The same context allauth's own send_mail gives its templates ("Hello from <site>!").
        request = allauth_context.request
        message = self.render_mail(
            template_prefix,
            email,
            {"request": request, "email": email, "current_site": get_current_site(request), **context},
        )
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
