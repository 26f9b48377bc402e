from __future__ import annotations

from django.core import mail

from newsletter import services
from newsletter.models import Newsletter


def compose(subject: str = "Spring update", body: str = "Hello **everyone**.", districts=(), include_events=False):
    return services.newsletter_save(
        by=None,
        subject=subject,
        preheader="What we did this spring",
        body_markdown=body,
        audience_all=not districts,
        districts=districts,
        include_events=include_events,
    )


def send_all(newsletter: Newsletter, capture) -> Newsletter:
    """Send now, running the after-commit work (prepare, chunks) in-process as the eager default does."""
    with capture(execute=True):
        services.newsletter_send_now(newsletter=newsletter)
    newsletter.refresh_from_db()
    return newsletter


def recipients() -> list[str]:
    """Every address the mail backend actually accepted a message for, one entry per message."""
    return sorted(address for message in mail.outbox for address in message.to)


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")
