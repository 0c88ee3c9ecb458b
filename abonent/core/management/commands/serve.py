"""``abonent serve``: the production web server (gunicorn) with static files via whitenoise.

In the demo (``ABONENT_DEMO=1``) it also runs the daily charge in-process
(``abonent.billing.scheduler``): missed days are charged before the server starts, then a
thread of the main process charges each day at 00:05 Moscow time. ``--no-charge`` turns it off.
Production schedules ``abonent charge`` with systemd or cron instead (``deploy/``).

In the demo it also starts ``abonent worker`` (background tasks and the e-mail outbox) as a
child process beside the web server, stopped with it; ``--no-worker`` turns it off. Production
runs the worker as its own service.
"""

from __future__ import annotations

import atexit
import os
import subprocess
import sys
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = (
        "Serve Abonent with gunicorn (or Django's development server with --dev). In the demo "
        "(ABONENT_DEMO=1) it also charges the daily fees: missed days at start, then each day "
        "at 00:05 (--no-charge turns it off); production runs `abonent charge` from a systemd "
        "timer or cron (deploy/)."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--bind", default=os.environ.get("ABONENT_BIND", "127.0.0.1:8000"))
        parser.add_argument(
            "--workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "3"))
        )
        parser.add_argument("--threads", type=int, default=4)
        parser.add_argument("--dev", action="store_true", help="Django's autoreloading server.")
        parser.add_argument(
            "--no-collectstatic", action="store_true", help="Skip collecting static files."
        )
        parser.add_argument(
            "--no-charge",
            action="store_true",
            help="In the demo, do not run the daily charge in this process.",
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="In the demo, do not start `abonent worker` (tasks, e-mail) beside the server.",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        charging = getattr(settings, "DEMO", False) and not options["no_charge"]
        working = getattr(settings, "DEMO", False) and not options["no_worker"]
        if options["dev"]:
            # The autoreloader runs this command again in a child process that it restarts on
            # every change (RUN_MAIN=true there); the charge belongs to the parent, once.
            if charging and os.environ.get("RUN_MAIN") != "true":
                self._start_charging()
            if working and os.environ.get("RUN_MAIN") != "true":
                self._start_worker()
            call_command("runserver", options["bind"], use_reloader=True)
            return
        try:
            from gunicorn.app.wsgiapp import run
        except ImportError as exc:  # pragma: no cover - gunicorn is a dependency
            raise CommandError("gunicorn is not installed") from exc
        if charging:
            # Here, in gunicorn's master before it forks workers: one scheduler in all.
            self._start_charging()
        if working:
            self._start_worker()
        self.stdout.write(f"Abonent at http://{options['bind']}/  (Ctrl+C stops)")
        sys.argv = [
            "gunicorn",
            "abonent.wsgi:application",
            "--bind",
            options["bind"],
            "--workers",
            str(options["workers"]),
            "--threads",
            str(options["threads"]),
            "--access-logfile",
            "-",
            "--forwarded-allow-ips",
            os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1"),
        ]
        run()

    def _start_charging(self) -> None:
        """Charge the missed days now (in the foreground, so the workers fork from a quiet
        process), then leave a thread to charge each next day."""
        from abonent.billing.scheduler import charge_scheduler_start, charge_tick

        self.stdout.write("Demo: charging the daily fees (missed days first; --no-charge skips)")
        charge_scheduler_start(first_run_at=charge_tick())

    def _start_worker(self) -> None:
        """``abonent worker`` as a child process (its own database connections, nothing shared
        with gunicorn's forks), ended when this process exits."""
        self.stdout.write("Demo: starting `abonent worker` (tasks, e-mail; --no-worker skips)")
        child = subprocess.Popen([sys.executable, "-m", "abonent", "worker"])  # noqa: S603

        def _stop() -> None:
            if child.poll() is None:
                child.terminate()
                try:
                    child.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    child.kill()

        atexit.register(_stop)
