"""``abonent worker``: runs the background tasks (django-tasks' database backend) and sends the
e-mail outbox, until stopped (SIGTERM / Ctrl+C finish the current task first).

Each round runs every ready task (``django_tasks_db``'s own worker, in batch mode), then sends
the e-mails that are due, then sleeps ``--interval`` seconds when there was nothing to do. Any
number of workers may run at once: tasks and e-mails are claimed with row locks (``SKIP
LOCKED`` on PostgreSQL; serialised ``IMMEDIATE`` transactions on SQLite).
"""

from __future__ import annotations

import logging
import signal
import threading
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from abonent.messaging.outbox import outbox_send_due

logger = logging.getLogger("abonent.worker")


def tasks_run_ready(*, worker_id: str, backend: str = "default") -> int:
    """Run every ready task of the database backend, one at a time; returns how many ran.
    The claim is django-tasks-db's own (a locked row, ``SKIP LOCKED`` where the database has
    it; an exclusive transaction on SQLite), and so is running and recording the result; what
    this leaves out of its ``Worker.run`` loop is closing connections between tasks, which the
    command does between rounds (tests run tasks in their own transaction)."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name=backend,
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id,
        excluded_queue_names=[],
    )
    ready = DBTaskResult.objects.ready().filter(backend_name=backend)
    count = 0
    while True:
        with exclusive_transaction(ready.db):
            try:
                result = ready.get_locked()
            except OperationalError as exc:
                if is_locked_database_exception(exc):  # another worker holds it: next round
                    return count
                raise
            if result is None:
                return count
            result.claim(worker_id)
        worker.run_task(result)
        count += 1


def worker_round(*, worker_id: str = "abonent", backend: str = "default") -> tuple[int, int]:
    """Run every ready task, then send the due e-mails; returns (tasks run, e-mails sent).
    Tests call this to play the worker in the test's own thread and database connection."""
    tasks = tasks_run_ready(worker_id=worker_id, backend=backend)
    return tasks, outbox_send_due().sent


class Command(BaseCommand):
    help = "Run background tasks and send the e-mail outbox (Ctrl+C stops)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--interval", type=float, default=2.0, help="Seconds to sleep when idle (default 2)."
        )
        parser.add_argument(
            "--once", action="store_true", help="One round (all ready tasks, due mail), then exit."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["verbosity"] < 2:  # its "starting… / no more tasks" every round is noise
            logging.getLogger("django_tasks_db").setLevel(logging.WARNING)
        stop = threading.Event()
        worker_id = get_random_string(16)

        def _stop(signum: int, frame: Any) -> None:
            logger.info("worker %s: stopping after the current round", worker_id)
            stop.set()

        if threading.current_thread() is threading.main_thread():
            signal.signal(signal.SIGTERM, _stop)
            signal.signal(signal.SIGINT, _stop)
        self.stdout.write(f"Abonent worker {worker_id}: tasks and e-mail (Ctrl+C stops)")
        while not stop.is_set():
            try:
                tasks, sent = worker_round(worker_id=worker_id)
            except Exception:  # a database restart, say: log, wait, go on
                logger.exception("worker %s: the round failed; retrying", worker_id)
                tasks, sent = 0, 0
            finally:
                close_old_connections()
            if tasks or sent:
                logger.info("worker %s: %d tasks run, %d e-mails sent", worker_id, tasks, sent)
            if options["once"]:
                return
            if not tasks and not sent:
                stop.wait(options["interval"])
