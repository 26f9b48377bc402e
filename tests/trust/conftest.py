"""The trust tests' cast adds to the shared one:

- ``organizer`` and ``lowell_group`` are the shared ones (tests/conftest.py).
- ``team``: the Voting Rights team, led by the coordinator.
- ``login_cookie``: ``login_cookie(user) -> (name, value)`` of a session signed in as that user,
  for a browser context.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from districts.models import Team


@pytest.fixture(autouse=True)
def _trust_settings(settings):
    """A clean cache for the rate limits (the fast hasher is in imc.settings_test)."""
    from django.core.cache import cache

    cache.clear()


@pytest.fixture(autouse=True)
def _role_groups(db):
    """A flushed (transactional) database loses the role groups the cast's staff need."""
    from django.contrib.auth.models import Group as AuthGroup

    from accounts.models import Role

    for role in Role:
        AuthGroup.objects.get_or_create(name=role.value)


@pytest.fixture
def team(coordinator) -> Team:
    return Team.objects.create(
        name="Voting Rights",
        slug="voting-rights",
        description="Ballots for all.",
        how_to_help="Call.",
        lead=coordinator,
    )


@pytest.fixture
def login_cookie():
    def make(user) -> tuple[str, str]:
        client = Client()
        client.force_login(user)
        return django_settings.SESSION_COOKIE_NAME, client.cookies[django_settings.SESSION_COOKIE_NAME].value

    return make
