"""Who may compose and send newsletters: coordinators only. The admin and the staff pages ask here."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from districts.policy import is_coordinator


def can_compose(user: User | AnonymousUser) -> bool:
    return is_coordinator(user)
