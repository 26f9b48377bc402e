"""The desk's own cast: a group of MA-5 (Fred's district), the clients of the staff with their
second factor, and a way to make groups in bulk for the query counts."""

from __future__ import annotations

import pytest

from tests import factories


@pytest.fixture
def ma5_group(db):
    oscar = factories.user("oscar@example.org", first_name="Oscar", home_town="Framingham")
    return factories.group("Metro West Indivisible", ("Framingham",), organizer=oscar)


@pytest.fixture
def rep_client(staff_client_factory, rep_ma3):
    return staff_client_factory(rep_ma3)


@pytest.fixture
def other_rep_client(staff_client_factory, rep_ma5):
    return staff_client_factory(rep_ma5)


@pytest.fixture
def coordinator_client(staff_client_factory, coordinator):
    return staff_client_factory(coordinator)


@pytest.fixture
def member_client(client, activist):
    client.force_login(activist)
    return client
