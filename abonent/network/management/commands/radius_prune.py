"""``abonent radius-prune``: delete FreeRADIUS's old answers and closed sessions.

``radpostauth`` (one row per Access-Request answer) and ``radacct`` (one per session) grow
forever otherwise. Kept: answers for ``ABONENT_RADIUS_AUTH_LOG_DAYS`` (30), closed sessions for
``ABONENT_RADIUS_SESSION_DAYS`` (400; the cabinet shows 30 days, staff the history); open sessions
always. Deleted in batches, each its own short transaction (deploy/abonent-radius-prune.timer runs
it daily).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from abonent.network.services import PRUNE_BATCH, radius_logs_prune


class Command(BaseCommand):
    help = (
        "Delete FreeRADIUS's authentication answers (radpostauth) and closed sessions (radacct) "
        "older than the retention settings, in batches."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--auth-log-days",
            type=int,
            default=None,
            help="keep answers this many days (default: ABONENT_RADIUS_AUTH_LOG_DAYS, 30)",
        )
        parser.add_argument(
            "--session-days",
            type=int,
            default=None,
            help="keep closed sessions this many days (default: ABONENT_RADIUS_SESSION_DAYS, 400)",
        )
        parser.add_argument("--batch", type=int, default=PRUNE_BATCH, help="rows per transaction")
        parser.add_argument(
            "--pause", type=float, default=0.1, help="seconds between batches (default 0.1)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            result = radius_logs_prune(
                auth_log_days=options["auth_log_days"],
                session_days=options["session_days"],
                batch=options["batch"],
                pause=max(0.0, options["pause"]),
            )
        except ValueError as exc:
            raise CommandError(f"{exc}") from exc
        self.stdout.write(str(result))
