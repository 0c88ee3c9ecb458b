"""``abonent demo``: fill the database with the demo provider (see ``abonent.demo.services``)."""

from __future__ import annotations

import json
from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import DEFAULT_DB_ALIAS, connections
from django.db.migrations.executor import MigrationExecutor

from abonent.core.money import format_money
from abonent.demo.people_data import DEFAULT_PASSWORD
from abonent.demo.services import DemoResult, demo_fill

STAFF_URL = "http://127.0.0.1:8000/staff/"
CABINET_URL = "http://127.0.0.1:8000/cabinet/login/"


class Command(BaseCommand):
    help = (
        "Fill the database with a demo provider: service kinds, tariffs, add-ons, one staff "
        "login per role (admin, manager, cashier, support), a few connection requests and "
        "subscribers in every account status with some months of payments and fees. "
        "Idempotent: running it again gives the same data. "
        f"--password X sets X on every demo staff login and subscriber; without it new ones get "
        f"'{DEFAULT_PASSWORD}' and existing ones keep their password. "
        "Runs only when ABONENT_DEMO=1 or with --force."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        """Options: --password, --json, --force."""
        parser.add_argument(
            "--password",
            help="password for every demo staff login and subscriber cabinet (default: keep "
            f"existing passwords, '{DEFAULT_PASSWORD}' for new ones)",
        )
        parser.add_argument(
            "--json",
            action="store_true",
            help='print only JSON: {"staff": [{"username", "roles"}], "subscribers": '
            '[{"contract", "status", "tariff"}], "tariffs": N, "addons": N} (no passwords)',
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="run even though ABONENT_DEMO is not set (never on a production database)",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        """Check it is safe, fill, report."""
        if not (getattr(settings, "DEMO", False) or options["force"]):
            raise CommandError(
                "abonent demo writes demo data and logins; it runs only with ABONENT_DEMO=1 "
                "or --force."
            )
        password = options.get("password")
        if password is not None and not password.strip():
            raise CommandError("--password must not be empty.")
        connection = connections[DEFAULT_DB_ALIAS]
        executor = MigrationExecutor(connection)
        if executor.migration_plan(executor.loader.graph.leaf_nodes()):
            raise CommandError("The database is not migrated: run `abonent migrate` first.")

        result = demo_fill(password=password)

        if options["json"]:
            self.stdout.write(json.dumps(result.as_json(), ensure_ascii=False))
        else:
            self._report(result)

    def _report(self, result: DemoResult) -> None:
        """The human summary: what is there and how to log in."""
        self.stdout.write(
            f"Demo data ready: {result.service_kinds} service kinds, {result.tariffs} tariffs, "
            f"{result.addons} add-ons, {result.leads} connection requests "
            f"({result.leads_created} new)."
        )
        self.stdout.write(f"Staff logins at {STAFF_URL}")
        width = max(len(s.username) for s in result.staff)
        for login in result.staff:
            roles = ", ".join(login.roles) + (" (superuser)" if login.is_superuser else "")
            secret = (
                f"password: {login.password}"
                if login.password is not None
                else "password: unchanged (set one with --password X)"
            )
            self.stdout.write(f"  {login.username:<{width}}  {roles:<20}  {secret}")
        self.stdout.write(f"Subscriber cabinets at {CABINET_URL} (login: the contract number)")
        for sub in result.subscribers:
            secret = (
                f"password: {sub.password}"
                if sub.password is not None
                else "password: unchanged (set one with --password X)"
            )
            self.stdout.write(
                f"  {sub.contract:<10}  {sub.status:<9}  {sub.tariff:<17}  "
                f"{format_money(sub.balance_kop, 'ru'):>10}  {secret}  {sub.holder_name}"
            )
