"""``abonent import-accounts FILE.csv``: subscribers from another billing system, all or none.

Thin: reads the file, calls ``accounts.importer.accounts_import``, prints. The format is in
``docs/import.md``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import (
    BaseCommand,
    CommandError,
    CommandParser,
    no_translations,
)

from abonent.accounts.importer import ImportRejected, accounts_import
from abonent.core.money import format_money


class Command(BaseCommand):
    help = (
        "Import subscribers from a CSV file (see docs/import.md). A file with any bad row "
        "imports nothing and lists every bad row; a good one imports in one transaction."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("file", help="the CSV file (UTF-8, comma or semicolon separated)")
        parser.add_argument(
            "--dry-run", action="store_true", help="validate the file only; write nothing"
        )
        parser.add_argument(
            "--encoding", default="utf-8", help="the file's encoding (default utf-8; or cp1251)"
        )

    @no_translations  # one language in the report: the importer's own messages are English
    def handle(self, *args: Any, **options: Any) -> None:
        path = Path(options["file"])
        try:
            data = path.read_bytes()
        except OSError as exc:
            raise CommandError(f"cannot read {path}: {exc.strerror or exc}") from None
        try:
            result = accounts_import(
                data=data,
                dry_run=options["dry_run"],
                encoding=options["encoding"],
                source=path.name,
            )
        except ImportRejected as exc:
            for error in exc.errors:
                self.stderr.write(str(error))
            raise CommandError(f"{path}: {exc.message}") from None
        total = format_money(result.total_balance_kop, "en")
        if result.dry_run:
            self.stdout.write(
                f"{path}: {result.rows} rows are good; would import {result.rows} accounts with "
                f"{total} of opening balances ({result.ledger_entries} ledger entries). "
                "Nothing was written (--dry-run)."
            )
            return
        self.stdout.write(
            self.style.SUCCESS(
                f"{path}: imported {result.created} accounts; opening balances {total} in "
                f"total ({result.ledger_entries} ledger entries) "
                f"in {result.seconds_validate + result.seconds_write:.1f} s."
            )
        )
