"""``abonent radius-sync [--loop SECONDS]``: live sessions follow their accounts.

One round of ``coa.sessions_reconcile``: the open sessions whose policy (Class) is out of date
get a Disconnect-Request or CoA-Request at their NAS, and the requests due for a retry are sent
again. With ``--loop`` it runs a round every SECONDS until stopped (SIGTERM / Ctrl+C finish the
round first); any number may run at once (requests are claimed with ``SKIP LOCKED``).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import close_old_connections

from abonent.network.coa import sessions_reconcile

logger = logging.getLogger("abonent.network.coa")


class Command(BaseCommand):
    help = (
        "Disconnect or change (RFC 5176) the live sessions whose account's access changed; "
        "once, or every --loop seconds."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--loop", type=float, default=None, help="run a round every SECONDS until stopped"
        )
        parser.add_argument(
            "--timeout", type=float, default=None, help="seconds to wait for a NAS (default 2)"
        )
        parser.add_argument(
            "--tries", type=int, default=None, help="packets per attempt (default 2)"
        )

    def handle(self, *args: Any, **options: Any) -> None:
        loop = options["loop"]
        if loop is not None and loop <= 0:
            raise CommandError("--loop must be a positive number of seconds")
        kwargs = {"timeout": options["timeout"], "tries": options["tries"]}
        if loop is None:
            result = sessions_reconcile(**kwargs)
            self.stdout.write(str(result))
            return
        stop = threading.Event()

        def _stop(signum: int, frame: Any) -> None:
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"Abonent radius-sync: a round every {loop:g} s (Ctrl+C stops)")
        while not stop.is_set():
            try:
                result = sessions_reconcile(**kwargs)
            except Exception:  # a database restart, say: log, wait, go on
                logger.exception("radius-sync: the round failed; retrying")
            else:
                if not result.available:
                    self.stdout.write(str(result))
                    return
                if result.created or result.sent or result.cancelled:
                    self.stdout.write(str(result))
            finally:
                close_old_connections()
            stop.wait(loop)
