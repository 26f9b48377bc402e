"""Staff second factor: the admin opens only to staff whose session passed a TOTP check.

allauth records each authentication step of a session in the session itself
(``allauth.account.authentication.get_authentication_records``: a list of dicts such as
``{"method": "password", ...}`` and ``{"method": "mfa", "type": "totp", ...}``). A staff member
needs a TOTP authenticator AND an ``mfa`` record in the current session.
"""

from __future__ import annotations

from allauth.account.authentication import get_authentication_records
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import encrypt
from django.http import HttpRequest

from accounts.models import User


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


def session_passed_mfa(request: HttpRequest) -> bool:
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, request.user))


def record_mfa(request: HttpRequest, authenticator: Authenticator) -> None:
    """Count a just-activated authenticator as this session's second factor.

    Activating TOTP requires typing a valid code from the new authenticator, which is the same
    proof a TOTP login asks for; without this, staff would have to sign out and in again after
    setting up their app. allauth exposes no public function for it, hence the internal import
    (pinned version in requirements.txt).
    """
    from allauth.account.internal.flows.login import record_authentication

    record_authentication(request, authenticator.user, "mfa", type=authenticator.type, id=authenticator.pk)


def totp_ensure(*, user: User, secret: str) -> Authenticator:
    """Give ``user`` a TOTP authenticator with a known base32 secret (demo data and tests only)."""
    authenticator, _ = Authenticator.objects.update_or_create(
        user=user, type=Authenticator.Type.TOTP, defaults={"data": {"secret": encrypt(secret)}}
    )
    return authenticator
