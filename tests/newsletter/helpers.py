from __future__ import annotations

from django.core import mail

from accounts.models import Role, User
from newsletter import services
from newsletter.models import Newsletter
from tests import factories


def composer() -> User:
    """The coordinator the helpers act as (the services check their actor): the same staff
    member who approves the factories' groups."""
    return factories.user(factories.MODERATOR_EMAIL, roles=(Role.COORDINATOR,))


def compose(
    subject: str = "Spring update",
    body: str = "Hello **everyone**.",
    districts=(),
    include_events=False,
    by: User | None = None,
):
    return services.newsletter_save(
        by=by or composer(),
        subject=subject,
        preheader="What we did this spring",
        body_markdown=body,
        audience_all=not districts,
        districts=districts,
        include_events=include_events,
    )


def send_all(newsletter: Newsletter, capture, by: User | None = None) -> Newsletter:
    """Send now, running the after-commit work (prepare, chunks) in-process as the eager default does."""
    with capture(execute=True):
        services.newsletter_send_now(newsletter=newsletter, by=by or composer())
    newsletter.refresh_from_db()
    return newsletter


def recipients() -> list[str]:
    """Every address the mail backend actually accepted a message for, one entry per message."""
    return sorted(address for message in mail.outbox for address in message.to)


def html_of(message) -> str:
    return next(content for content, mimetype in message.alternatives if mimetype == "text/html")
