"""``abonent radius-config --out DIR``: write a FreeRADIUS configuration for this database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import connections

from abonent.network.radius_config import (
    SOURCE,
    THREADS,
    RadiusConfigError,
    RadiusDatabase,
    radius_config_write,
)


class Command(BaseCommand):
    help = "Write a FreeRADIUS 3 configuration directory that authorises from this database."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--out", required=True, type=Path, help="directory to write")
        parser.add_argument("--auth-port", type=int, default=1812)
        parser.add_argument("--acct-port", type=int, default=1813)
        parser.add_argument("--listen", default="*", help="address to listen on (default: all)")
        parser.add_argument("--source", type=Path, default=SOURCE, help="FreeRADIUS 3 raddb")
        parser.add_argument("--database", default="default", help="Django database alias")
        parser.add_argument(
            "--reject-delay", type=int, default=None, help="seconds before a reject (default 1)"
        )
        parser.add_argument(
            "--threads",
            type=int,
            default=THREADS,
            help=f"worker threads, a fixed pool (default {THREADS}: two cores)",
        )
        parser.add_argument(
            "--sql-pool",
            type=int,
            default=None,
            help="PostgreSQL connections, at least --threads (default: as many)",
        )
        parser.add_argument("--force", action="store_true", help="replace a non-empty --out")

    def handle(self, *args: Any, **options: Any) -> None:
        connection = connections[options["database"]]
        if connection.vendor != "postgresql":
            raise CommandError(
                "FreeRADIUS reads Abonent's RADIUS views, which exist on PostgreSQL only; "
                f"this database is {connection.vendor} (set DATABASE_URL=postgres://…)."
            )
        try:
            out = radius_config_write(
                out=options["out"],
                database=RadiusDatabase.from_settings(connection.settings_dict),
                auth_port=options["auth_port"],
                acct_port=options["acct_port"],
                listen=options["listen"],
                source=options["source"],
                reject_delay=options["reject_delay"],
                threads=options["threads"],
                sql_pool=options["sql_pool"],
                force=options["force"],
            )
        except (RadiusConfigError, OSError) as exc:
            raise CommandError(str(exc)) from exc
        self.stdout.write(
            f"FreeRADIUS configuration written to {out} "
            f"(auth {options['auth_port']}/udp, acct {options['acct_port']}/udp; "
            f"{options['threads']} threads, "
            f"{options['sql_pool'] or options['threads']} PostgreSQL connections).\n"
            f"Check it:  freeradius -C -d {out}\n"
            f"Run it:    freeradius -f -X -d {out}   (foreground, debug output)\n"
            "Clients come from the nas table: add your NASes before starting it.\n"
            "Live sessions: run `abonent radius-sync --loop 5` (radclient; the NASes' CoA port, "
            "3799/udp, open to it)."
        )
