"""Who may compose and send newsletters: coordinators only. The admin, the staff pages and the
services ask here."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied

from accounts.models import User
from districts.policy import is_coordinator
from newsletter.models import Newsletter, NewsletterStatus

# Who calls a service: a member, a visitor's request, or nobody (a script, a task).
Actor = User | AnonymousUser | None


def can_compose(user: User | AnonymousUser) -> bool:
    return is_coordinator(user)


def require_composer(user: Actor) -> User:
    """The services' check, whoever calls them: the actor, if they may compose and send;
    otherwise ``PermissionDenied``, as the events services refuse."""
    if user is None or not isinstance(user, User) or not can_compose(user):
        raise PermissionDenied("Only a coordinator composes and sends the newsletter.")
    return user


def can_view_issue(user: User | AnonymousUser, newsletter: Newsletter) -> bool:
    """The archive page of an issue: public once it went out (``Newsletter.objects.published``);
    before that it has no page, whoever asks (coordinators compose on the staff pages)."""
    return newsletter.status == NewsletterStatus.SENT
