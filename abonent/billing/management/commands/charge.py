"""``abonent charge [--date YYYY-MM-DD]``: charge everything due on a billing day."""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.billing.periods import billing_today
from abonent.billing.services.charging import charge_run, print_progress
from abonent.core.money import format_money


def parse_day(value: str) -> dt.date:
    """YYYY-MM-DD, or a readable error."""
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise CommandError(f"--date must be YYYY-MM-DD, not {value!r}") from None


class Command(BaseCommand):
    help = "Charge the fees due on a day (default: today in the provider's time zone)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--date", help="the billing day, YYYY-MM-DD (default: today)")
        parser.add_argument(
            "--until", help="charge every day from --date through this one (catching up)"
        )
        parser.add_argument("--batch-size", type=int, default=5000)

    def handle(self, *args: Any, **options: Any) -> None:
        first = parse_day(options["date"]) if options["date"] else billing_today()
        last = parse_day(options["until"]) if options["until"] else first
        if last < first:
            raise CommandError("--until must not be before --date")
        if options["batch_size"] < 1:
            raise CommandError("--batch-size must be positive")
        day = first
        while day <= last:
            started = time.perf_counter()
            result = charge_run(day=day, batch_size=options["batch_size"], progress=print_progress)
            elapsed = time.perf_counter() - started
            self.stdout.write(
                f"{day}: charged {result.charged_accounts} accounts "
                f"({result.charges} charges, {format_money(result.total_kop, 'en')}), "
                f"blocked {result.blocked_accounts}, tariff changes applied "
                f"{result.tariff_changes}, in {elapsed:.2f} s"
            )
            day += dt.timedelta(days=1)
        self._static_ips(last)

    def _static_ips(self, day: dt.date) -> None:
        """Give and free static IPs as the add-ons stand on the last day charged (an address
        is freed the day after its add-on's ``ends_on``). After the money, never instead of it:
        a wrong pool setting fails the command only once every day is charged."""
        from abonent.network.static_ip import StaticIpPoolError, static_ip_sync

        try:
            result = static_ip_sync(day=day)
        except StaticIpPoolError as exc:
            raise CommandError(str(exc)) from None
        self.stdout.write(f"{day}: {result}")
