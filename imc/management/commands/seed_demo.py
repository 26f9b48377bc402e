from importlib import import_module

from django.core.management.base import BaseCommand
from django.db import transaction

# Each app that has demo data defines ``seed(stdout)`` in its ``demo.py``. Order matters:
# later modules use the accounts and districts made by earlier ones.
DEMO_MODULES = ["districts.demo", "groups.demo", "events.demo", "newsletter.demo"]


class Command(BaseCommand):
    help = "Create or refresh clearly marked demo data for local use. Idempotent."

    def handle(self, *args, **options) -> None:
        for name in DEMO_MODULES:
            try:
                module = import_module(name)
            except ModuleNotFoundError as exc:
                if exc.name != name:
                    raise
                continue
            with transaction.atomic():
                module.seed(self.stdout)
        self.stdout.write(self.style.SUCCESS("Demo data ready. Accounts and passwords: see the README."))
