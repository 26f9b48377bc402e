"""Relay rate limits hold when one sender posts several messages at the same moment (PostgreSQL)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from groups import services
from groups.models import RelayMessage

SENDER = "eager@example.org"


@pytest.mark.django_db(transaction=True)
def test_simultaneous_posts_from_one_sender_cannot_pass_the_limit_together(lowell_group, settings):
    if connection.vendor != "postgresql":
        pytest.skip("Concurrent transactions need PostgreSQL (CI runs this on PostgreSQL).")
    settings.GROUPS_RELAY_PER_SENDER_PER_HOUR = 3
    for n in range(2):  # one message left under the limit
        services.relay_send(group=lowell_group, sender_name="E", sender_email=SENDER, body=f"m{n}", ip_address=None)
    racers = 6
    barrier = threading.Barrier(racers)
    outcomes: list[str] = []
    errors: list[BaseException] = []

    def post(n: int) -> None:
        try:
            barrier.wait(timeout=10)
            services.relay_send(
                group=lowell_group, sender_name="E", sender_email=SENDER.upper(), body=f"race {n}", ip_address=None
            )
            outcomes.append("sent")
        except services.RateLimited:
            outcomes.append("limited")
        except BaseException as exc:
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=post, args=(n,)) for n in range(racers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sorted(outcomes) == ["limited"] * (racers - 1) + ["sent"]
    assert RelayMessage.objects.filter(sender_email__iexact=SENDER).count() == 3
