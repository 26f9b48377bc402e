"""The trust tests' cast adds to the shared one:

- ``organizer``: Olga, organizer of ``lowell_group`` (approved, MA-3, Lowell and Chelmsford).
- ``team``: the Voting Rights team, led by the coordinator.
- ``login_cookie``: ``login_cookie(user) -> (name, value)`` of a session signed in as that user,
  for a browser context.
"""

from __future__ import annotations

import pytest
from django.conf import settings as django_settings
from django.test import Client

from accounts.services import user_ensure
from districts.models import Team, Town
from groups import services
from groups.models import Group
from tests.conftest import PASSWORD


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
def organizer(db):
    return user_ensure(
        email="olga@example.org", password=PASSWORD, first_name="Olga", last_name="Okonkwo",
        home_town=Town.objects.get(name="Lowell"),
    )  # fmt: skip


@pytest.fixture
def lowell_group(organizer) -> Group:
    lowell, chelmsford = Town.objects.get(name="Lowell"), Town.objects.get(name="Chelmsford")
    details = services.GroupDetails(
        name="Lowell Indivisible", home_town=lowell, other_towns=[chelmsford], description="We *meet*."
    )
    group = services.group_submit(submitter=organizer, details=details)
    moderator = user_ensure(email="moderator@example.org", password=PASSWORD)
    services.group_approve(group=group, actor=moderator)
    group.refresh_from_db()
    return group


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
