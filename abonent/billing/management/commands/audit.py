"""``abonent audit``: check the money; exit 1 on any problem."""

from __future__ import annotations

import sys
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from abonent.billing.services.audit import ledger_audit


class Command(BaseCommand):
    help = (
        "Check that every balance equals the sum of its ledger, no charge is there twice, "
        "and statuses agree with balances. Exits 1 on any problem."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--fast",
            action="store_true",
            help="skip the running-balance check (slow on huge ledgers)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        report = ledger_audit(running_balance=not options["fast"])
        for line in report.problems:
            self.stderr.write(line)
        verdict = "OK" if report.ok else f"{len(report.problems)} problem(s)"
        self.stdout.write(f"audit: {report.accounts} accounts, {report.entries} entries: {verdict}")
        if not report.ok:
            sys.exit(1)
