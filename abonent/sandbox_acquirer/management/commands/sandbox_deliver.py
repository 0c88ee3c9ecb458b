"""``abonent sandbox-deliver [--loop]``: send the sandbox acquirer's due webhooks."""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand, CommandError

from abonent.sandbox_acquirer import conf
from abonent.sandbox_acquirer.webhooks import deliver_due


class Command(BaseCommand):
    help = "Send the sandbox acquirer's due webhook notifications (once, or --loop)."

    def add_arguments(self, parser):
        parser.add_argument("--loop", action="store_true", help="keep delivering until stopped")
        parser.add_argument(
            "--interval", type=float, default=1.0, help="seconds between passes with --loop"
        )

    def handle(self, *args, loop: bool, interval: float, **options):
        if not conf.enabled():
            raise CommandError("the sandbox acquirer is off (ABONENT_SANDBOX_ENABLED)")
        while True:
            delivered = deliver_due()
            if delivered or not loop:
                self.stdout.write(f"sandbox webhooks delivered: {delivered}")
            if not loop:
                return
            time.sleep(interval)
