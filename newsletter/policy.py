"""Who may compose and send newsletters: coordinators only. The admin and the staff pages ask here."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from districts.policy import is_coordinator
from newsletter.models import Newsletter, NewsletterStatus


def can_compose(user: User | AnonymousUser) -> bool:
    return is_coordinator(user)


def can_view_issue(user: User | AnonymousUser, newsletter: Newsletter) -> bool:
    """The archive page of an issue: public once it went out (``Newsletter.objects.published``);
    before that it has no page, whoever asks (coordinators compose on the staff pages)."""
    return newsletter.status == NewsletterStatus.SENT
