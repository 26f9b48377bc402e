"""Signed-in members for the load benchmark: sessions made up front, one per member.

Run by bench/load/run.py with the benchmark's settings; prints one JSON object. It takes the first
``--count`` members of the groups benchmark (bench-<n>@bench.invalid, each in two groups), gives
each a home town (so the home page shows them the groups near it) and a name of their own, and
every third of them an RSVP to the event the benchmark reads, so the event page differs from
member to member. Then it opens one session per member through Django's own session store, as a
sign-in would (``django.contrib.auth.login`` writes the same three keys), with a CSRF secret of
its own. What it prints is what wrk sends and checks: each member's cookies, their CSRF secret
and their address.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bench.load.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY  # noqa: E402
from django.db import transaction  # noqa: E402
from django.middleware.csrf import _get_new_csrf_string  # noqa: E402
from django.utils import timezone  # noqa: E402
from django.utils.module_loading import import_string  # noqa: E402

from accounts.models import User  # noqa: E402
from districts.models import Town  # noqa: E402
from events.models import Event, Rsvp, RsvpStatus  # noqa: E402

BENCH_EMAIL_DOMAIN = "bench.invalid"  # bench/groups/run.py's members


def members(count: int) -> list[User]:
    found = list(
        User.objects.filter(email__endswith=f"@{BENCH_EMAIL_DOMAIN}").select_related("home_town").order_by("pk")[:count]
    )
    if len(found) < count:
        sys.exit(f"Only {len(found)} benchmark members: run the groups benchmark (make bench-groups) first.")
    return found


def prepare(users: list[User], event: Event) -> None:
    """Home towns, names and RSVPs: idempotent, and only where they are missing."""
    towns = list(Town.objects.order_by("pk"))
    with transaction.atomic():
        for i, user in enumerate(users):
            changed = []
            if user.home_town_id is None:
                user.home_town = towns[i % len(towns)]
                changed.append("home_town")
            if user.first_name != f"Loadmember{user.pk}":
                user.first_name = f"Loadmember{user.pk}"
                changed.append("first_name")
            if changed:
                user.save(update_fields=changed)
        wanted = [user for i, user in enumerate(users) if i % 3 == 0]
        have = set(Rsvp.objects.filter(event=event, user__in=wanted).values_list("user_id", flat=True))
        Rsvp.objects.bulk_create(
            [
                Rsvp(event=event, user=user, status=RsvpStatus.GOING, status_changed_at=timezone.now())
                for user in wanted
                if user.pk not in have
            ]
        )


def open_session(user: User) -> dict[str, str]:
    store = import_string(settings.SESSION_ENGINE + ".SessionStore")()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    csrf = _get_new_csrf_string()
    return {
        "id": str(user.pk),
        "email": user.email,
        "csrf": csrf,
        "cookie": f"{settings.SESSION_COOKIE_NAME}={store.session_key}; {settings.CSRF_COOKIE_NAME}={csrf}",
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--count", type=int, default=200)
    parser.add_argument("--event", required=True, help="slug of the event page the members read")
    args = parser.parse_args()
    event = Event.objects.get(slug=args.event)
    users = members(args.count)
    prepare(users, event)
    print(json.dumps([open_session(user) for user in users]))


if __name__ == "__main__":
    main()
