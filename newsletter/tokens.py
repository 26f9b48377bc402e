"""Signed tokens in newsletter links: the signature is the proof, no login or cookie needed."""

from __future__ import annotations

from django.core import signing

_UNSUBSCRIBE = signing.Signer(salt="newsletter.unsubscribe")
_PREFERENCES = signing.Signer(salt="newsletter.preferences")
# Signs a SubscriptionRequest's id. A new salt, not "newsletter.confirm": links of the old kind
# signed a subscriber's id and confirmed whatever that row held at the time they were used.
_CONFIRM = signing.TimestampSigner(salt="newsletter.confirm-request")
CONFIRM_MAX_AGE_SECONDS = 14 * 24 * 3600


def unsubscribe_token(subscriber_id: int) -> str:
    return _UNSUBSCRIBE.sign(str(subscriber_id))


def preferences_token(subscriber_id: int) -> str:
    return _PREFERENCES.sign(str(subscriber_id))


def confirm_token(request_id: int) -> str:
    """The link that confirms one SubscriptionRequest (not a subscriber: what they asked for)."""
    return _CONFIRM.sign(str(request_id))


def _read(signer: signing.Signer, token: str, **kwargs: int) -> int | None:
    try:
        return int(signer.unsign(token, **kwargs))
    except (signing.BadSignature, ValueError):
        return None


def read_unsubscribe_token(token: str) -> int | None:
    return _read(_UNSUBSCRIBE, token)


def read_preferences_token(token: str) -> int | None:
    return _read(_PREFERENCES, token)


def read_confirm_token(token: str) -> int | None:
    return _read(_CONFIRM, token, max_age=CONFIRM_MAX_AGE_SECONDS)
