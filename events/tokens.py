"""Signed links for guests (people who RSVP without an account): the signature is the proof.

Each has its own salt and an age limit, and carries what it stands for so that a link for one
RSVP or one address opens nothing else:

- the confirmation link of one pending guest RSVP: its id and the end of its hold (an RSVP asked
  for again gets a new hold, and the older link no longer matches), valid while the hold runs;
- the "manage my RSVPs" link of one address: valid ``MANAGE_MAX_AGE`` (every mail carries a
  fresh one; an expired one offers to mail a new one);
- the data link of one address (export and erasure of what the portal holds under it).

A token that is forged, altered or too old reads as None; callers answer all three alike.
"""

from __future__ import annotations

from datetime import timedelta

from django.core import signing

from events.models import GUEST_HOLD

CONFIRM_SALT = "events.guest-confirm"
MANAGE_SALT = "events.guest-manage"
DATA_SALT = "events.guest-data"
MANAGE_MAX_AGE = timedelta(days=90)
DATA_MAX_AGE = timedelta(days=2)


def confirm_token(rsvp_id: int, hold_until_iso: str) -> str:
    return signing.dumps({"r": rsvp_id, "h": hold_until_iso}, salt=CONFIRM_SALT, compress=True)


def read_confirm_token(token: str) -> tuple[int, str] | None:
    try:
        data = signing.loads(token, salt=CONFIRM_SALT, max_age=GUEST_HOLD)
        return int(data["r"]), str(data["h"])
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None


def _address_token(email: str, salt: str) -> str:
    return signing.dumps({"e": email.strip().lower()}, salt=salt, compress=True)


def _read_address(token: str, salt: str, max_age: timedelta) -> str | None:
    try:
        email = signing.loads(token, salt=salt, max_age=max_age)["e"]
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        return None
    return email if isinstance(email, str) and email else None


def manage_token(email: str) -> str:
    return _address_token(email, MANAGE_SALT)


def read_manage_token(token: str) -> str | None:
    return _read_address(token, MANAGE_SALT, MANAGE_MAX_AGE)


def data_token(email: str) -> str:
    return _address_token(email, DATA_SALT)


def read_data_token(token: str) -> str | None:
    return _read_address(token, DATA_SALT, DATA_MAX_AGE)
