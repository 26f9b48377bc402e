from django.core.management.base import BaseCommand

from districts.loader import load_ma_data


class Command(BaseCommand):
    help = "Load (or refresh) Massachusetts districts, towns and ZIP codes from districts/data. Idempotent."

    def handle(self, *args, **options) -> None:
        report = load_ma_data()
        self.stdout.write(
            self.style.SUCCESS(
                f"{report.districts} districts, {report.towns} towns, {report.zip_codes} ZIP codes, "
                f"{report.aliases} aliases, "
                f"{report.legislative_districts} state districts, {report.precincts} precincts loaded."
            )
        )
