"""``kundig import_orders FILE --source S``: import a CSV/XLSX of orders now."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from kundig.commerce import importing
from kundig.commerce.choices import SalesChannel
from kundig.contacts.importing.reading import ImportFileError


class Command(BaseCommand):
    help = "Import orders from a CSV or XLSX file (one row per order line)."

    def add_arguments(self, parser):
        parser.add_argument("file")
        parser.add_argument(
            "--source", default="import", help="where the order numbers come from"
        )
        parser.add_argument(
            "--channel", choices=SalesChannel.values, default=SalesChannel.STORE
        )

    def handle(self, *args, file, source, channel, **options):
        started = time.monotonic()
        try:
            with open(file, "rb") as handle:
                info = importing.check_file(handle, file)
                orders = rows = failed = 0
                parsed_orders = importing.iter_orders(handle, info, channel=channel)
                for chunk in importing.chunks(parsed_orders):
                    results = importing.record_many(chunk, actor=None, source=source)
                    for parsed, problems in zip(chunk, results, strict=True):
                        rows += parsed.rows
                        if problems:
                            failed += 1
                            for problem in problems:
                                self.stderr.write(problem)
                        else:
                            orders += 1
        except (OSError, ImportFileError) as exc:
            raise CommandError(str(exc)) from exc
        seconds = time.monotonic() - started
        self.stdout.write(
            f"{orders} orders ({rows} rows) imported, {failed} failed, "
            f"in {seconds:.1f} s ({rows / seconds if seconds else 0:.0f} rows/s)."
        )
        if failed:
            raise CommandError(f"{failed} orders could not be imported.")
