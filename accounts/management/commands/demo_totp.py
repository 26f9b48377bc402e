"""Print the current TOTP code of the demo staff accounts (local use only)."""

import time

from allauth.mfa import app_settings
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value
from django.core.management.base import BaseCommand

from accounts.demo import DEMO_TOTP_SECRET


class Command(BaseCommand):
    help = "Print the code an authenticator app would show now for the demo staff accounts' secret."

    def handle(self, *args, **options) -> None:
        period = app_settings.TOTP_PERIOD
        now = int(time.time())
        code = format_hotp_value(hotp_value(DEMO_TOTP_SECRET, now // period))
        self.stdout.write(f"{code}  (secret {DEMO_TOTP_SECRET}, valid for {period - now % period} more seconds)")
