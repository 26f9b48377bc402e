from django.core.management.base import BaseCommand
from django.db import transaction

from imc.registry import Kind, contributions


class Command(BaseCommand):
    help = "Create or refresh clearly marked demo data for local use. Idempotent."

    def handle(self, *args, **options) -> None:
        # Each app's ``Kind.DEMO_SEED`` contribution, in INSTALLED_APPS order: later apps use the
        # people and places that earlier ones made (accounts, then groups, events, newsletter).
        for contribution in contributions(Kind.DEMO_SEED):
            with transaction.atomic():
                contribution.function(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Accounts and passwords: see the README."))
