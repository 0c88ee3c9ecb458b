"""``abonent autopay [--date YYYY-MM-DD]``: top up accounts with autopay on whose balance will
not cover the next charge (run it the day before charge dates; daily is fine)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.billing.periods import billing_today
from abonent.payments.services import autopay_run


class Command(BaseCommand):
    help = "Top up, from their default cards, accounts with autopay on that need money."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the day of the run, YYYY-MM-DD (default: today)")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["date"]:
            try:
                day = dt.date.fromisoformat(options["date"])
            except ValueError:
                raise CommandError(f"--date must be YYYY-MM-DD, not {options['date']!r}") from None
        else:
            day = billing_today()
        result = autopay_run(day=day)
        self.stdout.write(
            f"{day}: checked {result.checked} accounts with autopay, attempted {result.attempted}: "
            f"{result.succeeded} paid, {result.pending} pending, {result.failed} failed; "
            f"{result.skipped} skipped (already tried this period or no card)"
        )
