"""allauth hooks: its mail goes through the outbox, so no account email is ever lost, and its
addresses come from SITE_URL like every other mail's (``imc.links``)."""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.models import Site

from imc import links
from outbox.services import email_queue


def _on_site_url(url: str) -> str:
    """allauth builds its links (``activate_url``, ``password_reset_url``, ``signup_url``) on the
    host the request came in on: keep the path, put it on SITE_URL."""
    parts = urlsplit(url)
    return links.absolute(urlunsplit(("", "", parts.path or "/", parts.query, parts.fragment)))


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix: str, email: str, context: dict) -> None:
        request = allauth_context.request
        # allauth's templates name the site ("Hello from <name>!", its domain): SITE_URL's.
        site = Site(domain=links.site_host(), name=settings.SITE_NAME)
        context = {
            key: _on_site_url(value) if key.endswith("_url") and isinstance(value, str) else value
            for key, value in context.items()
        }
        message = self.render_mail(
            template_prefix, email, {"request": request, "email": email, "current_site": site, **context}
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
