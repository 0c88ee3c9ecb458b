"""``abonent serve``: the production web server (gunicorn) with static files via whitenoise."""

from __future__ import annotations

import os
import sys
from typing import Any

from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandError, CommandParser


class Command(BaseCommand):
    help = "Serve Abonent with gunicorn (or Django's development server with --dev)."

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

    def handle(self, *args: Any, **options: Any) -> None:
        if not options["no_collectstatic"]:
            call_command("collectstatic", interactive=False, verbosity=0)
        if options["dev"]:
            call_command("runserver", options["bind"], use_reloader=True)
            return
        try:
            from gunicorn.app.wsgiapp import run
        except ImportError as exc:  # pragma: no cover - gunicorn is a dependency
            raise CommandError("gunicorn is not installed") from exc
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
