"""Receivers for allauth's signals (connected in AccountsConfig.ready)."""

from __future__ import annotations

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authenticator_added
from django.dispatch import receiver
from django.http import HttpRequest

from accounts.mfa import record_mfa


@receiver(authenticator_added, dispatch_uid="accounts.totp_activated_counts_as_mfa")
def totp_activated(sender, request: HttpRequest, user, authenticator: Authenticator, **kwargs) -> None:
    if authenticator.type == Authenticator.Type.TOTP:
        record_mfa(request, authenticator)
